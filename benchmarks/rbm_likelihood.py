"""The held-out log-likelihood of a binary RBM, log p(v) = −F(v) − log Z, with log Z estimated by
annealed importance sampling (Salakhutdinov & Murray, "On the quantitative analysis of deep
belief networks", 2008), so that an RBM and a Helmholtz machine can be set side by side in nats.

    base        p_A(v) ∝ exp(a_Aᵀ v),  a_A = logit of each pixel's training frequency,
                log Z_A = H log 2 + Σ_i log(1 + e^{a_A,i})      (H hidden units with no weights)
    path        log p*_β(v) = ((1 − β) a_A + β a)ᵀ v + Σ_j softplus(β (b_j + vᵀ W_·j)),  0 = β_0 < … < β_M = 1
    weights     log w = Σ_k [log p*_{β_k}(v_k) − log p*_{β_{k−1}}(v_k)],  v_k from a Gibbs step at β_{k−1}
    estimate    log Z ≈ log Z_A + log mean exp(log w)       (over independent runs)

A benchmark helper, not part of the product: the RBM lesson itself reports pseudo-likelihood.
`exact_log_partition` sums over every hidden state of a small RBM, to check the estimate.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

from unsuplab.models.rbm import BernoulliRBM


def _log_unnormalised(
    rbm: BernoulliRBM, base_bias: torch.Tensor, beta: float, v: torch.Tensor
) -> torch.Tensor:
    """log p*_β(v) on the path from the base model (β = 0) to the RBM (β = 1)."""
    bias = (1 - beta) * base_bias + beta * rbm.visible_bias
    return v @ bias + F.softplus(beta * (v @ rbm.weight + rbm.hidden_bias)).sum(dim=1)


@torch.no_grad()
def ais_log_partition(
    rbm: BernoulliRBM, base_bias: torch.Tensor, betas: torch.Tensor, runs: int, generator: torch.Generator
) -> float:
    """log Z of the RBM, estimated by `runs` annealing runs through the temperatures `betas`."""
    base_probs = torch.sigmoid(base_bias).expand(runs, -1)
    v = torch.bernoulli(base_probs, generator=generator)
    log_w = torch.zeros(runs, device=v.device)
    for previous, beta in itertools.pairwise(betas.tolist()):
        log_w += _log_unnormalised(rbm, base_bias, beta, v) - _log_unnormalised(rbm, base_bias, previous, v)
        hidden = torch.sigmoid(beta * (v @ rbm.weight + rbm.hidden_bias))
        h = torch.bernoulli(hidden, generator=generator)
        visible = torch.sigmoid((1 - beta) * base_bias + beta * (h @ rbm.weight.T + rbm.visible_bias))
        v = torch.bernoulli(visible, generator=generator)
    log_z_base = rbm.hidden * math.log(2) + float(F.softplus(base_bias).sum())
    return log_z_base + float(torch.logsumexp(log_w, dim=0) - math.log(runs))


@torch.no_grad()
def exact_log_partition(rbm: BernoulliRBM) -> float:
    """log Z = log Σ_h exp(bᵀh + Σ_i softplus(a_i + (W h)_i)), over all 2^H hidden states (small H)."""
    states = torch.tensor(list(itertools.product((0.0, 1.0), repeat=rbm.hidden)), device=rbm.weight.device)
    terms = states @ rbm.hidden_bias + F.softplus(states @ rbm.weight.T + rbm.visible_bias).sum(dim=1)
    return float(torch.logsumexp(terms, dim=0))


def annealing_schedule(steps: int) -> torch.Tensor:
    """Salakhutdinov & Murray's spacing, scaled to `steps` temperatures: a tenth of them over
    [0, 0.5], about a quarter over [0.5, 0.9] and the rest, finest, over [0.9, 1]."""
    first, second = steps // 10, steps * 3 // 10
    return torch.cat(
        [
            torch.linspace(0, 0.5, first + 1)[:-1],
            torch.linspace(0.5, 0.9, second + 1)[:-1],
            torch.linspace(0.9, 1.0, steps - first - second),
        ]
    )


def base_bias_of(train: torch.Tensor) -> torch.Tensor:
    """a_A = logit of each pixel's frequency in the training images (clamped off 0 and 1)."""
    p = train.mean(dim=0).clamp(1e-3, 1 - 1e-3)
    return torch.log(p / (1 - p))


def held_out_log_likelihood(
    rbm: BernoulliRBM,
    train: torch.Tensor,
    test: torch.Tensor,
    steps: int = 5000,
    runs: int = 100,
    seed: int = 0,
) -> tuple[float, float]:
    """(mean held-out log p(v) in nats, the log Z it used), log Z by AIS."""
    generator = torch.Generator(device=rbm.weight.device).manual_seed(seed)
    log_z = ais_log_partition(rbm, base_bias_of(train), annealing_schedule(steps), runs, generator)
    return float(-rbm.free_energy(test).mean()) - log_z, log_z
