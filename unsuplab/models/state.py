"""Copies of learned state that stay valid while training goes on."""

from __future__ import annotations

from typing import Any

import torch


def cpu_copy(tree: Any) -> Any:
    """A deep copy of nested dicts/lists of tensors, every tensor detached and moved to the CPU."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().to("cpu", copy=True)
    if isinstance(tree, dict):
        return {k: cpu_copy(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(cpu_copy(v) for v in tree)
    return tree
