"""The dense autoencoder module: shapes, output range, and the filters it exposes."""

from __future__ import annotations

import torch

from unsuplab.models.autoencoders import DenseAutoencoder


def test_shapes_and_range():
    model = DenseAutoencoder(784, 16, "relu")
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        x_hat, h = model(x)
    assert x_hat.shape == (5, 784) and h.shape == (5, 16)
    assert float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1
    assert float(h.min()) >= 0
    assert model.filters.shape == (16, 784)


def test_gradients_reach_both_layers():
    model = DenseAutoencoder(64, 8, "sigmoid")
    x = torch.rand(4, 64)
    x_hat, _ = model(x)
    ((x_hat - x) ** 2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
