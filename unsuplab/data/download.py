"""Full MNIST and Fashion-MNIST: downloaded once into a per-user cache, checked by SHA-256."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unsuplab import __version__
from unsuplab.data.readers import read_idx_pair
from unsuplab.data.types import DataError, ImageDataset

log = logging.getLogger(__name__)

#: Seconds to wait for a mirror to answer (and between two chunks of a download).
TIMEOUT_S = 30.0
_CHUNK = 1 << 16


@dataclass(frozen=True)
class _Source:
    mirrors: tuple[str, ...]                   # tried in order; each ends with "/"
    files: dict[str, tuple[int, str]]          # file name -> (size in bytes, SHA-256)


# Sizes and SHA-256 values from tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt
# and fashion_mnist.txt; the two MNIST t10k values were also recomputed from the official files.
# They agree with torchvision's prototype MNIST/FashionMNIST checksum tables.
_SOURCES = {
    "mnist": _Source(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        files={
            "train-images-idx3-ubyte.gz": (
                9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            "train-labels-idx1-ubyte.gz": (
                28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            "t10k-images-idx3-ubyte.gz": (
                1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            "t10k-labels-idx1-ubyte.gz": (
                4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        },
    ),
    "fashion-mnist": _Source(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/"
                 "data/fashion/"),
        files={
            "train-images-idx3-ubyte.gz": (
                26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            "train-labels-idx1-ubyte.gz": (
                29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            "t10k-images-idx3-ubyte.gz": (
                4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            "t10k-labels-idx1-ubyte.gz": (
                5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        },
    ),
}

#: Data sets this module can download.
DOWNLOADABLE = tuple(_SOURCES)

#: Called as progress(file name, bytes so far, bytes in all) while a file downloads.
Progress = Callable[[str, int, int], None]


def cache_dir() -> Path:
    """The per-user folder downloads go to; the UNSUPLAB_CACHE environment variable overrides it."""
    override = os.environ.get("UNSUPLAB_CACHE")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "unsuplab" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "unsuplab"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "unsuplab"


def fetch_idx_dataset(name: str, progress: Progress | None = None) -> ImageDataset:
    """MNIST or Fashion-MNIST with the official 60,000 / 10,000 split, downloaded if not cached."""
    if name not in _SOURCES:
        raise DataError(f"no download known for {name!r}; known: {', '.join(DOWNLOADABLE)}")
    folder = cache_dir() / name
    paths = {file: ensure_file(name, file, progress) for file in _SOURCES[name].files}
    train = read_idx_pair(paths["train-images-idx3-ubyte.gz"], paths["train-labels-idx1-ubyte.gz"])
    test = read_idx_pair(paths["t10k-images-idx3-ubyte.gz"], paths["t10k-labels-idx1-ubyte.gz"])
    return ImageDataset(name, *train, *test, source=str(folder))


def ensure_file(name: str, file: str, progress: Progress | None = None) -> Path:
    """The cached, checksum-verified `file` of data set `name`, downloaded when missing or bad."""
    source = _SOURCES[name]
    sha256 = source.files[file][1]
    path = cache_dir() / name / file
    note = ""
    if path.is_file():
        if _sha256(path) == sha256:
            return path
        # A bad copy (an interrupted older tool, a disk error) must never be trained on.
        path.unlink()
        note = f"the cached {path} had the wrong SHA-256 and was deleted; "
        log.warning("%s: wrong SHA-256, deleted; downloading it again", path)
    _download(name, file, path, source, progress, note)
    return path


def _download(name: str, file: str, path: Path, source: _Source,
              progress: Progress | None, note: str) -> None:
    size, sha256 = source.files[file]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{path.parent}: cannot create the download cache ({exc.strerror or exc});"
                        " set UNSUPLAB_CACHE to a writable folder") from None
    failures = []
    for mirror in source.mirrors:
        url = mirror + file
        try:
            _fetch(url, path, size, sha256, progress)
            return
        except _ChecksumError as exc:
            failures.append(f"{url}: {exc}")
        except (urllib.error.URLError, TimeoutError, http.client.HTTPException, OSError) as exc:
            failures.append(f"{url}: {_reason(exc)}")
    raise DataError(_failure_message(name, path, note, failures))


class _ChecksumError(Exception):
    """A download that arrived but is not the file we expected."""


def _fetch(url: str, path: Path, size: int, sha256: str, progress: Progress | None) -> None:
    # Into a .part file, renamed only once verified, so an interrupted download never looks done.
    part = path.with_name(path.name + ".part")
    digest = hashlib.sha256()
    done = 0
    request = urllib.request.Request(url, headers={"User-Agent": f"unsuplab/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, \
                part.open("wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(path.name, done, size)
        if digest.hexdigest() != sha256:
            raise _ChecksumError(f"downloaded {done} bytes with SHA-256 {digest.hexdigest()}, "
                                 f"expected {size} bytes with SHA-256 {sha256}; discarded")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    """What went wrong with one mirror, in words ("Name or service not known", "HTTP 404 ...")."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_S:g} s"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _failure_message(name: str, path: Path, note: str, failures: list[str]) -> str:
    return (f"{path}: could not download {name} ({note}tried {'; '.join(failures)}). "
            "Connect to the internet and try again, or point the Data file field (--data PATH "
            "on the command line) at MNIST-style files you already have: IDX, IDX .gz or a "
            "Keras mnist.npz. The bundled mnist-sample data set works offline.")
