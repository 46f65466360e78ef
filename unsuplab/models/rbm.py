"""Restricted Boltzmann machines with binary units: Gibbs sampling, CD-k and persistent CD with
momentum and weight decay, free energy, pseudo-likelihood, and stacks of them (deep belief nets).

    E(v, h)      = −aᵀv − bᵀh − vᵀWh
    p(h_j=1 | v) = σ(b_j + Σ_i v_i w_ij)          p(v_i=1 | h) = σ(a_i + Σ_j w_ij h_j)
    F(v)         = −aᵀv − Σ_j log(1 + exp(b_j + Σ_i v_i w_ij))      (free energy, p(v) ∝ e^−F(v))
    Δw_ij        = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ) − ελ w_ij               (CD-k with weight decay λ)

The weights are updated by hand (no autograd), so they are parameters that need no gradient.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn


class BernoulliRBM(nn.Module):
    """Binary visible units v (n_visible) and binary hidden units h (n_hidden); W is (visible, hidden)."""

    def __init__(self, visible: int, hidden: int):
        super().__init__()
        # Small random weights (Hinton's guide: N(0, 0.01²)); biases start at zero.
        self.weight = nn.Parameter(0.01 * torch.randn(visible, hidden), requires_grad=False)
        self.visible_bias = nn.Parameter(torch.zeros(visible), requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.zeros(hidden), requires_grad=False)

    @property
    def visible(self) -> int:
        return self.weight.shape[0]

    @property
    def hidden(self) -> int:
        return self.weight.shape[1]

    @property
    def filters(self) -> torch.Tensor:
        """W transposed: row j holds the weights w_·j from every visible unit to hidden unit j."""
        return self.weight.T

    @torch.no_grad()
    def init_visible_bias(self, data: torch.Tensor) -> None:
        """a_i = log(p_i / (1 − p_i)) with p_i the fraction of training vectors where unit i is on
        (the guide's advice: the model starts out producing the data's average)."""
        p = data.mean(dim=0).clamp(1e-3, 1 - 1e-3)
        self.visible_bias.copy_(torch.log(p / (1 - p)))

    # -- the conditionals ------------------------------------------------------------------------
    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | v) = σ(b_j + Σ_i v_i w_ij)."""
        return torch.sigmoid(v @ self.weight + self.hidden_bias)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = 1 | h) = σ(a_i + Σ_j w_ij h_j)."""
        return torch.sigmoid(h @ self.weight.T + self.visible_bias)

    def encode(self, v: torch.Tensor) -> torch.Tensor:
        return self.hidden_probs(v.flatten(1))

    def forward(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(one-step mean-field reconstruction p(v | h = p(h | v)), hidden probabilities)."""
        ph = self.encode(v)
        return self.visible_probs(ph), ph

    # -- energies ---------------------------------------------------------------------------------
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) = −aᵀv − bᵀh − vᵀWh, one number per row."""
        return -(v @ self.visible_bias) - (h @ self.hidden_bias) - ((v @ self.weight) * h).sum(dim=1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = −aᵀv − Σ_j softplus(b_j + Σ_i v_i w_ij): −log Σ_h e^−E(v,h), one per row."""
        return -(v @ self.visible_bias) - F.softplus(v @ self.weight + self.hidden_bias).sum(dim=1)

    def pseudo_likelihood(self, v: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """scikit-learn's stochastic pseudo-likelihood: flip one random visible unit i per row and
        return n_visible · log σ(F(ṽ) − F(v)), an estimate of Σ_i log p(v_i | v_rest)."""
        rows = torch.arange(len(v), device=v.device)
        flip = torch.randint(self.visible, (len(v),), device=v.device, generator=generator)
        flipped = v.clone()
        flipped[rows, flip] = 1 - flipped[rows, flip]
        return self.visible * F.logsigmoid(self.free_energy(flipped) - self.free_energy(v))

    def reconstruction_error(self, v: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Σ_i (v_i − p(v_i = 1 | h⁰))² per row, h⁰ sampled from p(h | v): CD-1's reconstruction."""
        h0 = torch.bernoulli(self.hidden_probs(v), generator=generator)
        return (v - self.visible_probs(h0)).pow(2).sum(dim=1)

    # -- sampling ---------------------------------------------------------------------------------
    def gibbs(
        self, h: torch.Tensor, steps: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`steps` alternating updates v ← p(v | h), h ~ p(h | v) from hidden states h.

        As in Hinton's rbm.m the visible units keep their probabilities (less sampling noise),
        the hidden ones are sampled. Returns (visible probabilities, hidden probabilities, hidden
        samples) of the last step."""
        for _ in range(steps):
            v = self.visible_probs(h)
            ph = self.hidden_probs(v)
            h = torch.bernoulli(ph, generator=generator)
        return v, ph, h


class ContrastiveDivergence:
    """Trains one RBM by CD-k (chains start at the data) or persistent CD (chains carry on from
    the previous update), with momentum and weight decay; also keeps a bank of persistent
    "fantasy" chains to show what the model dreams."""

    def __init__(
        self,
        rbm: BernoulliRBM,
        *,
        k: int = 1,
        persistent: bool = False,
        chains: int = 100,
        dream_chains: int = 0,
    ):
        self.rbm, self.k, self.persistent = rbm, k, persistent
        hidden = rbm.weight.new_zeros
        self.velocity = [torch.zeros_like(p) for p in self.parameters]
        # q_j, a running estimate of how often hidden unit j is on (for the sparsity penalty).
        self.activity = hidden(rbm.hidden) + 0.5
        # Persistent chains live as hidden states; zeros make their first picture σ(a).
        self.chains = hidden(chains, rbm.hidden) if persistent else None
        # With PCD the training chains are what the model dreams; CD-k needs its own bank.
        self.dreams = None if persistent or not dream_chains else hidden(dream_chains, rbm.hidden)

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [self.rbm.weight, self.rbm.visible_bias, self.rbm.hidden_bias]

    @torch.no_grad()
    def step(
        self,
        v0: torch.Tensor,
        generator: torch.Generator,
        learning_rate: float,
        momentum: float,
        weight_decay: float,
        sparsity_target: float = 0.0,
        sparsity_cost: float = 0.0,
    ) -> dict[str, torch.Tensor]:
        """One update on the minibatch v0; returns its reconstruction error Σ_i (v_i − v̂_i)²
        per vector (v̂ = p(v | h⁰), h⁰ sampled) and the mean hidden probability, on the device.

        With a sparsity cost c, each hidden unit's total input is also pushed by c·(p − q_j)
        towards firing a fraction p of the time (Hinton's guide, section 11; Lee et al. 2008)."""
        rbm = self.rbm
        ph0 = rbm.hidden_probs(v0)
        h0 = torch.bernoulli(ph0, generator=generator)
        start = self.chains if self.persistent else h0
        vk, phk, hk = rbm.gibbs(start, self.k, generator)
        if self.persistent:
            self.chains = hk
            reconstruction = rbm.visible_probs(h0)
        else:
            # CD-1's negative visible states are the reconstruction; CD-k's need their own pass.
            reconstruction = vk if self.k == 1 else rbm.visible_probs(h0)
        n_data, n_model = len(v0), len(vk)
        # Δw_ij = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ − λ w_ij), the hidden statistics as probabilities.
        gradients = [
            v0.T @ ph0 / n_data - vk.T @ phk / n_model - weight_decay * rbm.weight,
            v0.mean(dim=0) - vk.mean(dim=0),
            ph0.mean(dim=0) - phk.mean(dim=0),
        ]
        self.activity.mul_(0.9).add_(ph0.mean(dim=0), alpha=0.1)
        if sparsity_cost:
            push = sparsity_cost * (sparsity_target - self.activity)
            gradients[0] += torch.outer(v0.mean(dim=0), push)
            gradients[2] += push
        for param, velocity, gradient in zip(self.parameters, self.velocity, gradients, strict=True):
            velocity.mul_(momentum).add_(gradient, alpha=learning_rate)
            param.add_(velocity)
        if self.dreams is not None:
            self.dreams = rbm.gibbs(self.dreams, 1, generator)[2]
        return {"recon_error": (v0 - reconstruction).pow(2).sum(dim=1).mean(), "mean_hidden": ph0.mean()}

    def dream(self, count: int) -> torch.Tensor:
        """Visible probabilities p(v | h) of the first `count` fantasy chains."""
        bank = self.chains if self.persistent else self.dreams
        return self.rbm.visible_probs(bank[:count])

    def advance_dreams(self, generator: torch.Generator) -> None:
        """One Gibbs step of the fantasy chains without learning (the weights stay put)."""
        with torch.no_grad():
            if self.persistent:
                self.chains = self.rbm.gibbs(self.chains, 1, generator)[2]
            elif self.dreams is not None:
                self.dreams = self.rbm.gibbs(self.dreams, 1, generator)[2]

    def state_dict(self) -> dict[str, object]:
        return {
            "velocity": list(self.velocity),
            "activity": self.activity,
            "chains": self.chains,
            "dreams": self.dreams,
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        device = self.rbm.weight.device
        self.velocity = [v.to(device).clone() for v in state["velocity"]]
        self.activity = state["activity"].to(device).clone()
        for name in ("chains", "dreams"):
            value = state[name]
            setattr(self, name, None if value is None else value.to(device).clone())


class DeepBeliefNet(nn.Module):
    """A stack of RBMs trained greedily: layer k's visible units are layer k−1's hidden ones.

    `depth` is how many layers are in use (the stage of greedy training); `encode` goes up
    through them with probabilities, `forward` goes up and back down (mean-field)."""

    def __init__(self, visible: int, sizes: tuple[int, ...]):
        super().__init__()
        self.layers = nn.ModuleList(BernoulliRBM(a, b) for a, b in pairwise((visible, *sizes)))
        self.depth = len(self.layers)

    @property
    def filters(self) -> torch.Tensor:
        return self.layers[0].filters

    def encode(self, v: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """p(h | v) pushed up through the first `depth` layers (default: those in use)."""
        h = v.flatten(1)
        for rbm in self.layers[: self.depth if depth is None else depth]:
            h = rbm.hidden_probs(h)
        return h

    def decode(self, h: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """Top-layer states pushed down through layers depth, …, 1 with p(v | h)."""
        for rbm in reversed(self.layers[: self.depth if depth is None else depth]):
            h = rbm.visible_probs(h)
        return h

    def forward(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encode(v)
        return self.decode(code), code


def classifier_like(stack: DeepBeliefNet, classes: int) -> nn.Sequential:
    """A sigmoid network of the stack's shape plus a softmax layer (it outputs logits), with
    PyTorch's default random initialisation."""
    layers: list[nn.Module] = []
    for rbm in stack.layers:
        layers += [nn.Linear(rbm.visible, rbm.hidden), nn.Sigmoid()]
    layers.append(nn.Linear(stack.layers[-1].hidden, classes))
    return nn.Sequential(*layers).to(stack.layers[0].weight.device)


@torch.no_grad()
def initialise_from_stack(classifier: nn.Sequential, stack: DeepBeliefNet) -> None:
    """Start the classifier's hidden layers at the RBMs' recognition weights W and biases b
    (pretraining); its softmax layer keeps its random start."""
    linears = [m for m in classifier if isinstance(m, nn.Linear)]
    for linear, rbm in zip(linears, stack.layers, strict=False):
        linear.weight.copy_(rbm.weight.T)
        linear.bias.copy_(rbm.hidden_bias)
