"""Learning by gradient descent: Adam minimising the lesson's `loss`, one minibatch per step.

θ ← θ − η · m̂ / (√v̂ + ε)      m̂, v̂: Adam's running moments of ∇_θ loss
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from unsuplab.models.state import cpu_copy


class GradientTrained:
    """Mix-in for an image lesson whose model learns by Adam on its `loss`, put before the base:
    `class Autoencoder(GradientTrained, ImageAutoencoderLesson)`. The config has `learning_rate`."""

    def trained_parameters(self) -> Iterator[nn.Parameter]:
        """The weights Adam moves: the model's."""
        return self.model.parameters()

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        self.optimizer = torch.optim.Adam(self.trained_parameters(), lr=self.config.learning_rate)

    def train_step(self) -> dict[str, torch.Tensor]:
        x = self.minibatch()
        x_hat, h = self.model(self.corrupt(x, self.generator))
        terms = self.loss(x, x_hat, h)
        self.descend(terms["loss"])
        return {name: value.detach() for name, value in terms.items()}

    def descend(self, loss: torch.Tensor) -> None:
        """One Adam step down the gradient of `loss`."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def on_live_change(self, name: str, value: Any) -> None:
        super().on_live_change(name, value)
        if name == "learning_rate" and self.built:
            for group in self.optimizer.param_groups:
                group["lr"] = value

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "optimizer": cpu_copy(self.optimizer.state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.optimizer.load_state_dict(state["optimizer"])
