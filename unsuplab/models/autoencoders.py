"""Dense autoencoders: x -> h = f(W x + b) -> x_hat = sigmoid(W' h + b')."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class DenseAutoencoder(nn.Module):
    """One hidden code layer; the encoder's rows w_i are the filters the lessons show."""

    def __init__(self, inputs: int, code: int, activation: str = "relu"):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(inputs, code), ACTIVATIONS[activation]())
        self.decoder = nn.Sequential(nn.Linear(code, inputs), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, code) for a batch of flattened or image-shaped inputs."""
        h = self.encode(x)
        return self.decoder(h), h

    @property
    def filters(self) -> torch.Tensor:
        """The encoder weights W, one row per hidden unit."""
        return self.encoder[0].weight
