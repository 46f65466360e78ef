"""Readers for image files people already have: IDX (plain or gzip) and Keras' mnist.npz."""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from unsuplab.data.progress import Progress
from unsuplab.data.splits import held_out_split
from unsuplab.data.types import DataError, ImageDataset

if TYPE_CHECKING:
    from hashlib import _Hash

IDX_IMAGES = 0x00000803
IDX_LABELS = 0x00000801
KERAS_KEYS = ("x_train", "y_train", "x_test", "y_test")

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
# What a file that is not IDX most likely is, so the message can say more than "wrong magic".
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (_ZIP_MAGIC, "a zip archive (a NumPy .npz?)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"%PDF", "a PDF document"),
)
# IDX type codes (the third magic byte); only unsigned bytes hold MNIST-style data.
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
_IDX_DIMS = {3: "images", 1: "labels"}
#: The most bytes one IDX file may hold after its header: 1 GiB, about 1.37 million 28x28 images
#: (kept as float32 they take four times as much memory).
MAX_IDX_BYTES = 1 << 30
# deflate shrinks data by at most about 1032 : 1, so a gzip file cannot hold more than this.
_DEFLATE_MAX_RATIO = 1032
_SNIFF = 256  # bytes read first: the header, and enough to tell what else a file might be
_CHUNK = 1 << 22
_TRAILING_COUNTED = 1 << 20  # how far past the promised end a file is read to say how much is there
# The fraction of a single file held out when no separate test file is beside it.
_HELD_OUT_FRACTION = 0.1


# --- IDX ---------------------------------------------------------------------------------------


def read_idx(path: str | Path, progress: Progress | None = None, digest: _Hash | None = None) -> np.ndarray:
    """The array in an IDX file (plain or gzip): images (n, rows, cols) or labels (n,), uint8.

    Reads no more than the header promises (and one byte to see data trailing it), so a small
    file that claims or hides gigabytes is refused before memory is spent on it. `progress` hears
    (file name, bytes read, bytes in all); `digest`, if given, is fed the decompressed content.
    """
    path = Path(path)
    with _opened(path) as (stream, size, compressed):
        head = stream.read(_SNIFF)
        ndim = _check_magic(path, head)
        header = 4 + 4 * ndim
        if len(head) < header:
            raise DataError(
                f"{path}: truncated: an IDX {_IDX_DIMS[ndim]} header needs {header} "
                f"bytes, file has {len(head)} bytes"
            )
        dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        need = math.prod(dims)  # Python integers: a hostile header cannot overflow the check
        _check_promise(path, dims, need, header, size, compressed)
        data = np.empty(need, dtype=np.uint8)
        start = head[header : header + need]
        data[: len(start)] = np.frombuffer(start, dtype=np.uint8)
        got = _fill(stream, memoryview(data), len(start), path.name, progress)
        if got < need:
            _check_length(path, dims, got, header)
        trailing = max(len(head) - header - need, 0) + len(stream.read(1))
        if trailing > 0:
            trailing += len(stream.read(_TRAILING_COUNTED))
            _check_length(
                path,
                dims,
                need + min(trailing, _TRAILING_COUNTED),
                header,
                at_least=trailing > _TRAILING_COUNTED,
            )
    if digest is not None:
        digest.update(head[:header])
        digest.update(data)
    return data.reshape(dims)


@contextmanager
def _opened(path: Path) -> Iterator[tuple[BinaryIO, int, bool]]:
    """(the decompressed bytes as a stream, the file's size, gzip?); read errors become DataErrors."""
    with _raw(path) as f:
        # By content, not name: people gunzip files and keep the name, or download without .gz.
        compressed = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        size = os.fstat(f.fileno()).st_size
        try:
            if compressed:
                with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                    yield stream, size, True
            else:
                yield f, size, False
        except (OSError, EOFError, zlib.error) as exc:
            if compressed:
                raise DataError(f"{path}: damaged gzip file ({exc}); download it again") from None
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


@contextmanager
def _raw(path: Path) -> Iterator[BinaryIO]:
    """The file opened for reading as stored, or a DataError that says why it cannot be."""
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a data file")
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with f:
        yield f


def _check_promise(
    path: Path, dims: tuple[int, ...], need: int, header: int, size: int, compressed: bool
) -> None:
    """Refuse a header whose promise the file cannot keep, before any memory is set aside."""
    if not compressed:
        _check_length(path, dims, size - header, header)
    elif need > _DEFLATE_MAX_RATIO * size:
        raise DataError(
            f"{path}: truncated: header declares {_declared(dims, need)}, more than a "
            f"{size}-byte gzip file can hold"
        )
    if need > MAX_IDX_BYTES:
        raise DataError(
            f"{path}: too large: header declares {_declared(dims, need)}; the lab "
            f"reads at most {MAX_IDX_BYTES} bytes ({MAX_IDX_BYTES >> 30} GiB) from "
            "one file"
        )


def _fill(stream: BinaryIO, out: memoryview, got: int, name: str, progress: Progress | None) -> int:
    """Read into `out` from position `got` until it is full or the stream ends; bytes in it."""
    while True:
        if progress is not None:
            progress(name, got, len(out))
        n = stream.readinto(out[got : got + _CHUNK]) if got < len(out) else 0
        if not n:
            return got
        got += n


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's first `limit` bytes as stored, or a DataError that says why they cannot be read."""
    with _raw(path) as f:
        try:
            return f.read(limit)
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def idx_header(shape: tuple[int, ...]) -> bytes:
    """The IDX header of an unsigned-byte array of `shape`: what comes before its bytes."""
    return bytes([0, 0, 0x08, len(shape)]) + b"".join(int(d).to_bytes(4, "big") for d in shape)


def idx_sha256(array: np.ndarray) -> str:
    """The SHA-256 of the IDX file that holds `array` (unsigned bytes), header included."""
    digest = hashlib.sha256(idx_header(array.shape))
    digest.update(np.ascontiguousarray(array))
    return digest.hexdigest()


def _check_magic(path: Path, raw: bytes) -> int:
    """The number of dimensions, after making sure `raw` starts like an IDX images/labels file."""
    if len(raw) < 4:
        raise DataError(f"{path}: truncated: file has {len(raw)} bytes, too short for an IDX magic number")
    magic = int.from_bytes(raw[:4], "big")
    if magic in (IDX_IMAGES, IDX_LABELS):
        return raw[3]
    if raw[:2] == b"\0\0" and raw[2] in _IDX_TYPES and raw[2] != 0x08:
        raise DataError(
            f"{path}: IDX data type 0x{raw[2]:02X} ({_IDX_TYPES[raw[2]]}) is not "
            "supported; expected unsigned bytes (0x08) as in MNIST"
        )
    if raw[:3] == b"\0\0\x08":
        raise DataError(
            f"{path}: IDX file with {raw[3]} dimensions; expected images (3, magic "
            "0x00000803) or labels (1, magic 0x00000801)"
        )
    raise DataError(
        f"{path}: wrong magic number 0x{magic:08X}; expected an IDX images "
        f"(0x{IDX_IMAGES:08X}) or labels (0x{IDX_LABELS:08X}) file{_looks_like(raw)}"
    )


def _looks_like(raw: bytes) -> str:
    for signature, what in _SIGNATURES:
        if raw.startswith(signature):
            return f"; it looks like {what}"
    return "; it looks like a text file" if _is_text(raw[:256]) else ""


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The 256-byte cut may split one multi-byte character; that is still text.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return bool(text) and all(c.isprintable() or c in "\t\r\n" for c in text)


def _declared(dims: tuple[int, ...], need: int) -> str:
    if len(dims) == 3:
        return f"{dims[0]} images of {dims[1]}x{dims[2]} = {need} bytes"
    return f"{dims[0]} labels = {need} bytes"


def _check_length(path: Path, dims: tuple[int, ...], have: int, header: int, at_least: bool = False) -> None:
    """Refuse data of `have` bytes (`at_least` that many) after the header where the header
    declares another length."""
    need = math.prod(dims)
    if have == need:
        return
    more = "more than " if at_least else ""
    problem = "truncated" if have < need else f"{more}{have - need} bytes of trailing garbage"
    raise DataError(
        f"{path}: {problem}: header declares {_declared(dims, need)}, file has "
        f"{more}{have} bytes after the {header}-byte header"
    )


# --- Keras mnist.npz -----------------------------------------------------------------------------


def read_keras_npz(
    path: str | Path,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) from a Keras-style mnist.npz, images uint8."""
    path = Path(path)
    arrays = read_npz_arrays(path, KERAS_KEYS)
    train = _keras_part(path, arrays, "train")
    test = _keras_part(path, arrays, "test")
    if train[0].shape[1:] != test[0].shape[1:]:
        raise DataError(
            f"{path}: key 'x_test' holds {_size(test[0])} images but 'x_train' holds {_size(train[0])} images"
        )
    return train, test


def read_npz_arrays(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `keys` of a Keras-style .npz (never unpickling), or a DataError naming the
    file and what is wrong: not an .npz, a key missing, damaged, too large."""
    head = _read_bytes(path, _SNIFF)
    if not head.startswith(_ZIP_MAGIC):
        raise DataError(
            f"{path}: not a NumPy .npz archive{_looks_like(head)}; expected a "
            f"Keras mnist.npz with keys {', '.join(KERAS_KEYS)}"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = sorted(archive.files)
            missing = [k for k in keys if k not in found]
            if missing:
                raise DataError(
                    f"{path}: missing key {missing[0]!r}; a Keras mnist.npz holds "
                    f"{', '.join(KERAS_KEYS)} (this one has: "
                    f"{', '.join(found) or 'nothing'})"
                )
            return {key: _npz_member(path, archive, key) for key in keys}
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: damaged .npz archive ({exc})") from None


def _npz_member(path: Path, archive, key: str) -> np.ndarray:
    names = archive.zip.namelist()
    size = archive.zip.getinfo(f"{key}.npy" if f"{key}.npy" in names else key).file_size
    if size > MAX_IDX_BYTES:
        raise DataError(
            f"{path}: key {key!r} is too large: {size} bytes; the lab reads at most "
            f"{MAX_IDX_BYTES} bytes ({MAX_IDX_BYTES >> 30} GiB) per array"
        )
    try:
        return archive[key]
    except (OSError, ValueError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{path}: key {key!r} cannot be read ({exc})") from None


def _keras_part(path: Path, arrays: dict, part: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
    if x.ndim != 3:
        raise DataError(
            f"{path}: key 'x_{part}' has shape {x.shape}; expected 3-D images "
            "(n, height, width) such as (60000, 28, 28)"
        )
    if not np.issubdtype(x.dtype, np.integer):
        raise DataError(f"{path}: key 'x_{part}' has dtype {x.dtype}; expected uint8 pixel values 0..255")
    if x.size and (x.min() < 0 or x.max() > 255):
        raise DataError(
            f"{path}: key 'x_{part}' has values {x.min()}..{x.max()}; expected pixel values 0..255"
        )
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            f"{path}: key 'y_{part}' has shape {y.shape} and dtype {y.dtype}; "
            "expected one integer label per image"
        )
    if len(y) != len(x):
        raise DataError(f"{path}: key 'x_{part}' holds {len(x)} images but 'y_{part}' holds {len(y)} labels")
    if len(x) == 0:
        raise DataError(
            f"{path}: key 'x_{part}' holds no images; a Keras mnist.npz needs "
            f"images to {'train on' if part == 'train' else 'hold out'}"
        )
    return x.astype(np.uint8), y.astype(np.int64)


def _size(images: np.ndarray) -> str:
    return "x".join(str(d) for d in images.shape[1:])


# --- the user's own files ------------------------------------------------------------------------


def read_user_dataset(path: Path) -> ImageDataset:
    """A data set from a Keras .npz, an IDX images file with its labels beside it, or a folder
    holding train-/t10k- IDX files; held out is the test part, or 10 % of each class."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if _read_bytes(path, 4) == _ZIP_MAGIC:
        (x_train, y_train), (x_test, y_test) = read_keras_npz(path)
        return _dataset(path, (to_unit(x_train), y_train), (to_unit(x_test), y_test))
    return _from_idx_images(path)


def read_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images scaled to [0, 1] (float32) and int64 labels from an IDX images/labels pair."""
    return _paired(images_path, _read_images(images_path), labels_path)


def _read_images(path: Path) -> np.ndarray:
    images = read_idx(path)
    if images.ndim != 3:
        raise DataError(
            f"{path}: is an IDX labels file; expected an images file "
            "(magic 0x00000803), with its labels file beside it"
        )
    if len(images) == 0:
        raise DataError(f"{path}: holds no images")
    return images


def _paired(images_path: Path, images: np.ndarray, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    labels = read_idx(labels_path)
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: is an IDX images file; expected a labels file (magic 0x00000801)")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    return to_unit(images), labels.astype(np.int64)


def _from_idx_images(images_path: Path) -> ImageDataset:
    # The images first: a PNG or a labels file handed in is the clearer error than "no labels".
    images = _read_images(images_path)
    train = _paired(images_path, images, _labels_beside(images_path))
    test_images = _t10k_beside(images_path)
    if test_images is None:
        return _dataset(images_path, *_hold_out(images_path, *train))
    test = read_idx_pair(test_images, _labels_beside(test_images))
    if test[0].shape[1:] != train[0].shape[1:]:
        raise DataError(
            f"{test_images} holds {_size(test[0])} images but {images_path} holds {_size(train[0])} images"
        )
    return _dataset(images_path, train, test)


def _labels_beside(images_path: Path) -> Path:
    """The labels file that goes with `images_path` (MNIST naming), or a DataError naming it."""
    name = images_path.name
    if "images" not in name and "idx3" not in name:
        raise DataError(
            f"{images_path}: cannot tell which file holds its labels; name the pair "
            "like train-images-idx3-ubyte and train-labels-idx1-ubyte"
        )
    wanted = name.replace("images", "labels").replace("idx3", "idx1")
    candidates = [images_path.with_name(n) for n in _with_and_without_gz(wanted)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = " or ".join(str(c) for c in candidates)
    raise DataError(f"{images_path}: its labels file is missing; looked for {tried}")


def _with_and_without_gz(name: str) -> list[str]:
    # Same form as the images file first, then the other (one gunzipped, one not).
    other = name[:-3] if name.endswith(".gz") else name + ".gz"
    return [name, other]


def _t10k_beside(images_path: Path) -> Path | None:
    name = images_path.name
    if not name.startswith("train"):
        return None
    for candidate in _with_and_without_gz("t10k" + name[len("train") :]):
        if (images_path.parent / candidate).is_file():
            return images_path.parent / candidate
    return None


def _from_folder(folder: Path) -> ImageDataset:
    for prefix in ("train", "t10k"):
        # The dotted form is how some mirrors (Kaggle) name the unpacked files.
        for stem in (f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"):
            for name in _with_and_without_gz(stem):
                if (folder / name).is_file():
                    return _renamed(_from_idx_images(folder / name), folder)
    if (folder / "mnist.npz").is_file():
        return read_user_dataset(folder / "mnist.npz")
    raise DataError(
        f"{folder}: folder holds no MNIST-style files; expected "
        "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (with "
        "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] as the test "
        "part), just the two t10k files, or a Keras mnist.npz"
    )


def _hold_out(path: Path, images: np.ndarray, labels: np.ndarray):
    """Train and held-out parts: about 10 % of every class, never more than half the smallest."""
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < 2:
        label = classes[np.argmin(counts)]
        raise DataError(
            f"{path}: label {label} has only 1 image, so none is left to hold out for "
            "evaluation; give every label at least 2 images, or put the matching "
            "t10k- files beside it as the held-out part"
        )
    per_class = round(_HELD_OUT_FRACTION * len(labels) / len(classes))
    per_class = max(1, min(per_class, int(counts.min()) // 2))
    x_train, y_train, x_test, y_test = held_out_split(images, labels, per_class=per_class)
    return (x_train, y_train), (x_test, y_test)


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [0, 1] (in one pass: 60,000 digits are 188 MB)."""
    return np.divide(images, np.float32(255), dtype=np.float32)


def _dataset(path: Path, train, test) -> ImageDataset:
    for part, images in (("training", train[0]), ("test", test[0])):
        if len(images) == 0:
            raise DataError(f"{path}: holds no {part} images")
    return ImageDataset(path.name, train[0], train[1], test[0], test[1], source=str(path))


def _renamed(dataset: ImageDataset, folder: Path) -> ImageDataset:
    return ImageDataset(
        folder.name,
        dataset.train_images,
        dataset.train_labels,
        dataset.test_images,
        dataset.test_labels,
        source=str(folder),
    )
