"""A GAN in the plane (after GAN Lab): every real and generated point, the discriminator's D(x)
over the whole plane, and the direction each fake point is pushed.

    D loss  = −E_x[log D(x)] − E_z[log(1 − D(G(z)))]
    G loss  =  E_z[log(1 − D(G(z)))]        minimax
         or  −E_z[log D(G(z))]              non-saturating
    arrows  = −∂(G loss)/∂x at each fake x = G(z): where G's step moves that point

A generator that puts all its points on a few of the 8 modes of the ring is mode collapse, seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import MAX_WIDTH, param
from unsuplab.core.payloads import Field, Payload
from unsuplab.core.registry import register
from unsuplab.data.points2d import (
    DISTRIBUTIONS,
    check_drawn_points,
    covered_modes,
    modes,
    sample_points,
    spread_drawing,
)
from unsuplab.experiments._image_autoencoder import parse_widths
from unsuplab.experiments.gan import AdversarialLesson
from unsuplab.models.gan import (
    GENERATOR_LOSSES,
    MLPDiscriminator,
    MLPGenerator,
    energy_distance,
    generator_loss,
)
from unsuplab.models.state import cpu_copy

TRAIN_POINTS = 20_000  # the training set: a fixed sample of the distribution, on the device
HELDOUT_POINTS = 1000  # fresh points of the same distribution, for the energy distance
MODE_METRICS = {"modes_covered", "high_quality"}  # measured where the data has modes (ring, grid)
SHOWN_POINTS = 500  # real and generated points drawn over the field
ARROW_POINTS = 150  # generated points that carry a gradient arrow
LATTICE = 64  # D(x) is shown on a LATTICE x LATTICE grid over the plane
MARGIN = 0.2  # the plane shown reaches this share of the data's span beyond it on each side
#: An arrow of gradient norm 1 is this share of the plane's width: fixed, so that the vanishing
#: gradient of the minimax loss shows as vanishing arrows.
ARROW_SCALE = 0.02
ARROW_CAP = 0.08  # ... but never longer than this share of the plane's width


@dataclass
class Config:
    distribution: str = param(
        "ring",
        "Real data: ring = 8 Gaussians (σ 0.05) on a circle of radius "
        "2; grid = 5x5 Gaussians; moons; spiral. Or draw your own on the "
        "plane (at least 50 points).",
        choices=DISTRIBUTIONS,
    )
    generator_loss: str = param(
        "non-saturating",
        "non-saturating: G minimises −log D(G(z)). "
        "minimax: G minimises log(1 − D(G(z))), whose gradient vanishes "
        "where D is sure a point is fake.",
        choices=GENERATOR_LOSSES,
    )
    noise_size: int = param(
        2,
        "Dimension of the noise z ~ N(0, I); 2 lets you picture G as a "
        "folding of the noise plane onto the data.",
        low=1,
        high=256,
    )
    hidden: str = param(
        "64,64",
        "Widths of the hidden layers of G and of D (LeakyReLU 0.2), e.g. 64,64.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    d_steps: int = param(
        1,
        "k, the discriminator steps per generator step. Can change while training.",
        low=1,
        high=20,
        live=True,
    )
    learning_rate: float = param(
        1e-3,
        "Adam step size η for both players (β₁ = 0.5, β₂ = 0.999). Can change while training.",
        low=1e-6,
        high=1.0,
        log=True,
        live=True,
    )
    batch_size: int = param(
        256, "Real points and noise vectors per step (each a random minibatch).", low=1, high=8192
    )

    def check(self) -> None:
        parse_widths("hidden", self.hidden)


@register
class Gan2D(AdversarialLesson):
    name = "gan-2d"
    title = "GAN on 2-D points"
    group = "Generative"
    summary = "Watch D's verdict over the plane and G's points chase the real ones."
    Config = Config
    #: Goodfellow's two generator losses.
    comparisons = {"Non-saturating vs minimax loss": {"generator_loss": ("non-saturating", "minimax")}}
    curves = {
        "Losses of D and G": ("d_loss", "g_loss"),
        "Mean D(x) on real and D(G(z)) on generated points": ("d_real", "d_fake"),
        "Energy distance to held-out real points": ("heldout_energy",),
        "Modes covered": ("modes_covered",),
        "Share of generated points within 3σ of a mode": ("high_quality",),
    }
    progress_metric = ("heldout_energy", "down")
    quick_settings = {"batch_size": 64}
    quick_steps = 150

    def build(self, device: str, seed: int) -> None:
        self.start(device, seed)
        widths = parse_widths("hidden", self.config.hidden)
        self.begin_game(
            MLPGenerator(self.config.noise_size, widths, 2, unit_output=False),
            MLPDiscriminator(2, widths),
            HELDOUT_POINTS,
        )
        self.drawn: np.ndarray | None = None
        self.use_data(self.config.distribution)

    def use_data(self, distribution: str, drawn: np.ndarray | None = None) -> None:
        """Train on `distribution`, or on the drawn points; fixed samples, not the run's seed,
        so a reloaded run shows the same real points."""
        self.drawn = drawn
        if drawn is None:
            train, heldout = (
                sample_points(distribution, TRAIN_POINTS, seed=0),
                sample_points(distribution, HELDOUT_POINTS, seed=1),
            )
            self.modes = modes(distribution)
            self.data_name = distribution
        else:
            train, heldout = spread_drawing(drawn, TRAIN_POINTS, 0), spread_drawing(drawn, HELDOUT_POINTS, 1)
            self.modes, self.data_name = None, "your drawing"
        # Modes are defined for the ring and the grid only: no empty charts for the others.
        self.curves = {
            title: names
            for title, names in type(self).curves.items()
            if self.modes is not None or not set(names) & MODE_METRICS
        }
        self.train_x = torch.as_tensor(train, device=self.device)
        self.heldout = torch.as_tensor(heldout, device=self.device)
        self.extent = _square_extent(train)
        x_min, x_max, y_min, y_max = self.extent
        ys, xs = torch.meshgrid(
            torch.linspace(y_min, y_max, LATTICE), torch.linspace(x_min, x_max, LATTICE), indexing="ij"
        )
        # Row 0 of the heat field is the lowest y, as the Field payload expects.
        self.lattice = torch.stack([xs, ys], dim=-1).reshape(-1, 2).to(self.device)

    # -- measuring ----------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        fake = self.trainer.sample(self.fixed_noise)
        d_fake = float(torch.sigmoid(self.trainer.discriminator(fake)).mean())
        self.watch_for_a_complete_win(d_fake)
        metrics = {"heldout_energy": float(energy_distance(fake, self.heldout)), "heldout_d_fake": d_fake}
        if self.modes is not None:
            covered, quality = covered_modes(
                fake.cpu().numpy(), self.modes, min_share=1 / (4 * len(self.modes.centres))
            )
            metrics.update(modes_covered=covered, high_quality=quality)
        return metrics

    def generator_push(self, fake: torch.Tensor) -> torch.Tensor:
        """−∂(G loss)/∂x at each fake point x: the direction G's next step moves it. The loss is
        summed over points, so each arrow is that point's own gradient."""
        x = fake.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = generator_loss(self.trainer.discriminator(x), self.config.generator_loss) * len(x)
            (gradient,) = torch.autograd.grad(loss, x)
        return -gradient

    # -- showing ------------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        return {"field": self.field()}

    @torch.no_grad()
    def field(self) -> Field:
        fake = self.trainer.sample(self.fixed_noise[:SHOWN_POINTS])
        heat = torch.sigmoid(self.trainer.discriminator(self.lattice)).reshape(LATTICE, LATTICE)
        origins = fake[:ARROW_POINTS]
        width = self.extent[1] - self.extent[0]
        push = self.generator_push(origins) * (ARROW_SCALE * width)
        length = push.norm(dim=1, keepdim=True)
        push = push * (ARROW_CAP * width / length.clamp(min=ARROW_CAP * width))
        return Field(
            f"D(x) over the plane; real points of {self.data_name} and generated G(z)",
            heat.cpu().numpy(),
            self.extent,
            {"real": self.heldout[:SHOWN_POINTS].cpu().numpy(), "generated": fake.cpu().numpy()},
            arrows=(origins.cpu().numpy(), push.cpu().numpy()),
            heat_label="D(x)",
            draw_command="draw",
        )

    # -- drawing your own distribution ---------------------------------------------------------
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "draw":
            self.use_data("drawn", check_drawn_points(kwargs["points"]))
            return {"field": self.field()}
        return super().probe(command, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        drawn = np.zeros((0, 2), np.float32) if self.drawn is None else self.drawn
        return {**super().state_dict(), "drawn": cpu_copy(torch.as_tensor(drawn))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        drawn = state["drawn"].numpy()
        self.use_data(self.config.distribution, drawn if len(drawn) else None)


def _square_extent(points: np.ndarray) -> tuple[float, float, float, float]:
    """A square around the points with a margin, so circles stay round and D's edges show."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre, half = (low + high) / 2, float(np.max(high - low)) * (0.5 + MARGIN)
    return (
        float(centre[0] - half),
        float(centre[0] + half),
        float(centre[1] - half),
        float(centre[1] + half),
    )
