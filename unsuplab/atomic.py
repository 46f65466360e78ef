"""Writing output files whole or not at all: a temp file beside the target, then one rename.

A full disk, a read-only folder or a kill in the middle of a write never leaves a half-written
file under the real name; a failed write removes its temp file and raises one `OutputError`
that names the file and the operating system's reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PARTIAL = ".partial"  # the temp file of `name` is `name.partial`, beside it


class OutputError(OSError):
    """A file that could not be written; the message names it and the OS error."""

    def __init__(self, path: str | Path, cause: OSError):
        reason = cause.strerror or str(cause) or type(cause).__name__
        super().__init__(cause.errno, f"{path}: cannot write ({reason})")
        self.path = Path(path)

    def __str__(self) -> str:
        return self.strerror or ""


def partial_path(path: str | Path) -> Path:
    """Where `path` is written before it is renamed into place."""
    path = Path(path)
    return path.with_name(path.name + PARTIAL)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **open_args) -> Iterator[IO]:
    """Open `path.partial` for writing; when the block ends, flush it to the disk and rename it
    to `path`. On any error the temp file is removed and `path` is left as it was; an OSError
    comes out as an OutputError naming `path`."""
    path = Path(path)
    partial = partial_path(path)
    try:
        with open(partial, mode, **open_args) as f:  # replaces a stale temp of an earlier kill
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError as exc:
        _discard(partial)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(path, exc) from None
    except BaseException:
        _discard(partial)
        raise


def remove_partials(folder: str | Path) -> list[Path]:
    """Delete the temp files that killed writes left in `folder`; returns what was removed."""
    removed = []
    for stale in Path(folder).glob("*" + PARTIAL):
        if stale.is_file() and _discard(stale):
            removed.append(stale)
    return removed


def _discard(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:  # already gone, or the folder refuses even that: nothing more to do
        return False
    return True
