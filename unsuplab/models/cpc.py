"""Contrastive predictive coding (van den Oord, Li & Vinyals 2018): an encoder, an autoregressive
context over its codes, and one linear prediction per step ahead, scored by InfoNCE.

    encoder     z_t = g_enc(x_t)                       a 784-h-d perceptron, one image at a time
    context     c_t = GRU(z_1, …, z_t)                 what the sequence so far says
    prediction  ẑ_{t+k} = W_k c_t,   score f_k(x, c_t) = zᵀ W_k c_t        k = 1 … K
    InfoNCE     L = −E log  exp f_k(x_{t+k}, c_t) / Σ_{x_j ∈ {x_{t+k}} ∪ negatives} exp f_k(x_j, c_t)

Minimising L is softmax classification of the true future among N + 1 candidates, and
log(N + 1) − L is a lower bound on the mutual information I(x_{t+k}; c_t).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ContrastivePredictiveCoder(nn.Module):
    """g_enc, the GRU context and the K prediction matrices W_1 … W_K (stacked in one layer)."""

    def __init__(self, pixels: int, hidden: int, code_size: int, context_size: int, steps: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, code_size))
        self.context = nn.GRU(code_size, context_size, batch_first=True)
        self.predictors = nn.Linear(context_size, steps * code_size, bias=False)
        self.steps, self.code_size = steps, code_size

    @property
    def filters(self) -> torch.Tensor:
        """The encoder's first-layer weights (hidden, pixels): what each unit looks for."""
        return self.encoder[0].weight

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """z = g_enc(x) for flattened images x (..., pixels) -> (..., d)."""
        return self.encoder(x)

    def summarise(self, z: torch.Tensor) -> torch.Tensor:
        """c_T, the GRU's state after the codes z (b, T, d) of the given elements -> (b, context)."""
        return self.context(z)[1][-1]

    def predict(self, c: torch.Tensor) -> torch.Tensor:
        """ẑ_{T+k} = W_k c_T for k = 1 … K: (b, context) -> (b, K, d)."""
        return self.predictors(c).view(len(c), self.steps, self.code_size)


def info_nce(predicted: torch.Tensor, candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """InfoNCE of predictions (..., d) against candidates (..., 1 + N, d) whose first is the true
    future: the mean loss, and the share of predictions that score the true one highest."""
    scores = torch.einsum("...d,...nd->...n", predicted, candidates).flatten(0, -2)
    target = torch.zeros(len(scores), dtype=torch.long, device=scores.device)
    return F.cross_entropy(scores, target), (scores.argmax(dim=1) == 0).float().mean()
