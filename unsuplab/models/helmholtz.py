"""The Helmholtz machine (Hinton, Dayan, Frey & Neal 1995): layers of stochastic binary units with
a bottom-up recognition network q and a top-down generative network p, learnt by wake–sleep.

    generative  p(s_L = 1) = σ(b),   p(s_l = 1 | s_{l+1}) = σ(G_l s_{l+1} + g_l),   s_0 = x
    recognition q(s_{l+1} = 1 | s_l) = σ(R_l s_l + r_l)
    wake        sample s ~ q(· | x) on a real x; raise log p(s_l | s_{l+1}):  ΔG_l = ε (s_l − p_l) s_{l+1}ᵀ
    sleep       dream s ~ p from the top down; raise log q(s_{l+1} | s_l):   ΔR_l = ε (s_{l+1} − q_{l+1}) s_lᵀ
    bound       log p(x) ≥ E_q[ log p(x, s) − log q(s | x) ]                    (nats, estimated by samples)

Each phase's update is the gradient of a local log-likelihood of sampled states, so it is written
here as that log-likelihood; the caller's optimiser takes the step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

GENERATIVE_INIT = 0.1  # standard deviation of the initial weights
RECOGNITION_INIT = 0.01


def _log_bernoulli(logits: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """log P(states) under independent Bernoulli units with these logits, summed per row."""
    return -F.binary_cross_entropy_with_logits(logits, states, reduction="none").sum(dim=1)


class HelmholtzMachine(nn.Module):
    """Layers x = s_0, s_1, …, s_L of binary units with widths `(pixels, *hidden)`."""

    def __init__(self, pixels: int, hidden: tuple[int, ...]):
        super().__init__()
        widths = (pixels, *hidden)
        self.recognition = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:], strict=False))
        self.generative = nn.ModuleList(nn.Linear(b, a) for a, b in zip(widths, widths[1:], strict=False))
        self.top_bias = nn.Parameter(torch.zeros(widths[-1]))
        # Random generative weights make dreams whose causes differ, which gives the first sleep
        # phases something to learn; recognition starts near zero and learns from those dreams.
        for layers, std in ((self.generative, GENERATIVE_INIT), (self.recognition, RECOGNITION_INIT)):
            for layer in layers:
                nn.init.normal_(layer.weight, std=std)
                nn.init.zeros_(layer.bias)

    def init_visible_bias(self, x: torch.Tensor) -> None:
        """g_0 = log-odds of each pixel's mean: before learning, dreams already have the data's ink."""
        mean = x.mean(dim=0).clamp(1e-3, 1 - 1e-3)
        with torch.no_grad():
            self.generative[0].bias.copy_(torch.log(mean / (1 - mean)))

    # -- the two passes -------------------------------------------------------------------------
    def recognise(self, x: torch.Tensor, generator: torch.Generator | None) -> list[torch.Tensor]:
        """States [x, s_1, …, s_L] sampled bottom-up from q (probabilities when generator is None)."""
        states = [x]
        for layer in self.recognition:
            p = torch.sigmoid(layer(states[-1]))
            states.append(p if generator is None else torch.bernoulli(p, generator=generator))
        return states

    def dream(self, n: int, generator: torch.Generator) -> list[torch.Tensor]:
        """States [x, s_1, …, s_L] sampled top-down from p; x is kept as probabilities p(x | s_1)."""
        top = torch.sigmoid(self.top_bias).expand(n, -1)
        states = [torch.bernoulli(top, generator=generator)]
        for i, layer in enumerate(reversed(self.generative)):
            p = torch.sigmoid(layer(states[0]))
            last = i == len(self.generative) - 1
            states.insert(0, p if last else torch.bernoulli(p, generator=generator))
        return states

    # -- the local log-likelihoods the two phases raise -------------------------------------------
    def generative_log_prob(self, states: list[torch.Tensor]) -> torch.Tensor:
        """log p(s_0, …, s_L) per row: the top prior and every top-down conditional."""
        top = self.top_bias.expand_as(states[-1])
        total = _log_bernoulli(top, states[-1])
        for layer, below, above in zip(self.generative, states, states[1:], strict=False):
            total = total + _log_bernoulli(layer(above), below)
        return total

    def recognition_log_prob(self, states: list[torch.Tensor]) -> torch.Tensor:
        """log q(s_1, …, s_L | s_0) per row: every bottom-up conditional."""
        total = torch.zeros(len(states[0]), device=states[0].device)
        for layer, below, above in zip(self.recognition, states, states[1:], strict=False):
            total = total + _log_bernoulli(layer(below), above)
        return total

    def wake_loss(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """−log p(x, s) for s ~ q(· | x), batch mean; its gradient in G is the wake delta rule."""
        with torch.no_grad():
            states = self.recognise(x, generator)
        return -self.generative_log_prob(states).mean()

    def sleep_loss(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """−log q(s | x) for a dream (x, s) ~ p, batch mean; its gradient in R is the sleep delta rule.
        The dreamt x is sampled too: q learns from binary pixels, as it sees on waking."""
        with torch.no_grad():
            states = self.dream(n, generator)
            states[0] = torch.bernoulli(states[0], generator=generator)
        return -self.recognition_log_prob(states).mean()

    @torch.no_grad()
    def bound(self, x: torch.Tensor, generator: torch.Generator, samples: int = 1) -> torch.Tensor:
        """log p(x) ≥ E_q[log p(x, s) − log q(s | x)] per row, averaged over `samples` draws of s."""
        total = torch.zeros(len(x), device=x.device)
        for _ in range(samples):
            states = self.recognise(x, generator)
            total += self.generative_log_prob(states) - self.recognition_log_prob(states)
        return total / samples

    # -- what the image lessons' panels use ---------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The top layer's probabilities, passed up by mean field (no sampling)."""
        return self.recognise(x.flatten(1), None)[-1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(p(x | s_1) with s_1 = q's probabilities, those s_1): recognised, then generated back."""
        h = self.recognise(x.flatten(1), None)[1]
        return torch.sigmoid(self.generative[0](h)), h

    @property
    def filters(self) -> torch.Tensor:
        """R_0, the recognition weights of the first hidden layer: one receptive field per row."""
        return self.recognition[0].weight
