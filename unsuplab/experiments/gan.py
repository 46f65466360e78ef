"""Generative adversarial network on digits: the course's algorithm (Goodfellow et al. 2014).

    for each training step:
        k times:  x ~ data,  z ~ N(0, I)
                  D ← D − η ∇_D ( −log D(x) − log(1 − D(G(z))) )        the discriminator's step
        once:     z ~ N(0, I)
                  G ← G − η ∇_G  log(1 − D(G(z)))                        minimax
               or G ← G − η ∇_G ( −log D(G(z)) )                          non-saturating

G turns noise into images, D tells real from fake; at the fixed point D(x) = ½ everywhere.
The MLP's D also reads the minibatch standard deviation s = mean_j √(Var_batch(h_j) + 10⁻⁸) of
its last hidden features h (Karras et al. 2018), which keeps G from collapsing onto a few digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from unsuplab.core.config import MAX_WIDTH, ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import ImageGrid, PairedRows, Payload
from unsuplab.core.registry import register
from unsuplab.data import load_dataset, load_files
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.experiments._image_autoencoder import (
    batch_size_field,
    data_file_field,
    dataset_field,
    parse_widths,
)
from unsuplab.models.gan import (
    GENERATOR_LOSSES,
    DCDiscriminator,
    DCGenerator,
    GanTrainer,
    MLPDiscriminator,
    MLPGenerator,
    frechet_distance,
)
from unsuplab.models.state import cpu_copy

SHOWN_SAMPLES = 64  # the grid of samples: the first 64 of the fixed noise batch
HISTORY_SAMPLES = 10  # samples per saved row of the history strip
EVAL_SAMPLES = 500  # samples compared with the 500 held-out images
PCA_COMPONENTS = 20  # pixel-PCA directions the Fréchet distance is measured in
DOUBLING_START = 100  # "doubling" saves at 100, 200, 400, ...
#: D "won completely" when mean D(G(z)) on the fixed noise stays below this for WON_STEPS steps.
WON_LEVEL = 1e-4
WON_STEPS = 200


def parse_saved_steps(text: str) -> tuple[int, ...] | None:
    """Steps at which the history strip saves samples: "200,1000,5000", or None for "doubling"."""
    if text.strip().lower() == "doubling":
        return None
    return parse_widths("saved_steps", text)


@dataclass
class Config:
    dataset: str = dataset_field()
    data_file: str = data_file_field()
    architecture: str = param(
        "mlp",
        "mlp: G z→256→512→784 (LeakyReLU, batch norm, sigmoid "
        "pixels), D 784→512→256→1 (LeakyReLU 0.2, minibatch std). dcgan: G "
        "z→64·7·7→ConvT→32·14·14→ConvT→28·28, D two strided 4x4 convolutions "
        "(28x28 images only).",
        choices=("mlp", "dcgan"),
    )
    generator_loss: str = param(
        "non-saturating",
        "non-saturating: G minimises −log D(G(z)) "
        "(strong gradients while D wins). minimax: G minimises "
        "log(1 − D(G(z))), the game's own payoff, which saturates.",
        choices=GENERATOR_LOSSES,
    )
    noise_size: int = param(
        100, "Dimension of the noise z ~ N(0, I) that G turns into an image.", low=1, high=1024
    )
    hidden: str = param(
        "256,512",
        "MLP widths of G's hidden layers, e.g. 256,512; D uses them in reverse (512,256). Not used by dcgan.",
        list_of="widths",
        low=1,
        high=MAX_WIDTH,
    )
    minibatch_std: bool = param(
        True,
        "mlp only: D's read-out also sees s = mean_j √(Var_batch(h_j) "
        "+ 10⁻⁸), the spread of its last hidden features h over the batch "
        "(Karras et al. 2018), so a batch of near-identical fakes is easy "
        "to spot: keeps G from collapsing onto a few digits in long runs.",
    )
    d_steps: int = param(
        1,
        "k, the discriminator steps per generator step in the algorithm. Can change while training.",
        low=1,
        high=20,
        live=True,
    )
    learning_rate: float = param(
        2e-4,
        "Adam step size η for both players (β₁ = 0.5, β₂ = 0.999, as DCGAN). Can change while training.",
        low=1e-6,
        high=1.0,
        log=True,
        live=True,
    )
    batch_size: int = batch_size_field(64)
    saved_steps: str = param(
        "200,500,1000,2000,5000,10000",
        "Steps at which the history strip keeps "
        "10 samples of the same noise vectors, e.g. 1000,3000,5000; or "
        "'doubling' for 100, 200, 400, ...",
        list_of="numbers",
        low=1,
        high=10_000_000,
    )

    def check(self) -> None:
        parse_widths("hidden", self.hidden)
        parse_saved_steps(self.saved_steps)
        shape = IMAGE_SHAPES.get(self.dataset) if not self.data_file else None
        if self.architecture == "dcgan" and shape is not None and shape != (28, 28):
            raise ConfigError(
                "architecture",
                f"dcgan is built for 28x28 images, and {self.dataset} has {shape[0]}x{shape[1]}; choose mlp",
            )


class AdversarialLesson(Experiment):
    """What both GAN lessons share: the alternating update with k D steps per G step, the
    "D step" / "G step" buttons, the fixed noise batch, and the watch for a discriminator that
    has won completely. A subclass calls `start` in its `build` and says what a real batch is."""

    actions = {
        "train_d": ("D step", "One discriminator step alone: G stays fixed"),
        "train_g": ("G step", "One generator step alone: D stays fixed"),
    }
    training_actions = frozenset(actions)
    guarded_metrics = ("d_loss", "g_loss")

    def start(self, device: str, seed: int) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        torch.manual_seed(seed)
        self._won_since: int | None = None
        self._failure = ""

    def begin_game(
        self, generator: torch.nn.Module, discriminator: torch.nn.Module, fixed_noise_count: int
    ) -> None:
        self.trainer = GanTrainer(
            generator.to(self.device), discriminator.to(self.device), self.config.learning_rate
        )
        # The fixed noise: the pictures show the same z as they evolve, and the held-out measure
        # compares like with like. It travels in the state.
        self.fixed_noise = torch.randn(
            fixed_noise_count, self.config.noise_size, device=self.device, generator=self.generator
        )

    def real_batch(self) -> torch.Tensor:
        idx = torch.randint(
            len(self.train_x), (self.config.batch_size,), device=self.device, generator=self.generator
        )
        return self.train_x[idx]

    def noise_batch(self) -> torch.Tensor:
        return torch.randn(
            self.config.batch_size, self.config.noise_size, device=self.device, generator=self.generator
        )

    def train_step(self) -> dict[str, torch.Tensor]:
        if self._failure:
            raise RuntimeError(self._failure)
        for _ in range(self.config.d_steps):
            d_terms = self.trainer.discriminator_step(self.real_batch(), self.noise_batch())
        g_terms = self.trainer.generator_step(self.noise_batch(), self.config.generator_loss)
        self.after_step(self.step + 1)
        return {**d_terms, **g_terms}

    def after_step(self, steps_done: int) -> None:
        """Called after every training step, `steps_done` counting it (the image GAN saves its
        history strip here)."""

    def watch_for_a_complete_win(self, d_fake: float) -> None:
        """Stop the next step with a message once D has rejected every sample for a while: G's
        minimax gradient is then ~0 and training can only stall."""
        if d_fake >= WON_LEVEL:
            self._won_since = None
        elif self._won_since is None:
            self._won_since = self.step
        elif self.step - self._won_since >= WON_STEPS:
            self._failure = (
                f"the discriminator won completely: mean D(G(z)) stayed below "
                f"{WON_LEVEL:g} for {self.step - self._won_since} steps, so G "
                "gets almost no gradient. Choose the non-saturating loss, fewer "
                "D steps or a lower learning rate, then resume or reset."
            )

    def train_action(self, name: str) -> dict[str, torch.Tensor]:
        if name == "train_d":
            terms = self.trainer.discriminator_step(self.real_batch(), self.noise_batch())
        elif name == "train_g":
            terms = self.trainer.generator_step(self.noise_batch(), self.config.generator_loss)
        else:
            return super().train_action(name)
        self.after_step(self.step + 1)
        return terms

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "learning_rate":
            self.trainer.set_learning_rate(value)

    def state_dict(self) -> dict[str, Any]:
        return cpu_copy({"trainer": self.trainer.state_dict(), "fixed_noise": self.fixed_noise})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.trainer.load_state_dict(state["trainer"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self._won_since, self._failure = None, ""

    @torch.no_grad()
    def generate(self, count: int, seed: int = 0) -> torch.Tensor:
        """`count` samples G(z) (flattened images, or points) from noise of the given seed."""
        noise = torch.Generator(device=self.device).manual_seed(seed)
        z = torch.randn(count, self.config.noise_size, device=self.device, generator=noise)
        return self.trainer.sample(z)


@register
class Gan(AdversarialLesson):
    name = "gan"
    title = "GAN"
    group = "Generative"
    summary = "A generator learns to fool a discriminator; noise turns into digits."
    Config = Config
    #: Goodfellow's two generator losses.
    comparisons = {"Non-saturating vs minimax loss": {"generator_loss": ("non-saturating", "minimax")}}
    curves = {
        "Losses of D and G": ("d_loss", "g_loss"),
        "Mean D(x) on real and D(G(z)) on generated images": ("d_real", "d_fake"),
        "Fréchet distance to held-out digits (pixel PCA)": ("heldout_fd",),
    }
    progress_metric = ("heldout_fd", "down")
    quick_settings = {"batch_size": 32, "hidden": "64,128"}
    # The pixel-PCA distance falls by 10 % only after ~60 steps at these settings; 100 leaves a margin.
    quick_steps = 100
    presets = {
        "Minimax, 5 D steps": {"generator_loss": "minimax", "d_steps": 5},
        "Learning rate 0.01": {"learning_rate": 0.01},
        "DCGAN": {"architecture": "dcgan"},
        "Doubling saved steps": {"saved_steps": "doubling"},
    }

    def build(self, device: str, seed: int) -> None:
        cfg = self.config
        self.start(device, seed)
        data = load_files(cfg.data_file) if cfg.data_file else load_dataset(cfg.dataset)
        if cfg.architecture == "dcgan" and data.image_shape != (28, 28):
            raise ConfigError(
                "architecture",
                f"dcgan is built for 28x28 images, and the data "
                f"has {data.image_shape[0]}x{data.image_shape[1]}; choose mlp",
            )
        self.image_shape = data.image_shape
        self.train_x = torch.as_tensor(
            data.train_images.reshape(len(data.train_images), -1), device=self.device
        )
        test_x = torch.as_tensor(data.test_images.reshape(len(data.test_images), -1), device=self.device)
        self.pca_mean, self.pca_axes = _principal_axes(self.train_x, PCA_COMPONENTS)
        self.test_features = self.pixel_features(test_x[:EVAL_SAMPLES])
        self.begin_game(*self.make_players(data.pixels), max(EVAL_SAMPLES, SHOWN_SAMPLES))
        self.saved_steps: list[int] = []
        self.saved_samples: list[torch.Tensor] = []
        self.wanted_steps = parse_saved_steps(cfg.saved_steps)

    def make_players(self, pixels: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        cfg = self.config
        if cfg.architecture == "dcgan":
            return DCGenerator(cfg.noise_size), DCDiscriminator()
        widths = parse_widths("hidden", cfg.hidden)
        return (
            MLPGenerator(cfg.noise_size, widths, pixels, batch_norm=True),
            MLPDiscriminator(pixels, widths[::-1], cfg.minibatch_std),
        )

    def after_step(self, steps_done: int) -> None:
        if self.is_saved_step(steps_done):
            self.saved_steps.append(steps_done)
            self.saved_samples.append(self.trainer.sample(self.fixed_noise[:HISTORY_SAMPLES]))

    def is_saved_step(self, step: int) -> bool:
        if self.wanted_steps is None:  # doubling: 100 · 2^n
            ratio = step // DOUBLING_START
            return step % DOUBLING_START == 0 and ratio & (ratio - 1) == 0
        return step in self.wanted_steps

    # -- measuring ----------------------------------------------------------------------------
    def pixel_features(self, images: torch.Tensor) -> torch.Tensor:
        """Coordinates of flattened images on the training set's top principal axes."""
        return (images - self.pca_mean) @ self.pca_axes.T

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        samples = self.trainer.sample(self.fixed_noise[:EVAL_SAMPLES])
        d_fake = float(torch.sigmoid(self.trainer.discriminator(samples)).mean())
        self.watch_for_a_complete_win(d_fake)
        fd = frechet_distance(self.pixel_features(samples), self.test_features)
        return {"heldout_fd": float(fd), "heldout_d_fake": d_fake}

    # -- showing ------------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        shape = (-1, *self.image_shape)
        samples = self.trainer.sample(self.fixed_noise[:SHOWN_SAMPLES]).cpu().numpy().reshape(shape)
        rows = {
            f"step {step}": images.cpu().numpy().reshape(shape)
            for step, images in zip(self.saved_steps, self.saved_samples, strict=True)
        }
        rows[f"now (step {self.step})"] = samples[:HISTORY_SAMPLES]
        return {
            "samples": ImageGrid(
                "Samples G(z) of 64 fixed noise vectors",
                samples,
                "unit",
                columns=8,
                caption=f"step {self.step}",
            ),
            "history": PairedRows("The same 10 noise vectors at the saved steps", rows),
        }

    def state_dict(self) -> dict[str, Any]:
        saved = (
            torch.stack(self.saved_samples)
            if self.saved_samples
            else torch.zeros(0, HISTORY_SAMPLES, self.train_x.shape[1], device=self.device)
        )
        return {
            **super().state_dict(),
            **cpu_copy(
                {"saved_steps": torch.tensor(self.saved_steps, dtype=torch.int64), "saved_samples": saved}
            ),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.saved_steps = [int(s) for s in state["saved_steps"]]
        self.saved_samples = list(state["saved_samples"].to(self.device))


def _principal_axes(x: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean of the rows of x and their top `count` principal axes (rows): eigenvectors of
    the pixel covariance, exact, and several times cheaper than an SVD of the whole data set."""
    mean = x.mean(dim=0)
    centred = (x - mean).double()
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    return mean, vectors[:, -count:].flip(1).T.to(x.dtype)
