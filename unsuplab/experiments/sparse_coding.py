"""Sparse coding (Olshausen & Field 1996): natural-image patches as a few atoms of a dictionary.

    min over Φ and a⁽ⁿ⁾ of   Σₙ ½‖x⁽ⁿ⁾ − Φ a⁽ⁿ⁾‖² + λ Σₙ ‖a⁽ⁿ⁾‖₁,     every atom ‖φᵢ‖ = 1

Alternating, one minibatch at a time:
1. codes with Φ fixed — a batched Lasso, solved by a fixed number of FISTA steps from a = 0
   (step 1/L, L the largest eigenvalue of ΦᵀΦ by power iteration), so a step takes bounded time;
2. dictionary with the codes fixed — a gradient step Φ ← Φ + η (X − ΦA) Aᵀ / n and every atom
   back to unit norm (Olshausen & Field's rule), or Mairal et al.'s exact block-coordinate pass.

Code (in `unsuplab.models.sparse_coding`) stores Φ as rows D = Φᵀ, one atom per row: x̂ = a D.
The patches are the bundled photographs' (`unsuplab.data.patches`), whitened and scaled to unit
variance per pixel; the few largest terms of one held-out patch's code are written out, and the
learned dictionary denoises and inpaints a held-out crop of the photographs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import Histogram, ImageGrid, PairedRows, Payload
from unsuplab.core.registry import register
from unsuplab.data import DATASETS, DataError, load_files
from unsuplab.data.datasets import IMAGE_SHAPES
from unsuplab.data.patches import (
    BLOCK,
    ZCA_EPSILON,
    grey_photographs,
    held_out_mask,
    one_over_f_photographs,
    whitened_patches,
    zca_matrix,
)
from unsuplab.experiments._image_autoencoder import batch_size_field
from unsuplab.experiments._pca_reference import subscript
from unsuplab.models.sparse_coding import (
    block_coordinate_update,
    fista,
    gradient_update,
    objective_terms,
    random_dictionary,
    restore_image,
)
from unsuplab.models.state import cpu_copy

PATCH_DATASETS = tuple(name for name in DATASETS if name.startswith("patches-"))
#: Whitening of each patch data set, as `unsuplab.data.patches.whitened_patches` names it.
WHITENING = {"": "none", "zca": "zca", "1f": "1/f"}
MAX_PATCH = 16  # a user's "patches" wider than this are images, not patches
EVALUATION_PATCHES = 1000  # held-out patches coded at each evaluation (about once a second)
TERMS_SHOWN = 6  # largest terms of the explained patch written out and drawn
DEMO_ITERATIONS = 100  # FISTA steps per patch in the denoising demonstration
DEMO_STRIDE = 2  # overlapping patches of the demonstration start every this many pixels
DEMO_SEED = 0  # noise and missing pixels of the demonstration: the same picture every time


@dataclass
class Config:
    dataset: str = param(
        "patches-12-1f",
        "Natural-image patches cut from scikit-learn's two "
        "photographs (size, then whitening): -1f filters the photographs by "
        "Olshausen & Field's R(f) = f·exp(−(f/f₀)⁴) first, -zca whitens each "
        "patch x ← U diag(1/√(λ+ε)) Uᵀ x, none keeps the grey levels. Scaled "
        "to unit variance per pixel.",
        choices=PATCH_DATASETS,
    )
    data_file: str = param(
        "",
        "Your own patches instead: an IDX images file (.gz too, labels "
        "beside it) or a Keras-style .npz of small square images, at most "
        f"{MAX_PATCH}x{MAX_PATCH}. Empty: use the data set.",
    )
    atoms: int = param(
        144,
        "Atoms φᵢ in the dictionary Φ (its columns). More atoms than pixels "
        "(overcomplete) is fine: the penalty λ‖a‖₁ keeps each code sparse.",
        low=2,
        high=1024,
        label="Atoms k",
    )
    sparsity_lambda: float = param(
        1.2,
        "λ in E = ½‖x − Φa‖² + λ‖a‖₁ (scikit-learn's alpha): "
        "larger λ, fewer non-zero coefficients and a coarser "
        "reconstruction. Can change while training.",
        low=1e-3,
        high=100.0,
        log=True,
        live=True,
        label="Sparsity λ",
    )
    fista_iterations: int = param(
        50,
        "FISTA steps per code: a ← S_{λ/L}(y − ∇/L), y ← a + "
        "((t−1)/t⁺)(a − a_prev), from a = 0. A fixed count bounds the "
        "time of a training step.",
        low=1,
        high=1000,
        live=True,
        label="FISTA iterations",
    )
    dictionary_update: str = param(
        "gradient",
        "gradient: Φ ← Φ + η (X − ΦA) Aᵀ/n, then unit "
        "atoms (Olshausen & Field). block-coordinate: each atom in turn "
        "φⱼ ← φⱼ + (Bⱼ − Φ Mⱼ)/Mⱼⱼ with running sums M = Σ a aᵀ, "
        "B = Σ x aᵀ (Mairal et al. 2009, scikit-learn's).",
        choices=("gradient", "block-coordinate"),
    )
    learning_rate: float = param(
        1.0,
        "η of the gradient update Φ ← Φ + η (X − ΦA) Aᵀ/n "
        "(unused by block-coordinate). Can change while training.",
        low=1e-4,
        high=100.0,
        log=True,
        live=True,
    )
    batch_size: int = batch_size_field(256)
    demo_size: int = param(
        64,
        "Side of the held-out photograph crop that the Denoise button "
        "restores patch by patch (a held-out 64x64 block: no training patch "
        "saw its pixels).",
        low=4,
        high=BLOCK,
    )
    demo_noise: float = param(
        0.5,
        "Standard deviation of the Gaussian noise the Denoise button "
        "adds, in units of σ, the training patches' per-pixel standard "
        "deviation (the unit the dictionary knows).",
        low=0.0,
        high=5.0,
    )
    demo_missing: float = param(
        0.5,
        "Fraction of the crop's pixels the Denoise button deletes "
        "for inpainting: codes fit the remaining pixels only, "
        "½‖m ⊙ (x − Φa)‖² + λ‖a‖₁.",
        low=0.0,
        high=0.95,
    )
    demo_lambda: float = param(
        0.25,
        "λ of the Denoise button's codes, in the same units as the "
        "training λ. Restoring wants more atoms per patch than learning "
        "does: about half the noise level works.",
        low=1e-3,
        high=100.0,
        log=True,
    )

    def check(self) -> None:
        if self.data_file:
            return  # the file's patch size is known once it is read (a DataError then)
        side = IMAGE_SHAPES[self.dataset][0]
        if side > self.demo_size:
            raise ConfigError(
                "demo_size",
                f"the {side}x{side} patches of {self.dataset} are "
                f"larger than the {self.demo_size}x{self.demo_size} image to "
                f"restore; choose a demo size of at least {side}",
            )


@dataclass(frozen=True)
class PatchData:
    """Flattened patches (rows) in units of the training set's per-pixel σ, and where they came
    from: `whitening` is None for a user's file (no photograph to restore)."""

    train: np.ndarray
    test: np.ndarray
    size: int
    sigma: float
    whitening: str | None


def load_patch_data(config: Config) -> PatchData:
    """The lesson's training and held-out patches, zero-mean and scaled to unit variance."""
    if config.data_file:
        return _patches_from_file(config.data_file)
    size = IMAGE_SHAPES[config.dataset][0]
    whitening = WHITENING[config.dataset.removeprefix(f"patches-{size}").removeprefix("-")]
    train, test = whitened_patches(size, whitening)
    sigma = float(train.std())
    return PatchData(train / sigma, test / sigma, size, sigma, whitening)


def _patches_from_file(path: str) -> PatchData:
    data = load_files(path)
    h, w = data.image_shape
    if h != w or h > MAX_PATCH:
        raise DataError(
            f"{path}: holds {h}x{w} images, not patches; sparse coding learns from "
            f"square patches of at most {MAX_PATCH}x{MAX_PATCH} pixels"
        )
    train, test = (
        images.reshape(len(images), -1).astype(np.float32) for images in (data.train_images, data.test_images)
    )
    # Like the photographs' patches: each loses its mean, and all share the training σ.
    train, test = (x - x.mean(axis=1, keepdims=True) for x in (train, test))
    sigma = float(train.std())
    if not sigma > 0:
        raise DataError(f"{path}: every patch is flat (no contrast); nothing to code")
    return PatchData(train / sigma, test / sigma, h, sigma, None)


def formula(coefficients: np.ndarray, atoms: np.ndarray) -> str:
    """ "0.8·φ₃₆ − 0.3·φ₄₂ + …": terms a_i·φ_i with atoms numbered from 1."""
    text = ""
    for k, (a, i) in enumerate(zip(coefficients, atoms, strict=True)):
        sign = ("−" if a < 0 else "") if k == 0 else (" − " if a < 0 else " + ")
        text += f"{sign}{abs(a):.2f}·φ{subscript(int(i) + 1)}"
    return text


@register
class SparseCoding(Experiment):
    name = "sparse-coding"
    title = "Sparse coding"
    group = "Classical"
    summary = "Olshausen & Field: natural images as a few atoms each, and the atoms become edges."
    Config = Config
    curves = {
        "Objective E = ½‖x − Φa‖² + λ‖a‖₁ (per patch)": ("loss", "heldout_loss"),
        "Its terms: ½‖x − Φa‖² and λ‖a‖₁": (
            "reconstruction",
            "heldout_reconstruction",
            "sparsity_penalty",
            "heldout_sparsity_penalty",
        ),
        "Non-zero coefficients per patch": ("nonzeros", "heldout_nonzeros"),
    }
    actions = {
        "denoise": (
            "Denoise a photo",
            "Add noise to a held-out crop of the photographs (and "
            "delete pixels from a copy), code every overlapping patch with the "
            "dictionary, and average the reconstructions",
        ),
        "next_patch": ("Another patch", "Write out the code of the next held-out patch"),
    }
    progress_metric = ("heldout_loss", "down")
    quick_settings = {"batch_size": 64, "atoms": 64, "dataset": "patches-8-1f", "fista_iterations": 30}
    quick_steps = 60
    presets = {
        "λ = 3": {"sparsity_lambda": 3.0},
        "λ = 0.3": {"sparsity_lambda": 0.3},
        "k = 36 atoms": {"atoms": 36},
        "k = 400 atoms": {"atoms": 400},
        "patches-12: no whitening": {"dataset": "patches-12"},
        "patches-12-zca": {"dataset": "patches-12-zca"},
        "Block-coordinate update": {"dictionary_update": "block-coordinate"},
    }

    # -- building ---------------------------------------------------------------------------------
    def build(self, device: str, seed: int) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.data = load_patch_data(self.config)
        self.train_x = torch.as_tensor(self.data.train, device=self.device)
        self.test_x = torch.as_tensor(self.data.test, device=self.device)
        self.evaluation_x = self.test_x[:EVALUATION_PATCHES]
        pixels = self.data.size**2
        self.dictionary = random_dictionary(self.config.atoms, pixels, self.generator, self.device)
        # Block-coordinate's running sums M = Σ aᵀa, B = Σ aᵀx and the count of updates.
        self.code_products = torch.zeros(self.config.atoms, self.config.atoms, device=self.device)
        self.code_data_products = torch.zeros(self.config.atoms, pixels, device=self.device)
        self.updates = 0
        # The explained patch starts at a well-contrasted one, the 85th of the first 100 held-out
        # patches by contrast: flat patches code to a = 0, the very strongest are often textures.
        contrast = self.test_x[:100].norm(dim=1)
        self.explained = int(contrast.argsort()[min(85, len(contrast) - 1)])
        self._evaluated_codes: torch.Tensor | None = None

    @property
    def patch_shape(self) -> tuple[int, int]:
        return (self.data.size, self.data.size)

    # -- one step: codes with Φ fixed, then Φ with the codes fixed ----------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        idx = torch.randint(
            len(self.train_x), (cfg.batch_size,), device=self.device, generator=self.generator
        )
        x = self.train_x[idx]
        codes = self.encode(x)
        terms = objective_terms(x, self.dictionary, codes, cfg.sparsity_lambda)
        if cfg.dictionary_update == "gradient":
            self.dictionary = gradient_update(self.dictionary, x, codes, cfg.learning_rate)
        else:
            self._block_coordinate_step(x, codes)
        return terms

    def _block_coordinate_step(self, x: torch.Tensor, codes: torch.Tensor) -> None:
        # scikit-learn's forgetting schedule (MiniBatchDictionaryLearning._update_inner_stats):
        # old sums fade by β = (θ + 1 − n)/(θ + 1), so early, poor codes are forgotten.
        n = len(x)
        theta = (self.updates + 1) * n if self.updates < n - 1 else n * n + self.updates + 1 - n
        beta = (theta + 1 - n) / (theta + 1)
        self.code_products = beta * self.code_products + codes.T @ codes / n
        self.code_data_products = beta * self.code_data_products + codes.T @ x / n
        self.dictionary = block_coordinate_update(
            self.dictionary, self.code_products, self.code_data_products
        )
        self.updates += 1

    # -- what other lessons use --------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Sparse codes a (n, k) of patches x (n, pixels), in the lesson's units, by FISTA."""
        cfg = self.config
        return fista(x, self.dictionary, cfg.sparsity_lambda, cfg.fista_iterations)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x̂ = Φa of patches x (n, pixels), a their sparse codes."""
        return self.encode(x) @ self.dictionary

    # -- held-out figures and panels ------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        codes = self.encode(self.evaluation_x)
        self._evaluated_codes = codes  # the sparsity histogram reuses them until the next one
        terms = objective_terms(self.evaluation_x, self.dictionary, codes, self.config.sparsity_lambda)
        return {f"heldout_{name}": float(value) for name, value in terms.items()}

    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        k = self.config.atoms
        return {
            "dictionary": ImageGrid(
                f"Dictionary: {k} atoms φᵢ (unit norm; mid-grey is 0)",
                self.atom_images(),
                "filter",
                caption="Each tile is one atom, stretched to its own range",
            ),
            "terms": self.explained_patch(),
            "sparsity": self.sparsity_histogram(),
        }

    def atom_images(self) -> np.ndarray:
        return self.dictionary.cpu().numpy().reshape(-1, *self.patch_shape)

    def explained_patch(self) -> ImageGrid:
        """One held-out patch, its reconstruction and its largest terms, with the sum written out."""
        x = self.test_x[self.explained : self.explained + 1]
        code = self.encode(x)[0]
        x_hat = code @ self.dictionary
        order = code.abs().argsort(descending=True)[:TERMS_SHOWN]
        order = order[code[order] != 0]
        coefficients, atoms = code[order].cpu().numpy(), order.cpu().numpy()
        nonzero = int((code != 0).sum())
        rest = " + …" if nonzero > len(atoms) else ""
        tiles = torch.cat([x, x_hat[None], self.dictionary[order]]).cpu().numpy()
        return ImageGrid(
            f"Held-out patch {self.explained}, its reconstruction x̂ = Φa, and its largest terms",
            tiles.reshape(-1, *self.patch_shape),
            "filter",
            columns=len(tiles),
            caption=f"x̂ = {formula(coefficients, atoms) or '0'}{rest}   "
            f"({nonzero} of {self.config.atoms} coefficients non-zero)",
        )

    def sparsity_histogram(self) -> Histogram:
        codes = self._evaluated_codes
        if codes is None:  # no evaluation yet since the build or a reload
            codes = self._evaluated_codes = self.encode(self.evaluation_x)
        counts_per_patch = (codes != 0).sum(dim=1).cpu().numpy()
        edges = np.arange(self.config.atoms + 2) - 0.5
        top = int(counts_per_patch.max(initial=0)) + 2  # drop the empty bins far to the right
        counts = np.bincount(counts_per_patch, minlength=len(edges) - 1)[:top]
        return Histogram(
            f"Non-zero coefficients per held-out patch ({len(codes)} patches)",
            edges[: top + 1],
            {"patches": counts.astype(np.float64)},
            x_label="non-zero coefficients ‖a‖₀",
            markers={"mean": float(counts_per_patch.mean())},
        )

    # -- checkpoints ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return cpu_copy(
            {
                "dictionary": self.dictionary,
                "code_products": self.code_products,
                "code_data_products": self.code_data_products,
                "updates": self.updates,
                "explained": self.explained,
            }
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if tuple(state["dictionary"].shape) != tuple(self.dictionary.shape):
            raise ValueError(
                f"the saved dictionary is {tuple(state['dictionary'].shape)} "
                f"(atoms x pixels), this run's is {tuple(self.dictionary.shape)}"
            )
        for name in ("dictionary", "code_products", "code_data_products"):
            setattr(self, name, state[name].to(self.device, torch.float32))
        self.updates, self.explained = int(state["updates"]), int(state["explained"])
        self._evaluated_codes = None  # codes of the dictionary just replaced

    # -- actions --------------------------------------------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "next_patch":
            self.explained = (self.explained + 1) % len(self.test_x)
            return {"terms": self.explained_patch()}
        if command == "denoise":
            return {"denoising": self.restoration_demo()}
        return super().probe(command, **kwargs)

    def restoration_demo(self) -> PairedRows:
        """A held-out crop with noise added, and one with pixels deleted, each restored by coding
        its overlapping patches with the dictionary; beside the clean crop."""
        if self.data.whitening is None:
            raise ValueError(
                "the denoising demonstration needs the photographs; choose a "
                "patches-* data set instead of a data file"
            )
        cfg = self.config
        clean = torch.as_tensor(demo_crop(self.data.whitening, cfg.demo_size), device=self.device)
        noise = torch.Generator(device=self.device).manual_seed(DEMO_SEED)
        noisy = clean + cfg.demo_noise * self.data.sigma * torch.randn(
            clean.shape, generator=noise, device=self.device
        )
        observed = (torch.rand(clean.shape, generator=noise, device=self.device) >= cfg.demo_missing).float()
        pixel_atoms = self.pixel_dictionary()
        # λ for pixel-space atoms: scaled by their mean squared length, so a code costs what it
        # would cost on the patches the dictionary was learned from.
        lam = cfg.demo_lambda * float(pixel_atoms.pow(2).sum(dim=1).mean())

        def restore(image: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            return restore_image(
                image, pixel_atoms, lam, DEMO_ITERATIONS, self.data.size, observed=mask, stride=DEMO_STRIDE
            )

        # Grey levels: the clean crop's range spans black to white in every row.
        low, high = clean.min(), clean.max()

        def shown(images: list[torch.Tensor]) -> np.ndarray:
            stacked = torch.stack(images)
            return ((stacked - low) / (high - low)).clamp(0, 1).cpu().numpy()

        missing_shown = clean * observed + low * (1 - observed)  # deleted pixels drawn black
        return PairedRows(
            f"Denoising (noise {cfg.demo_noise:g}σ) and inpainting ({cfg.demo_missing:.0%} of "
            f"pixels deleted) a held-out {cfg.demo_size}x{cfg.demo_size} crop, patch by patch",
            {
                "corrupted": shown([noisy, missing_shown]),
                "restored": shown([restore(noisy, None), restore(clean, observed)]),
                "clean": shown([clean, clean]),
            },
        )

    def pixel_dictionary(self) -> torch.Tensor:
        """The atoms as mean-removed pixel patches: a patch x is coded as (x − x̄) W / σ (W the
        whitening of its data set, the identity without one), so x − x̄ ≈ a (σ D W⁻¹)."""
        w = patch_whitening(self.data.whitening, self.data.size).to(self.device)
        # W is symmetric: D W⁻¹ = (W⁻¹ Dᵀ)ᵀ, solved rather than inverted.
        return self.data.sigma * torch.linalg.solve(w, self.dictionary.T.double()).T.float()


def patch_whitening(whitening: str, size: int) -> torch.Tensor:
    """W (pixels x pixels, float64) with which `whitened_patches` whitens each patch: the ZCA
    matrix for "zca", the identity for "none" and "1/f" (whose filter acts on whole photographs)."""
    if whitening != "zca":
        return torch.eye(size * size, dtype=torch.float64)
    raw, _ = whitened_patches(size, "none")
    raw = torch.from_numpy(raw).double()
    # The same ε as whitened_patches: a fraction of the mean eigenvalue, trace(C)/pixels.
    return zca_matrix(raw, ZCA_EPSILON * float(raw.pow(2).mean()))


def demo_crop(whitening: str, size: int) -> np.ndarray:
    """A size x size crop of the photographs as the patches were cut from them (1/f-filtered for
    "1/f"), from the held-out 64x64 block with the most contrast: no training patch touched it."""
    photos = one_over_f_photographs() if whitening == "1/f" else grey_photographs()
    best, best_contrast = None, -1.0
    for photo, grey in zip(photos, grey_photographs(), strict=True):
        blocks = held_out_mask(grey.shape)[::BLOCK, ::BLOCK]
        for row, column in zip(*np.nonzero(blocks), strict=True):
            top, left = row * BLOCK, column * BLOCK
            if top + BLOCK > grey.shape[0] or left + BLOCK > grey.shape[1]:
                continue  # a block cut by the photograph's edge
            contrast = float(grey[top : top + BLOCK, left : left + BLOCK].std())
            if contrast > best_contrast:
                best, best_contrast = photo[top : top + size, left : left + size], contrast
    return np.array(best, dtype=np.float32)
