"""Downloads of the official MNIST and Fashion-MNIST files into the per-user cache, each checked
by SHA-256 before it is kept."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from unsuplab import __version__
from unsuplab.data.official import SOURCES, Source, cache_dir, sha256_of
from unsuplab.data.progress import Progress
from unsuplab.data.types import DataError

log = logging.getLogger(__name__)

#: Seconds to wait for a mirror to answer (and between two chunks of a download).
TIMEOUT_S = 30.0
_CHUNK = 1 << 16


def ensure_file(name: str, file: str, progress: Progress | None = None) -> Path:
    """The cached, checksum-verified `file` of data set `name`, downloaded when missing or bad."""
    source = SOURCES[name]
    sha256 = source.files[file].sha256
    path = cache_dir() / name / file
    note = ""
    if path.is_file():
        if sha256_of(path) == sha256:
            return path
        # A bad copy (an interrupted older tool, a disk error) must never be trained on.
        path.unlink()
        note = f"the cached {path} had the wrong SHA-256 and was deleted; "
        log.warning("%s: wrong SHA-256, deleted; downloading it again", path)
    _download(name, file, path, source, progress, note)
    return path


def _download(name: str, file: str, path: Path, source: Source, progress: Progress | None, note: str) -> None:
    size, sha256 = source.files[file].size, source.files[file].sha256
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"{path.parent}: cannot create the download cache ({exc.strerror or exc});"
            " set UNSUPLAB_CACHE to a writable folder"
        ) from None
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
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, part.open("wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(path.name, done, size)
        if digest.hexdigest() != sha256:
            raise _ChecksumError(
                f"downloaded {done} bytes with SHA-256 {digest.hexdigest()}, "
                f"expected {size} bytes with SHA-256 {sha256}; discarded"
            )
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


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
    return (
        f"{path}: could not download {name} ({note}tried {'; '.join(failures)}). "
        "Connect to the internet and try again; or, if you have the official files, name "
        "their folder with the environment variable UNSUPLAB_DATA or the window's Data "
        "folder… choice (the four files, .gz or not, torchvision's MNIST/raw or Keras' "
        "mnist.npz); or point the Data file field (--data PATH on the command line) at "
        "MNIST-style files you already have: IDX, IDX .gz or a Keras mnist.npz. The bundled "
        "mnist-sample data set works offline."
    )
