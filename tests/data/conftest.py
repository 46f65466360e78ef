"""Small IDX and npz files written on the fly for the data tests."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: magic 0x0000 08 ndim, big-endian dims, then the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def digits_like(n: int, seed: int = 0, size: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """`n` random uint8 images (size x size) and labels cycling 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
    return images, (np.arange(n) % 10).astype(np.uint8)


WriteIdx = Callable[..., Path]

# The official MNIST files live beside the checkout (../shared/data/mnist), never in it; a
# worktree elsewhere may name them with UNSUPLAB_TEST_MNIST.
REAL_MNIST = Path(
    os.environ.get("UNSUPLAB_TEST_MNIST")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
)


@pytest.fixture
def real_mnist() -> Path:
    """The folder of the four official MNIST files; the test is skipped where they are absent."""
    if not all(
        (REAL_MNIST / f"{part}-ubyte.gz").is_file()
        for part in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
    ):
        pytest.skip(f"the official MNIST files are not in {REAL_MNIST}")
    return REAL_MNIST


@pytest.fixture(autouse=True)
def no_data_folders(monkeypatch):
    """No test sees the user's data folders unless it names one itself."""
    from unsuplab.data import local

    monkeypatch.delenv(local.ENV, raising=False)
    monkeypatch.setattr(local, "_chosen", None)


@pytest.fixture
def make_digits() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """make_digits(n, seed=0, size=6): random uint8 images and labels cycling 0..9."""
    return digits_like


@pytest.fixture
def encode_idx() -> Callable[[np.ndarray], bytes]:
    """The IDX encoder, for tests that damage the bytes before writing them."""
    return idx_bytes


@pytest.fixture
def write_idx(tmp_path: Path) -> WriteIdx:
    """write_idx(name, array, gz=False) -> the path of a new IDX file in tmp_path."""

    def write(name: str, array: np.ndarray, gz: bool = False, folder: Path = tmp_path) -> Path:
        data = idx_bytes(array)
        path = folder / name
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return write


@pytest.fixture
def mnist_pair(write_idx: WriteIdx) -> Callable[..., tuple[Path, Path]]:
    """mnist_pair(prefix, n, gz=False) writes PREFIX-images-idx3-ubyte and its labels file."""

    def write(prefix: str, n: int, gz: bool = False, seed: int = 0) -> tuple[Path, Path]:
        images, labels = digits_like(n, seed)
        suffix = ".gz" if gz else ""
        return (
            write_idx(f"{prefix}-images-idx3-ubyte{suffix}", images, gz),
            write_idx(f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz),
        )

    return write
