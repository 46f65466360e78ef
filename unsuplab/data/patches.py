"""Natural-image patches cut from the two photographs that ship with scikit-learn.

The recipe (after UFLDL's sparse-autoencoder exercise and Olshausen & Field, Nature 381, 1996):

1. `china.jpg` and `flower.jpg` (`sklearn.datasets.load_sample_images`, 427x640) are turned grey
   (ITU-R 601 luma) with values in [0, 1].
2. Whitening "1/f" (optional, before any cutting): each whole photograph is filtered in the Fourier
   domain by Olshausen & Field's radial filter R(f) = f·exp(−(f/f₀)⁴), f in cycles per pixel,
   f₀ = 0.4. The factor f undoes natural images' 1/f amplitude spectrum (so all frequencies carry
   about the same power); the exp term rolls off the noisy corner frequencies. The photograph is
   mirrored into a 2x2 tiling first, so the FFT sees no seam at its borders.
3. Positions: each photograph is cut into 64x64 blocks and one block in five, in a fixed diagonal
   pattern ((row + 2·column) mod 5 = 0; no two such blocks touch), is held out. Training patches
   lie entirely outside the held-out blocks, held-out patches entirely inside one, so the two
   splits share no pixel. Windows flatter than the median (grey-level standard deviation, over
   all windows of that size) are skipped: the sky and the out-of-focus background would
   otherwise be half the data and teach nothing. Positions are drawn at random, without
   repeats, from a fixed seed (0): 20,000 training and 2,000 held-out patches. They depend on
   the size and seed only, so the three whitenings of one size show the same places.
4. Each patch loses its mean (its DC component, the patch's overall brightness).
5. Whitening "zca" (optional): x ← W x with W = U diag(1/√(λ + ε)) Uᵀ, where U, λ are the
   eigenvectors and eigenvalues of the training patches' covariance and ε = 0.3 · mean(λ). Fitted
   on the training patches only and applied to both splits. The whitened covariance is
   U diag(λ/(λ + ε)) Uᵀ: the identity along the strong directions, while ε keeps the weakest
   ones (pixel noise, JPEG blocks) from being blown up; with ε = 0.1 · mean(λ) the whitened
   patches, and a sparse autoencoder's filters, are dominated by that noise.
6. Like UFLDL, to fit the [0, 1] range of the autoencoders' sigmoid outputs: truncate to ±3σ (σ the
   standard deviation of all training values) and rescale linearly to [0.1, 0.9], so a flat patch
   is 0.5. σ comes from the training split and is applied to both.

Labels are all 0: patches have no classes.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from unsuplab.data.types import DataError, ImageDataset

PHOTOGRAPHS = ("china.jpg", "flower.jpg")
WHITENINGS = ("none", "zca", "1/f")
BLOCK = 64  # side of the blocks that are held out whole
HELD_OUT_EVERY = 5  # one block in five is held out
CUTOFF_FREQUENCY = 0.4  # f₀ of the 1/f filter, cycles per pixel (Olshausen's sparsenet value)
ZCA_EPSILON = 0.3  # ε as a fraction of the mean eigenvalue of the patch covariance
TRUNCATE_AT = 3.0  # standard deviations kept before rescaling
UNIT_RANGE = (0.1, 0.9)


@functools.lru_cache(maxsize=1)
def grey_photographs() -> tuple[np.ndarray, ...]:
    """scikit-learn's sample photographs as grey float32 images in [0, 1] (cached; read-only)."""
    from sklearn.datasets import load_sample_images

    bundle = load_sample_images()
    by_name = {
        name.replace("\\", "/").rsplit("/", 1)[-1]: image
        for name, image in zip(bundle.filenames, bundle.images, strict=True)
    }
    luma = np.array([0.299, 0.587, 0.114])
    photos = tuple((by_name[name] @ luma / 255.0).astype(np.float32) for name in PHOTOGRAPHS)
    for photo in photos:
        photo.flags.writeable = False
    return photos


def one_over_f_whiten(image: np.ndarray, cutoff: float = CUTOFF_FREQUENCY) -> np.ndarray:
    """`image` filtered by R(f) = f·exp(−(f/f₀)⁴) (f in cycles per pixel), scaled to unit variance."""
    h, w = image.shape
    # Mirroring makes the image periodic and smooth across its borders, so the FFT adds no edges.
    mirrored = np.block([[image, image[:, ::-1]], [image[::-1], image[::-1, ::-1]]])
    fy, fx = np.meshgrid(np.fft.fftfreq(2 * h), np.fft.rfftfreq(2 * w), indexing="ij")
    f = np.hypot(fx, fy)
    response = f * np.exp(-((f / cutoff) ** 4))
    filtered = np.fft.irfft2(np.fft.rfft2(mirrored) * response, s=mirrored.shape)[:h, :w]
    return (filtered / filtered.std()).astype(np.float32)


@functools.lru_cache(maxsize=1)
def one_over_f_photographs() -> tuple[np.ndarray, ...]:
    """The grey photographs, each 1/f-whitened whole (cached; read-only)."""
    photos = tuple(one_over_f_whiten(photo) for photo in grey_photographs())
    for photo in photos:
        photo.flags.writeable = False
    return photos


def held_out_mask(shape: tuple[int, int]) -> np.ndarray:
    """True on the held-out pixels: BLOCK x BLOCK blocks with (row + 2·column) mod 5 = 0."""
    rows = np.arange(shape[0]) // BLOCK
    columns = np.arange(shape[1]) // BLOCK
    return (rows[:, None] + 2 * columns[None, :]) % HELD_OUT_EVERY == 0


def window_sums(image: np.ndarray, size: int) -> np.ndarray:
    """The sum over every size x size window of `image`, indexed by the window's top-left corner."""
    integral = np.zeros((image.shape[0] + 1, image.shape[1] + 1))
    integral[1:, 1:] = image.cumsum(0, dtype=np.float64).cumsum(1)
    return (
        integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
    )


def window_contrast(image: np.ndarray, size: int) -> np.ndarray:
    """The standard deviation of the grey levels in every size x size window."""
    area = size * size
    mean = window_sums(image, size) / area
    return np.sqrt(np.clip(window_sums(np.square(image, dtype=np.float64), size) / area - mean**2, 0.0, None))


@functools.lru_cache(maxsize=8)
def candidate_windows(size: int, held_out: bool) -> np.ndarray:
    """(photo, top, left) of every size x size window of the grey photographs that lies wholly
    inside the held-out blocks (`held_out`) or wholly outside them, and whose contrast is above
    the median contrast of all windows (cached; read-only)."""
    photos = grey_photographs()
    contrast = [window_contrast(photo, size) for photo in photos]
    threshold = np.median(np.concatenate([c.ravel() for c in contrast]))
    candidates = []
    for photo, (image, photo_contrast) in enumerate(zip(photos, contrast, strict=True)):
        touching = np.rint(window_sums(held_out_mask(image.shape), size))
        inside = touching == size * size if held_out else touching == 0
        top, left = np.nonzero(inside & (photo_contrast > threshold))
        candidates.append(np.stack([np.full_like(top, photo), top, left], axis=1))
    candidates = np.concatenate(candidates)
    candidates.flags.writeable = False
    return candidates


def patch_positions(size: int, count: int, held_out: bool, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct (photo, top, left) rows drawn uniformly from `candidate_windows`."""
    candidates = candidate_windows(size, held_out)
    if len(candidates) < count:
        split = "held-out" if held_out else "training"
        raise DataError(
            f"only {len(candidates)} distinct {size}x{size} {split} patches are "
            "available; ask for at most that many"
        )
    return candidates[rng.choice(len(candidates), size=count, replace=False)]


def cut_patches(photos: tuple[np.ndarray, ...], positions: np.ndarray, size: int) -> np.ndarray:
    """The size x size patches at `positions` ((photo, top, left) rows), as (n, size, size)."""
    patches = np.empty((len(positions), size, size), dtype=np.float32)
    offsets = np.arange(size)
    for photo, image in enumerate(photos):
        rows = positions[:, 0] == photo
        # One gather of flat indices: top-left corner + row and column offsets inside the window.
        corners = positions[rows, 1] * image.shape[1] + positions[rows, 2]
        window = offsets[:, None] * image.shape[1] + offsets[None, :]
        patches[rows] = np.take(image, corners[:, None, None] + window)
    return patches


def zca_matrix(x: torch.Tensor, epsilon: float) -> torch.Tensor:
    """W = U diag(1/√(λ + ε)) Uᵀ for the covariance U diag(λ) Uᵀ of the rows of x (zero-mean)."""
    covariance = (x.T @ x / len(x)).double()
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    eigenvalues = eigenvalues.clamp(min=0.0)  # round-off can make the DC eigenvalue negative
    return ((eigenvectors / torch.sqrt(eigenvalues + epsilon)) @ eigenvectors.T).to(x.dtype)


def to_unit_range(x: np.ndarray, sigma: float) -> np.ndarray:
    """Truncate to ±3σ and map [−3σ, 3σ] linearly onto [0.1, 0.9] (UFLDL's normalizeData)."""
    bound = TRUNCATE_AT * sigma
    low, high = UNIT_RANGE
    scaled = (low + high) / 2 + (high - low) / 2 * np.clip(x, -bound, bound) / bound
    # The last clip keeps float32 round-off (0.90000004) inside the promised range.
    return np.clip(scaled.astype(np.float32), np.float32(low), np.float32(high))


def whitened_patches(
    size: int, whitening: str = "none", train_count: int = 20_000, held_out_count: int = 2_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Flattened training and held-out patches after steps 1-5 (zero mean, not yet rescaled)."""
    if whitening not in WHITENINGS:
        raise DataError(f"unknown whitening {whitening!r}; choose one of {', '.join(WHITENINGS)}")
    photos = one_over_f_photographs() if whitening == "1/f" else grey_photographs()
    shapes = [photo.shape for photo in photos]
    # A patch must fit inside one held-out block (and so inside the photographs).
    if not 1 <= size <= BLOCK:
        raise DataError(
            f"patch size {size} does not fit: patches are cut from "
            f"{' and '.join(f'{h}x{w}' for h, w in shapes)} photographs whose "
            f"held-out part is {BLOCK}x{BLOCK} blocks; choose a size from 1 to {BLOCK}"
        )
    rng = np.random.default_rng(seed)
    splits = []
    for count, held_out in ((train_count, False), (held_out_count, True)):
        patches = cut_patches(photos, patch_positions(size, count, held_out, rng), size)
        patches = patches.reshape(count, -1)
        splits.append(patches - patches.mean(axis=1, keepdims=True))
    train, test = splits
    if whitening == "zca":
        train, test = torch.from_numpy(train), torch.from_numpy(test)
        eigenvalue_mean = float(train.pow(2).mean())  # = trace(covariance) / pixels
        w = zca_matrix(train, ZCA_EPSILON * eigenvalue_mean)
        # W is symmetric, so x W applies W x to every row x.
        train, test = (train @ w).numpy(), (test @ w).numpy()
    return train, test


def load_patches(
    size: int, whitening: str = "none", train_count: int = 20_000, held_out_count: int = 2_000, seed: int = 0
) -> ImageDataset:
    """size x size natural-image patches in [0.1, 0.9], label 0 (see the module docstring)."""
    train, test = whitened_patches(size, whitening, train_count, held_out_count, seed)
    sigma = float(train.std())
    shape = (-1, size, size)
    name = f"patches-{size}" + ("" if whitening == "none" else f"-{whitening.replace('/', '')}")
    return ImageDataset(
        name,
        to_unit_range(train, sigma).reshape(shape),
        np.zeros(len(train), dtype=np.int64),
        to_unit_range(test, sigma).reshape(shape),
        np.zeros(len(test), dtype=np.int64),
        source=(
            f"{size}x{size} patches (whitening: {whitening}) of scikit-learn's "
            f"{' and '.join(PHOTOGRAPHS)}, seed {seed}"
        ),
    )
