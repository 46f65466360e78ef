"""The checked arrays of MNIST / Fashion-MNIST kept in the cache as .npy files, memory-mapped on
the next load instead of decompressing again, and trusted only while their content still hashes
to what was checked when they were written."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from unsuplab.data.official import SOURCES, cache_dir
from unsuplab.data.readers import idx_sha256

log = logging.getLogger(__name__)

_INDEX = "arrays.json"  # official file name -> SHA-256 of its IDX content


def folder(name: str) -> Path:
    """Where the .npy files of data set `name` are kept."""
    return cache_dir() / "npy" / name


def load(name: str, files: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The cached arrays of `files` (read-only memory maps), or None when any is missing, damaged
    or not what was checked."""
    place = folder(name)
    try:
        recorded = json.loads((place / _INDEX).read_text(encoding="utf-8"))
        arrays = {file: np.load(place / _npy_name(file), mmap_mode="r", allow_pickle=False) for file in files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: the cached arrays cannot be read (%s); reading the files again", place, exc)
        return None
    for file, array in arrays.items():
        expected = SOURCES[name].files[file].content_sha256 or recorded.get(file)
        if array.dtype != np.uint8 or idx_sha256(array) != expected:
            log.warning("%s: damaged or stale; reading the files again", place / _npy_name(file))
            return None
    return arrays


def save(name: str, arrays: dict[str, np.ndarray], digests: dict[str, str]) -> None:
    """Keep `arrays` (checked, with their content SHA-256) for the next load; a cache that cannot
    be written only costs time, so that is a warning, not an error."""
    place = folder(name)
    try:
        place.mkdir(parents=True, exist_ok=True)
        for file, array in arrays.items():
            _write_atomically(place / _npy_name(file), lambda f, a=array: np.save(f, a))
        text = json.dumps(digests, indent=1, sort_keys=True)
        _write_atomically(place / _INDEX, lambda f: f.write(text.encode("utf-8")))
    except OSError as exc:
        log.warning(
            "%s: cannot keep the decoded arrays (%s); the next load reads the files again",
            place,
            exc.strerror or exc,
        )


def _npy_name(file: str) -> str:
    return file.removesuffix(".gz") + ".npy"


def _write_atomically(path: Path, write) -> None:
    # Into a .part file, renamed only once complete, so a half-written array never looks done.
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as f:
            write(f)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
