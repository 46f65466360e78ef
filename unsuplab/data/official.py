"""The official files of MNIST and Fashion-MNIST: where they are published, what their bytes and
their decompressed content hash to, and the per-user cache folder that keeps them."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OfficialFile:
    """One published file: the .gz as mirrors serve it, and the IDX content inside it."""

    size: int  # bytes of the published .gz
    sha256: str  # SHA-256 of the published .gz
    content_sha256: str | None  # SHA-256 of the decompressed IDX content; None where not known


@dataclass(frozen=True)
class Source:
    """Where a data set's four files are published, and their checksums."""

    mirrors: tuple[str, ...]  # tried in order; each ends with "/"
    files: dict[str, OfficialFile]  # file name -> what it must hold


#: The four files of each data set, in the order of ImageDataset's fields.
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# The .gz sizes and SHA-256 values are from tensorflow/datasets, tensorflow_datasets/url_checksums/
# mnist.txt and fashion_mnist.txt (they agree with torchvision's prototype checksum tables); the
# MNIST content SHA-256 values were computed from the official files (../shared/data/mnist/README.md
# lists them with their MD5s). Fashion-MNIST's content values are not known here, so only its
# published .gz files can be checked.
SOURCES = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        files={
            "train-images-idx3-ubyte.gz": OfficialFile(
                9912422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            "train-labels-idx1-ubyte.gz": OfficialFile(
                28881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            "t10k-images-idx3-ubyte.gz": OfficialFile(
                1648877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            "t10k-labels-idx1-ubyte.gz": OfficialFile(
                4542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        },
    ),
    "fashion-mnist": Source(
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files={
            "train-images-idx3-ubyte.gz": OfficialFile(
                26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", None
            ),
            "train-labels-idx1-ubyte.gz": OfficialFile(
                29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", None
            ),
            "t10k-images-idx3-ubyte.gz": OfficialFile(
                4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", None
            ),
            "t10k-labels-idx1-ubyte.gz": OfficialFile(
                5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", None
            ),
        },
    ),
}

#: Data sets with official files.
OFFICIAL = tuple(SOURCES)


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


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes as stored."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
