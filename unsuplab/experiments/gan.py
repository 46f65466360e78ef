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

Conditional (Mirza & Osindero 2014): both players also read the one-hot label y.

    D ← D − η ∇_D ( −log D(x, y) − log(1 − D(G(z, y), y)) )     (x, y) ~ data
    G ← G − η ∇_G ( −log D(G(z, y), y) )                          y drawn as often as in the data

D now rejects a good 3 offered as a 7, so G must draw the digit it is asked for.
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
from unsuplab.experiments._digit_judge import HIT_RATE_CURVE, HIT_RATE_METRICS, NearestMeanJudge
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
SAMPLE_COLUMNS = 8  # conditional samples: a row per digit, the same 8 z's in every row
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
    conditional: bool = param(
        False,
        "Feed the one-hot digit label y to both players: G(z, y) draws the digit asked for, "
        "D(x, y) judges whether x is a real y. The samples then come in a row per digit.",
    )
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
    #: Conditional players: the number of labels they read, and the training data's labels.
    classes: int = 0
    train_y: torch.Tensor | None = None

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

    def real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A random minibatch of training data and its labels (None unless conditional)."""
        idx = torch.randint(
            len(self.train_x), (self.config.batch_size,), device=self.device, generator=self.generator
        )
        return self.train_x[idx], None if self.train_y is None else self.train_y[idx]

    def label_batch(self) -> torch.Tensor | None:
        """Labels y for a generator step, each as often as in the data (None unless conditional)."""
        if not self.classes:
            return None
        idx = torch.randint(
            len(self.train_y), (self.config.batch_size,), device=self.device, generator=self.generator
        )
        return self.train_y[idx]

    def noise_batch(self) -> torch.Tensor:
        return torch.randn(
            self.config.batch_size, self.config.noise_size, device=self.device, generator=self.generator
        )

    def train_step(self) -> dict[str, torch.Tensor]:
        if self._failure:
            raise RuntimeError(self._failure)
        for _ in range(self.config.d_steps):
            d_terms = self.trainer.discriminator_step(*self.d_batch())
        g_terms = self.trainer.generator_step(*self.g_batch())
        self.after_step(self.step + 1)
        return {**d_terms, **g_terms}

    def d_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(real x, noise z, labels y or None): what one discriminator step reads."""
        real, labels = self.real_batch()
        return real, self.noise_batch(), labels

    def g_batch(self) -> tuple[torch.Tensor, str, torch.Tensor | None]:
        """(noise z, the generator loss, labels y or None): what one generator step reads."""
        return self.noise_batch(), self.config.generator_loss, self.label_batch()

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
            terms = self.trainer.discriminator_step(*self.d_batch())
        elif name == "train_g":
            terms = self.trainer.generator_step(*self.g_batch())
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

    def asked_digits(self, count: int) -> torch.Tensor | None:
        """Labels 0, 1, …, 9, 0, 1, … for `count` conditional samples; None unless conditional."""
        if not self.classes:
            return None
        return torch.arange(count, device=self.device) % self.classes

    @torch.no_grad()
    def generate(self, count: int, seed: int = 0, labels: torch.Tensor | None = None) -> torch.Tensor:
        """`count` samples G(z) (flattened images, or points) from noise of the given seed; a
        conditional G draws the given `labels` (by default 0, 1, …, 9 in turn)."""
        noise = torch.Generator(device=self.device).manual_seed(seed)
        z = torch.randn(count, self.config.noise_size, device=self.device, generator=noise)
        return self.trainer.sample(z, self.asked_digits(count) if labels is None else labels)


@register
class Gan(AdversarialLesson):
    name = "gan"
    title = "GAN"
    group = "Generative"
    summary = "A generator learns to fool a discriminator; noise turns into digits."
    Config = Config
    #: Goodfellow's two generator losses.
    comparisons = {
        "Non-saturating vs minimax loss": {"generator_loss": ("non-saturating", "minimax")},
        "Unconditional vs conditional": {"conditional": (False, True)},
    }
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
        "Conditional: a row per digit": {"conditional": True},
        "Doubling saved steps": {"saved_steps": "doubling"},
    }

    def __init__(self, config: Config | None = None):
        super().__init__(config)
        if self.config.conditional:
            self.curves = {**self.curves, HIT_RATE_CURVE: HIT_RATE_METRICS}

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
        self.classes = int(data.train_labels.max()) + 1 if cfg.conditional else 0
        if cfg.conditional:
            self.train_y = torch.as_tensor(data.train_labels, device=self.device)
            self.judge = NearestMeanJudge(self.train_x, self.train_y, self.classes)
            self.test_x, self.test_y = test_x, torch.as_tensor(data.test_labels, device=self.device)
        self.pca_mean, self.pca_axes = _principal_axes(self.train_x, PCA_COMPONENTS)
        self.test_features = self.pixel_features(test_x[:EVAL_SAMPLES])
        self.begin_game(*self.make_players(data.pixels), max(EVAL_SAMPLES, SHOWN_SAMPLES))
        self.saved_steps: list[int] = []
        self.saved_samples: list[torch.Tensor] = []
        self.wanted_steps = parse_saved_steps(cfg.saved_steps)

    def make_players(self, pixels: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        cfg = self.config
        if cfg.architecture == "dcgan":
            return DCGenerator(cfg.noise_size, classes=self.classes), DCDiscriminator(classes=self.classes)
        widths = parse_widths("hidden", cfg.hidden)
        return (
            MLPGenerator(cfg.noise_size, widths, pixels, batch_norm=True, classes=self.classes),
            MLPDiscriminator(pixels, widths[::-1], cfg.minibatch_std, classes=self.classes),
        )

    def after_step(self, steps_done: int) -> None:
        if self.is_saved_step(steps_done):
            self.saved_steps.append(steps_done)
            self.saved_samples.append(self.sample_fixed(HISTORY_SAMPLES))

    def sample_fixed(self, count: int) -> torch.Tensor:
        """G's samples of the first `count` fixed noise vectors (conditional: digits 0, 1, … in turn)."""
        return self.trainer.sample(self.fixed_noise[:count], self.asked_digits(count))

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
        labels = self.asked_digits(EVAL_SAMPLES)
        samples = self.trainer.sample(self.fixed_noise[:EVAL_SAMPLES], labels)
        d_fake = float(torch.sigmoid(self.trainer.discriminator(samples, labels)).mean())
        self.watch_for_a_complete_win(d_fake)
        fd = frechet_distance(self.pixel_features(samples), self.test_features)
        metrics = {"heldout_fd": float(fd), "heldout_d_fake": d_fake}
        if self.classes:  # samples of the fixed z's asked for 0, 1, …, 9 in turn, and real digits
            metrics["samples_hit_rate"] = self.judge.hit_rate(samples, labels)
            metrics["real_digits_hit_rate"] = self.judge.hit_rate(self.test_x, self.test_y)
        return metrics

    # -- showing ------------------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        shape = (-1, *self.image_shape)
        rows = {
            f"step {step}": images.cpu().numpy().reshape(shape)
            for step, images in zip(self.saved_steps, self.saved_samples, strict=True)
        }
        rows[f"now (step {self.step})"] = self.sample_fixed(HISTORY_SAMPLES).cpu().numpy().reshape(shape)
        history = "The same 10 noise vectors at the saved steps"
        return {
            "samples": self.samples_panel(),
            "history": PairedRows(history + (", asked for digits 0 … 9" if self.classes else ""), rows),
        }

    def samples_panel(self) -> ImageGrid:
        """G's samples of the fixed noise; conditional: a row per digit y, a column per z."""
        shape = (-1, *self.image_shape)
        if not self.classes:
            return ImageGrid(
                "Samples G(z) of 64 fixed noise vectors",
                self.trainer.sample(self.fixed_noise[:SHOWN_SAMPLES]).cpu().numpy().reshape(shape),
                "unit",
                columns=8,
                caption=f"step {self.step}",
            )
        z = self.fixed_noise[:SAMPLE_COLUMNS].repeat(self.classes, 1)
        y = torch.arange(self.classes, device=self.device).repeat_interleave(SAMPLE_COLUMNS)
        return ImageGrid(
            f"Samples G(z, y) with y = 0 … {self.classes - 1}, a row per digit",
            self.trainer.sample(z, y).cpu().numpy().reshape(shape),
            "unit",
            columns=SAMPLE_COLUMNS,
            caption=f"step {self.step}. Row k asks for digit k (top row 0, bottom row "
            f"{self.classes - 1}); each column keeps one z.",
        )

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
