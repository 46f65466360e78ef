"""Conditioning a network on a class label: the one-hot code y appended to its input.

    [v, one_hot(y)]      one_hot(y)_k = 1 if k = y else 0,  k = 0 … classes − 1

A conditional VAE reads it in q(z|x, y) and p(x|z, y), a conditional GAN in G(z, y) and D(x, y).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def with_one_hot(v: torch.Tensor, y: torch.Tensor | None, classes: int) -> torch.Tensor:
    """Rows v (n, k) with the one-hot codes of labels y (n,) appended: (n, k + classes).
    v itself for an unconditional network (classes = 0)."""
    if classes == 0:
        return v
    if y is None:
        raise ValueError("this network is conditional: give the labels y it should draw")
    return torch.cat([v, F.one_hot(y, classes).to(v.dtype)], dim=1)
