"""Full MNIST and Fashion-MNIST with the official split (60,000 images to train on, the 10,000
test images held out), from the quickest trusted place: the arrays cached after the first load,
a copy already on this machine, the download cache, or a checked download."""

from __future__ import annotations

import logging

import numpy as np

from unsuplab.data import local, npy_cache
from unsuplab.data.download import ensure_file
from unsuplab.data.official import FILES, OFFICIAL, SOURCES, cache_dir
from unsuplab.data.progress import Progress, report
from unsuplab.data.readers import to_unit
from unsuplab.data.types import DataError, ImageDataset

log = logging.getLogger(__name__)


def load_official(name: str, progress: Progress | None = None) -> ImageDataset:
    """MNIST or Fashion-MNIST with the official train / test split; `progress` (by default every
    `unsuplab.data.progress` listener) hears each file read or downloaded."""
    if name not in SOURCES:
        raise DataError(f"no download known for {name!r}; known: {', '.join(OFFICIAL)}")
    progress = progress or report
    arrays = npy_cache.load(name, FILES)
    if arrays is not None:
        progress(f"reading the cached {name}", 1, 1)
        source = npy_cache.folder(name)
    else:
        contents = _read(name, progress)
        arrays = {file: content.array for file, content in contents.items()}
        npy_cache.save(name, arrays, {file: content.sha256 for file, content in contents.items()})
        source = contents[FILES[0]].path.parent
    train_images, train_labels, test_images, test_labels = (arrays[file] for file in FILES)
    return ImageDataset(
        name,
        to_unit(train_images),
        np.array(train_labels, dtype=np.int64),
        to_unit(test_images),
        np.array(test_labels, dtype=np.int64),
        source=str(source),
    )


def _read(name: str, progress: Progress) -> dict[str, local.Content]:
    """Each official file from the user's data folders, else the download cache, else a download."""

    def reading(file: str, done: int, total: int) -> None:
        progress(f"reading {file}", done, total)

    def downloading(file: str, done: int, total: int) -> None:
        progress(f"downloading {file}", done, total)

    search = local.search(name, FILES, reading)
    contents = dict(search.found)
    for file in FILES:
        if file in contents:
            continue
        cached = cache_dir() / name / file
        if cached.is_file():
            try:
                contents[file] = local.read_official(cached, name, file, reading)
                continue
            except DataError:
                pass  # ensure_file replaces a bad cached copy and says so
        try:
            path = ensure_file(name, file, downloading)
        except DataError as exc:
            if not search.refused:
                raise
            raise DataError(f"{'; '.join(search.refused)}; and {exc}") from None
        contents[file] = local.read_official(path, name, file, reading)
    for refusal in search.refused:  # passed over for a trusted copy; worth knowing all the same
        log.warning("%s", refusal)
    return contents
