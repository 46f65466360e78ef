"""Variational autoencoder (Kingma & Welling 2014): an autoencoder whose code is a distribution.

    μ, log σ²  = encoder(x)                       q(z|x) = N(μ, σ²), a cloud, not a point
    z          = μ + σ ⊙ ε,   ε ~ N(0, I)          the reparameterisation trick
    x̂          = sigmoid(decoder(z))              p(x_j = 1 | z), a Bernoulli per pixel
    reconstruction = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]
    KL         = ½ Σ_k (μ_k² + σ_k² − log σ_k² − 1)      KL(q(z|x) ‖ N(0, I))
    L          = reconstruction + β · KL          β = 1: L = −ELBO ≥ −log p(x), in nats per image

The KL term packs every digit's cloud into the standard normal, so any z drawn from N(0, I)
decodes to a digit: the model generates.

Conditional (Sohn et al. 2015): both halves also read the one-hot label y.

    q(z|x, y) = N(μ(x, y), σ²(x, y))     p(x|z, y) = Bernoulli(x̂(z, y))
    L = −E_q[log p(x|z, y)] + β · KL(q(z|x, y) ‖ N(0, I))

y says which digit; z is left to carry the rest (slant, width, stroke). Decoding one z with
y = 0 … 9 writes the ten digits in one hand, and choosing y draws the digit asked for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from unsuplab.core.config import MAX_WIDTH, param
from unsuplab.core.payloads import ImageGrid, PairedRows, Payload, Scatter
from unsuplab.core.registry import register
from unsuplab.data import ImageDataset
from unsuplab.experiments._digit_judge import HIT_RATE_CURVE, HIT_RATE_METRICS, NearestMeanJudge
from unsuplab.experiments._gradient import GradientTrained
from unsuplab.experiments._image_autoencoder import (
    ImageAutoencoderLesson,
    batch_size_field,
    check_code_width,
    data_file_field,
    dataset_field,
    learning_rate_field,
    parse_widths,
)
from unsuplab.models.state import cpu_copy
from unsuplab.models.vae import GaussianVAE, bernoulli_nll, gaussian_kl, reparameterise

BINARISE_SEED = 1234  # the same fixed binarisation and held-out ε for every run and seed
MANIFOLD_SIDE = 15  # decodings per side of the manifold lattice
PRIOR_SAMPLES = 64
SAMPLE_COLUMNS = 10  # conditional samples: a row per digit, the same 10 z's in every row
PICK_COLUMNS = 10  # the digit picker: 3 rows of 10 held-out digits, 0 to 9 in each row
PICK_ROWS = 3
INTERPOLATION_STEPS = 10
FILTER_TILES = 100  # first-layer filters shown (of 512)


def binarise_field() -> Any:
    return param(
        "dynamic",
        "How grey pixels become the 0/1 values the Bernoulli decoder models. "
        "dynamic: each minibatch draws x_j ~ Bernoulli(grey_j) afresh, held-out digits "
        "once with a fixed seed (Burda et al.'s protocol); fixed: every image drawn once "
        "with a fixed seed; threshold: x_j = [grey_j > ½]; none: grey targets (the loss "
        "is then not a likelihood in nats).",
        choices=("dynamic", "fixed", "threshold", "none"),
    )


def binarised(data: ImageDataset, mode: str) -> ImageDataset:
    """The data set with pixels made 0/1 as `mode` says (see `binarise_field`)."""
    if mode == "none":
        return data
    rng = np.random.default_rng(BINARISE_SEED)

    def make_binary(images: np.ndarray) -> np.ndarray:
        if mode == "threshold":
            return (images > 0.5).astype(np.float32)
        return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)

    # dynamic: training digits stay grey and are drawn anew in every minibatch.
    train = data.train_images if mode == "dynamic" else make_binary(data.train_images)
    return dataclasses.replace(data, train_images=train, test_images=make_binary(data.test_images))


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    binarise: str = binarise_field()
    hidden: str = param(
        "512",
        "Widths of the relu layers between the pixels and (μ, log σ²), "
        "mirrored in the decoder: 512 gives 784-512-z-512-784.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    code_size: int = param(
        2,
        "Latent size d of z = μ + σ ⊙ ε. 2 draws the latent plane as it is "
        "and decodes a lattice of it; wider codes reconstruct better and are "
        "projected on their two principal axes.",
        low=1,
        high=512,
    )
    beta: float = param(
        1.0,
        "β in L = reconstruction + β·KL. 1 is the true ELBO; β > 1 "
        "(β-VAE) presses the codes harder into N(0, I), β < 1 favours sharp "
        "reconstructions. Can change while training.",
        low=0.0,
        high=100.0,
        live=True,
    )
    learning_rate: float = learning_rate_field()
    batch_size: int = batch_size_field(128)
    conditional: bool = param(
        False,
        "Feed the one-hot label y to the encoder and the decoder: q(z|x, y), p(x|z, y). "
        "The samples then come in a row per digit, and a digit chooser beside the latent "
        "plane says which digit a dragged z is decoded as.",
    )

    def check(self) -> None:
        parse_widths("hidden", self.hidden)
        check_code_width(self)


@register
class VariationalAutoencoder(GradientTrained, ImageAutoencoderLesson):
    name = "vae"
    title = "Variational autoencoder"
    group = "Generative"
    summary = "Encode each digit as a Gaussian cloud, decode any point of N(0, I) into a digit."
    Config = Config
    #: The true ELBO against a β-VAE.
    comparisons = {
        "β = 1 vs β = 4": {"beta": (1.0, 4.0)},
        "Unconditional vs conditional": {"conditional": (False, True)},
    }
    curves = {
        "Negative ELBO (nats per image)": ("negative_elbo", "heldout_negative_elbo"),
        "Reconstruction −log p(x|z) (nats per image)": ("reconstruction", "heldout_reconstruction"),
        "KL(q(z|x) ‖ N(0, I)) (nats per image)": ("kl", "heldout_kl"),
    }
    quick_settings = {"batch_size": 64, "hidden": "128"}
    quick_steps = 60
    presets = {
        "10-D code": {"code_size": 10},
        "Conditional: draw me a 7": {"conditional": True},
        "β = 4": {"beta": 4.0},
        "β = 0.1": {"beta": 0.1},
        "β = 0": {"beta": 0.0},
    }
    codes_from_evaluation = True

    def __init__(self, config: Config | None = None):
        super().__init__(config)
        if self.config.conditional:
            self.curves = {**self.curves, HIT_RATE_CURVE: HIT_RATE_METRICS}

    @property
    def filter_panel_shape(self) -> tuple[int, int, int]:
        return (min(FILTER_TILES, parse_widths("hidden", self.config.hidden)[0]), *self.image_shape)

    # -- the model and its loss, as on the slide ------------------------------------------------
    def make_model(self, pixels: int) -> nn.Module:
        cfg = self.config
        return GaussianVAE(pixels, parse_widths("hidden", cfg.hidden), cfg.code_size, self.classes)

    def load_data(self) -> ImageDataset:
        data = binarised(super().load_data(), self.config.binarise)
        # Conditional: one one-hot input per class, and the labels on the device beside the images.
        self.classes = int(data.train_labels.max()) + 1 if self.config.conditional else 0
        self.train_y = torch.as_tensor(data.train_labels, device=self.device)
        self.test_y = torch.as_tensor(data.test_labels, device=self.device)
        return data

    def labels(self, y: torch.Tensor | None) -> torch.Tensor | None:
        """The labels y a conditional model reads; None for an unconditional one."""
        return y if self.classes else None

    def elbo_terms(
        self,
        x: torch.Tensor,
        eps: torch.Tensor,
        x_in: torch.Tensor | None = None,
        y: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """The loss L = reconstruction + β·KL and its terms, averaged over the batch; the encoder
        reads `x_in` (x corrupted, where noise was asked for) and the decoder must give back x.
        A conditional model reads the labels y too."""
        mean, log_variance = self.model.posterior(x if x_in is None else x_in, y)
        z = reparameterise(mean, log_variance, eps)
        reconstruction = bernoulli_nll(self.model.decode_logits(z, y), x).mean()
        kl = gaussian_kl(mean, log_variance).mean()
        return {
            "loss": reconstruction + self.config.beta * kl,
            "negative_elbo": reconstruction + kl,
            "reconstruction": reconstruction,
            "kl": kl,
        }

    def labelled_minibatch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A random minibatch of training images (binarised afresh under "dynamic") and the
        labels the model reads (None unless conditional)."""
        idx = torch.randint(
            len(self.train_x), (self.config.batch_size,), device=self.device, generator=self.generator
        )
        x = self.train_x[idx]
        if self.config.binarise == "dynamic":
            x = torch.bernoulli(x, generator=self.generator)
        return x, self.labels(self.train_y[idx])

    def minibatch(self) -> torch.Tensor:
        return self.labelled_minibatch()[0]

    def noise(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """ε ~ N(0, I), `count` rows of the latent size, on the device."""
        return torch.randn((count, self.config.code_size), generator=generator, device=self.device)

    # -- training and evaluation ----------------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        # One ε per held-out digit, fixed, so the held-out ELBO moves only when the model does.
        self.heldout_noise = self.noise(
            len(self.test_x), torch.Generator(self.device).manual_seed(BINARISE_SEED)
        )
        # The prior samples panel decodes the same z's all run long (kept in the state).
        self.prior_noise = self.noise(PRIOR_SAMPLES, torch.Generator(self.device).manual_seed(seed))
        self.pick_index = _spread_over_labels(self.test_labels, PICK_COLUMNS * PICK_ROWS)
        self.picks = self.default_picks()
        self._plane: tuple[torch.Tensor, torch.Tensor] | None = None
        self.chosen_digit = 0  # conditional: the y the latent plane, manifold and pad decode with
        if self.classes:
            self.judge = NearestMeanJudge(self.train_x, self.train_y, self.classes)
            self.judged_noise = self.noise(len(self.test_x), torch.Generator(self.device).manual_seed(seed))

    def train_step(self) -> dict[str, torch.Tensor]:
        x, y = self.labelled_minibatch()
        terms = self.elbo_terms(x, self.noise(len(x), self.generator), self.corrupt(x, self.generator), y)
        self.descend(terms["loss"])
        return {name: value.detach() for name, value in terms.items()}

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        terms = self.elbo_terms(self.test_x, self.heldout_noise, self.test_input, self.labels(self.test_y))
        self._evaluated_codes = self.encode(self.test_x[self.latent_index], self.test_y[self.latent_index])
        metrics = {f"heldout_{name}": float(value) for name, value in terms.items()}
        if self.classes:  # decodings of fixed z's asked for 0, 1, …, 9 in turn, and real digits
            asked = torch.arange(len(self.judged_noise), device=self.device) % self.classes
            metrics["samples_hit_rate"] = self.judge.hit_rate(self.decode(self.judged_noise, asked), asked)
            metrics["real_digits_hit_rate"] = self.judge.hit_rate(self.test_x, self.test_y)
        return metrics

    # -- what other lessons use: encode, reconstruct, decode, sample -----------------------------
    # y: the labels of the images, or the digits to draw; read only by a conditional model.
    @torch.no_grad()
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Codes μ (n, d) of flattened images x (n, pixels) on the device."""
        return self.model.encode(x, self.labels(y))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstructions (n, pixels) in [0, 1] of flattened images x (n, pixels)."""
        return self.model(x, self.labels(y))[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder means x̂ (n, pixels) in [0, 1] of latent points z (n, d) on the device."""
        return self.model.decode(z, self.labels(y))

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        """n images (n, pixels) decoded from z ~ N(0, I): the model as a generator."""
        return self.decode(self.noise(n, generator or self.generator), y)

    def digits(self, n: int) -> torch.Tensor | None:
        """n labels y = the chosen digit, for decoding; None for an unconditional model."""
        if not self.classes:
            return None
        return torch.full((n,), self.chosen_digit, dtype=torch.int64, device=self.device)

    # -- panels ---------------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = super().snapshot()
        latent = panels.pop("latent")
        filters = panels.pop("filters")
        return {
            "latent": latent,
            "manifold": self.manifold_panel(),
            "samples": self.samples_panel(),
            **panels,
            "interpolation": self.interpolation_panel(),
            "pick": self.pick_panel(),
            "filters": filters,
        }

    def samples_panel(self) -> ImageGrid:
        """Decodings of the fixed draws of z; conditional: a row per digit y, a column per z."""
        shape = (-1, *self.image_shape)
        if not self.classes:
            return ImageGrid(
                "Samples: decodings of z ~ N(0, I)",
                self.decode(self.prior_noise).cpu().numpy().reshape(shape),
                "unit",
                caption="The same 64 draws of z all run long: watch noise become digits.",
            )
        z = self.prior_noise[:SAMPLE_COLUMNS].repeat(self.classes, 1)
        y = torch.arange(self.classes, device=self.device).repeat_interleave(SAMPLE_COLUMNS)
        return ImageGrid(
            f"Samples: decodings of z ~ N(0, I) with y = 0 … {self.classes - 1}, a row per digit",
            self.decode(z, y).cpu().numpy().reshape(shape),
            "unit",
            columns=SAMPLE_COLUMNS,
            caption=f"Row k asks for digit k (top row 0, bottom row {self.classes - 1}); each "
            "column keeps one z: the same hand writes every digit.",
        )

    def filter_images(self) -> np.ndarray:
        return super().filter_images()[:FILTER_TILES]

    def held_out_codes(self) -> torch.Tensor:
        if self._evaluated_codes is not None:
            return self._evaluated_codes
        return self.encode(self.test_input[self.latent_index], self.test_y[self.latent_index])

    def reconstruction_rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        if not self.classes:
            return super().reconstruction_rows(index)
        shape = (-1, *self.image_shape)
        x_in = self.test_input[index]
        return {
            "input": x_in.cpu().numpy().reshape(shape),
            "reconstruction": self.reconstruct(x_in, self.test_y[index]).cpu().numpy().reshape(shape),
        }

    def latent_plane(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(origin, two axes (2, d)) of the plane the latent map draws: z itself for d = 2, else
        the μ's mean and their two principal directions."""
        if codes.shape[1] == 2:
            return torch.zeros(2, device=codes.device), torch.eye(2, device=codes.device)
        origin = codes.mean(dim=0)
        _, _, v = torch.linalg.svd(codes - origin, full_matrices=False)
        if v.shape[0] < 2:  # a 1-D code: the plane's second axis decodes nothing new
            v = torch.cat([v, torch.zeros_like(v)])
        return origin, v[:2]

    def latent_map(self) -> Scatter:
        codes = self.held_out_codes()
        origin, axes = self._plane = self.latent_plane(codes)
        points = (codes - origin) @ axes.T
        if codes.shape[1] == 2:
            title, names = "μ of held-out digits: click anywhere to decode that z", ("z₁", "z₂")
        else:
            title = f"μ of held-out digits ({codes.shape[1]}-D), on their two principal axes: click to decode"
            names = ("PC 1", "PC 2")
        if self.classes:
            title += " as the digit chosen"
        return Scatter(
            title,
            points.cpu().numpy(),
            self.test_labels[self.latent_index],
            self.thumbnails,
            *names,
            plane_command="decode",
            plane_choices=[str(k) for k in range(self.classes)] if self.classes else None,
            plane_choice_title="Digit y",
            plane_choice=self.chosen_digit,
        )

    def plane_point(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Latent points z = origin + a·axis₁ + b·axis₂ for coordinates on the latent map."""
        if self._plane is None:
            self.latent_map()
        origin, axes = self._plane
        return origin + a[:, None] * axes[0] + b[:, None] * axes[1]

    def manifold_panel(self) -> ImageGrid:
        """Decodings over a lattice equally spaced in probability: z = Φ⁻¹(u), u in (0.05, 0.95)."""
        u = torch.linspace(0.05, 0.95, MANIFOLD_SIDE, device=self.device)
        lattice = torch.distributions.Normal(0.0, 1.0).icdf(u)
        spread = torch.ones(2, device=self.device)
        if self.config.code_size != 2:
            # Along the principal axes, the lattice spans the μ cloud: scale by its spread there.
            codes = self.held_out_codes()
            origin, axes = self._plane
            spread = ((codes - origin) @ axes.T).std(dim=0)
        # Top row = largest z₂, so the grid sits on the latent map the way the plane is drawn.
        b, a = torch.meshgrid(lattice.flip(0) * spread[1], lattice * spread[0], indexing="ij")
        images = self.decode(self.plane_point(a.flatten(), b.flatten()), self.digits(a.numel()))
        as_digit = f" with y = {self.chosen_digit}" if self.classes else ""
        return ImageGrid(
            f"Decoded manifold: {MANIFOLD_SIDE}×{MANIFOLD_SIDE} points z = Φ⁻¹(u){as_digit}",
            images.cpu().numpy().reshape(-1, *self.image_shape),
            "unit",
            columns=MANIFOLD_SIDE,
            caption="u on an even grid in (0.05, 0.95): each step holds the same "
            "prior probability. Left to right z₁ grows, bottom to top z₂ "
            + (
                "grows."
                if self.config.code_size == 2
                else "(the two principal axes of the μ's, scaled by their spread)."
            ),
        )

    def pick_panel(self) -> ImageGrid:
        """The digit picker, its two chosen ends framed."""
        return ImageGrid(
            "Held-out digits: click two to interpolate between their codes",
            self.test_x[self.pick_index].cpu().numpy().reshape(-1, *self.image_shape),
            "unit",
            columns=PICK_COLUMNS,
            click_command="pick",
            marked=tuple(int(i) for i in self.picks),
        )

    def interpolation_panel(self) -> ImageGrid:
        """Decodings of z = (1 − t)·μ_a + t·μ_b for t from 0 to 1 between the two picked digits."""
        first, second = (int(self.pick_index[i]) for i in self.picks)
        ends = self.encode(self.test_x[[first, second]], self.test_y[[first, second]])
        t = torch.linspace(0, 1, INTERPOLATION_STEPS, device=self.device)[:, None]
        images = self.decode((1 - t) * ends[0] + t * ends[1], self.digits(INTERPOLATION_STEPS))
        as_digit = f", drawn as y = {self.chosen_digit}" if self.classes else ""
        return ImageGrid(
            f"Interpolation from digit {self.test_labels[first]} to digit "
            f"{self.test_labels[second]}: decodings of (1 − t)·μ_a + t·μ_b{as_digit}",
            images.cpu().numpy().reshape(-1, *self.image_shape),
            "unit",
            columns=INTERPOLATION_STEPS,
            caption="Click two digits in the picker to choose other ends.",
        )

    def default_picks(self) -> list[int]:
        """The first 0 and the first 1 in the picker (far apart in the latent plane), if present."""
        labels = list(self.test_labels[self.pick_index])
        wanted = [labels.index(c) for c in (0, 1) if c in labels]
        return wanted if len(wanted) == 2 else [0, min(1, len(labels) - 1)]

    # -- state and probes -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["prior_noise"] = cpu_copy(self.prior_noise)
        state["picks"] = list(self.picks)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.prior_noise = state["prior_noise"].to(self.device)
        self.picks = list(state["picks"])
        self._plane = None

    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "decode":
            z = self.plane_point(
                torch.tensor([float(kwargs["x"])], device=self.device),
                torch.tensor([float(kwargs["y"])], device=self.device),
            )
            coordinates = ", ".join(f"{v:.2f}" for v in z[0, :4].tolist())
            more = ", …" if z.shape[1] > 4 else ""
            answer = {}
            if self.classes and "choice" in kwargs:
                answer = self.choose_digit(int(kwargs["choice"]))
            as_digit = f" with y = {self.chosen_digit}" if self.classes else ""
            return {
                "decoded": ImageGrid(
                    f"Decoded z = ({coordinates}{more}){as_digit}",
                    self.decode(z, self.digits(1)).cpu().numpy().reshape(1, *self.image_shape),
                    "unit",
                ),
                **answer,
            }
        if command == "reconstruct" and self.classes:
            return self.reconstruct_drawing(kwargs["image"])
        if command == "pick":
            index = int(kwargs["index"])
            if not 0 <= index < len(self.pick_index):
                raise ValueError(f"no digit {index} in the picker (0..{len(self.pick_index) - 1})")
            # The newest pick becomes the second end; the previous second end becomes the first.
            self.picks = [self.picks[1], index]
            return {"interpolation": self.interpolation_panel(), "pick": self.pick_panel()}
        return super().probe(command, **kwargs)

    def choose_digit(self, digit: int) -> dict[str, Payload]:
        """Decode as digit y = `digit` from now on; the panels that show it, redrawn."""
        if not 0 <= digit < self.classes:
            raise ValueError(f"no digit {digit} to choose (0..{self.classes - 1})")
        if digit == self.chosen_digit:
            return {}
        self.chosen_digit = digit
        return {"manifold": self.manifold_panel(), "interpolation": self.interpolation_panel()}

    def reconstruct_drawing(self, image: Any) -> dict[str, Payload]:
        """The pad's drawing through q(z|x, y) and p(x|z, y) with y the chosen digit."""
        x = torch.as_tensor(np.asarray(image, dtype=np.float32), device=self.device)
        if x.shape != self.image_shape or not bool(((x >= 0) & (x <= 1)).all()):
            raise ValueError(
                f"expected a {self.image_shape} image with values in [0, 1], got shape {x.shape}"
            )
        x_hat = self.reconstruct(x.reshape(1, -1), self.digits(1))
        return {
            "drawing": PairedRows(
                f"Your drawing and its reconstruction as y = {self.chosen_digit}",
                {
                    "input": x.cpu().numpy()[None],
                    "reconstruction": x_hat.cpu().numpy().reshape(1, *self.image_shape),
                },
            )
        }


def _spread_over_labels(labels: np.ndarray, count: int) -> np.ndarray:
    """Up to `count` indices taking labels in turn (0, 1, …, 9, 0, 1, …), so every digit shows."""
    queues = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    chosen: list[int] = []
    while len(chosen) < min(count, len(labels)):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(int(queue.pop(0)))
    return np.array(chosen)
