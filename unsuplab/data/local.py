"""Copies of MNIST and Fashion-MNIST already on this machine: the folders the lab looks in (the
window's Data folder… choice, then the UNSUPLAB_DATA folder), the layouts it knows there (the
four official files, .gz or decompressed; torchvision's MNIST/raw; Keras' mnist.npz), and the
check that trusts a copy only when its content is the official content."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unsuplab.data.official import FILES, SOURCES, sha256_of
from unsuplab.data.progress import Progress
from unsuplab.data.readers import KERAS_KEYS, idx_sha256, read_idx, read_npz_arrays
from unsuplab.data.types import DataError

#: The environment variable naming a folder that holds data sets the lab may read.
ENV = "UNSUPLAB_DATA"

# torchvision keeps root/MNIST/raw/ and root/FashionMNIST/raw/.
_TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
# Keras' mnist.npz holds the four files' arrays under these keys.
_KERAS = dict(zip(FILES, KERAS_KEYS, strict=True))

_chosen: Path | None = None


def set_data_folder(folder: str | Path | None) -> None:
    """Name the folder the window's *Data folder…* choice points at (None: no choice); it is
    searched before UNSUPLAB_DATA."""
    global _chosen
    _chosen = Path(folder).expanduser() if folder else None


def data_folder() -> Path | None:
    """The folder last named by `set_data_folder`, if any."""
    return _chosen


@dataclass(frozen=True)
class Content:
    """One official file's array, checked, with the SHA-256 of its IDX content."""

    array: np.ndarray
    sha256: str
    path: Path


@dataclass
class Search:
    """What a search found (official file name -> its content) and every copy it refused."""

    found: dict[str, Content] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


def search(name: str, files: tuple[str, ...], progress: Progress | None = None) -> Search:
    """The first trusted copy of each of `files` of data set `name` in the user's data folders;
    a copy that is not the official content is refused and the refusal kept, never used."""
    result = Search()
    folders = _folders(result.refused)
    for file in files:
        for candidate in (c for folder in folders for c in _candidates(folder, name, file)):
            try:
                result.found[file] = candidate.read(name, file, progress)
                break
            except DataError as exc:
                result.refused.append(str(exc))
    return result


def _folders(refused: list[str]) -> list[Path]:
    named = [(_chosen, "the Data folder choice")]
    if os.environ.get(ENV):
        named.append((Path(os.environ[ENV]).expanduser(), f"the environment variable {ENV}"))
    folders = []
    for folder, origin in named:
        if folder is None:
            continue
        if folder.is_dir():
            folders.append(folder)
        else:
            refused.append(f"{folder}: no such folder (named by {origin})")
    return folders


@dataclass(frozen=True)
class _Candidate:
    """A place one official file may be: an IDX file (plain or gzip), or a key of an .npz."""

    path: Path
    key: str | None = None

    def read(self, name: str, file: str, progress: Progress | None) -> Content:
        if self.key is not None:
            return _from_npz(self.path, self.key, name, file)
        return read_official(self.path, name, file, progress)


def _candidates(folder: Path, name: str, file: str) -> Iterator[_Candidate]:
    stem = file.removesuffix(".gz")
    # The dotted form is how some mirrors (Kaggle) name the unpacked files.
    names = (file, stem, stem.replace("-idx", ".idx"))
    for place in (folder, folder / name, folder / _TORCHVISION[name] / "raw"):
        for candidate in names:
            if (place / candidate).is_file():
                yield _Candidate(place / candidate)
    if name == "mnist":
        for place in (folder, folder / name):
            if (place / "mnist.npz").is_file():
                yield _Candidate(place / "mnist.npz", _KERAS[file])


def read_official(path: Path, name: str, file: str, progress: Progress | None = None) -> Content:
    """The array in `path`, if it is the official `file` of data set `name`: its decompressed
    content must hash to the official content's SHA-256 (so a re-compressed or gunzipped copy
    is fine); where that is not known, the file must be the published .gz itself."""
    official = SOURCES[name].files[file]
    if official.content_sha256 is None:
        try:
            got = sha256_of(path)
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if got != official.sha256:
            raise DataError(
                f"{path}: not the official {name} {file}: its SHA-256 is {got}, "
                f"expected {official.sha256} (for {name} only the published .gz "
                "files can be checked)"
            )
    digest = hashlib.sha256()
    array = read_idx(path, progress, digest)
    _check_content(path, name, file, digest.hexdigest(), "decompressed content")
    return Content(array, digest.hexdigest(), path)


def _from_npz(path: Path, key: str, name: str, file: str) -> Content:
    array = read_npz_arrays(path, (key,))[key]
    wide_labels = array.ndim == 1 and np.issubdtype(array.dtype, np.integer) and array.size
    if wide_labels and array.min() >= 0 and array.max() <= 255:
        array = array.astype(np.uint8)  # labels saved as wider integers hold the same content
    if array.dtype != np.uint8:
        raise DataError(
            f"{path}: key {key!r} has dtype {array.dtype}; the official {name} "
            f"{file.removesuffix('.gz')} holds unsigned bytes"
        )
    sha256 = idx_sha256(array)
    _check_content(path, name, file, sha256, f"key {key!r}")
    return Content(array, sha256, path)


def _check_content(path: Path, name: str, file: str, got: str, what: str) -> None:
    expected = SOURCES[name].files[file].content_sha256
    if expected is not None and got != expected:
        raise DataError(
            f"{path}: not the official {name} {file.removesuffix('.gz')}: its {what} "
            f"has SHA-256 {got}, expected {expected}"
        )
