"""IDX and Keras npz readers and the user's own files: good input round-trips, bad is named."""

from __future__ import annotations

import gzip
import io
import re
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unsuplab.data import DataError, load_files
from unsuplab.data.readers import read_idx, read_idx_pair, read_keras_npz, read_user_dataset


def _raises(path: Path, *fragments: str):
    """A pytest.raises whose message must start with `path` and contain every fragment."""
    pattern = "^" + re.escape(str(path)) + ".*" + ".*".join(re.escape(f) for f in fragments)
    return pytest.raises(DataError, match=re.compile(pattern, re.S))


# --- read_idx: good files ----------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_idx_images_and_labels_round_trip(write_idx, make_digits, gz):
    images, labels = make_digits(23)
    got_images = read_idx(write_idx("x-images-idx3-ubyte", images, gz))
    got_labels = read_idx(write_idx("x-labels-idx1-ubyte", labels, gz))
    assert got_images.dtype == np.uint8 and got_images.shape == (23, 6, 6)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    got_images[0, 0, 0] = 1  # the caller owns a writable array


def test_gzip_is_detected_by_content_not_name(tmp_path, write_idx, make_digits):
    images, _ = make_digits(4)
    gz_named_plain = write_idx("plain.gz", images)
    plain_named_gz = write_idx("zipped-but-no-suffix", images, gz=True)
    np.testing.assert_array_equal(read_idx(gz_named_plain), images)
    np.testing.assert_array_equal(read_idx(plain_named_gz), images)


def test_non_square_images_keep_rows_and_columns(write_idx):
    images = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    np.testing.assert_array_equal(read_idx(write_idx("wide", images)), images)


# --- read_idx: bad files -----------------------------------------------------------------------


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "bogus-images-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x56\x78" + bytes(100))
    with _raises(
        path,
        "wrong magic number 0x12345678",
        "expected an IDX images (0x00000803) or labels (0x00000801) file",
    ):
        read_idx(path)


def test_png_posing_as_idx(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    Image.new("L", (28, 28)).save(path, format="PNG")
    with _raises(path, "wrong magic number 0x89504E47", "looks like a PNG image"):
        read_idx(path)


def test_text_posing_as_idx(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_text("label,pixel0,pixel1\n5,0,0\n")
    with _raises(path, "wrong magic number", "looks like a text file"):
        read_idx(path)


def test_tiny_file(tmp_path):
    path = tmp_path / "two-bytes"
    path.write_bytes(b"\0\0")
    with _raises(path, "truncated", "2 bytes"):
        read_idx(path)


def test_unsupported_idx_type(tmp_path):
    path = tmp_path / "floats"
    path.write_bytes(bytes([0, 0, 0x0D, 1]) + (2).to_bytes(4, "big") + bytes(8))
    with _raises(path, "IDX data type 0x0D (float32) is not supported", "unsigned bytes"):
        read_idx(path)


def test_unsupported_number_of_dimensions(tmp_path, encode_idx):
    path = tmp_path / "matrix"
    path.write_bytes(encode_idx(np.zeros((3, 4), np.uint8)))
    with _raises(path, "2 dimensions", "images (3", "labels (1"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "short-header"
    path.write_bytes(bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big"))
    with _raises(path, "truncated", "header needs 16 bytes, file has 8 bytes"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_truncated_images(tmp_path, encode_idx, gz):
    data = encode_idx(np.zeros((10, 28, 28), np.uint8))[: 16 + 123]
    path = tmp_path / "cut-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with _raises(path, "truncated: header declares 10 images of 28x28 = 7840 bytes, file has 123 bytes"):
        read_idx(path)


def test_truncated_labels(tmp_path, encode_idx):
    path = tmp_path / "cut-labels-idx1-ubyte"
    path.write_bytes(encode_idx(np.zeros(50, np.uint8))[:-5])
    with _raises(path, "truncated: header declares 50 labels = 50 bytes, file has 45 bytes"):
        read_idx(path)


def test_trailing_bytes(tmp_path, encode_idx):
    path = tmp_path / "long-images-idx3-ubyte"
    path.write_bytes(encode_idx(np.zeros((2, 4, 4), np.uint8)) + b"junk")
    with _raises(path, "4 bytes of trailing garbage", "2 images of 4x4 = 32 bytes", "file has 36 bytes"):
        read_idx(path)


def test_damaged_gzip(tmp_path, encode_idx):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(encode_idx(np.zeros((5, 4, 4), np.uint8)))[:30])
    with _raises(path, "damaged gzip file"):
        read_idx(path)


def test_missing_file_and_folder(tmp_path):
    with _raises(tmp_path / "nope", "no such file"):
        read_idx(tmp_path / "nope")
    with _raises(tmp_path, "is a folder"):
        read_idx(tmp_path)


# --- read_keras_npz ----------------------------------------------------------------------------


def _keras(make_digits, n_train=40, n_test=20, **override):
    x_train, y_train = make_digits(n_train, seed=1, size=28)
    x_test, y_test = make_digits(n_test, seed=2, size=28)
    arrays = {
        "x_train": x_train,
        "y_train": y_train.astype(np.int64),
        "x_test": x_test,
        "y_test": y_test.astype(np.int64),
    }
    arrays.update(override)
    return {k: v for k, v in arrays.items() if v is not None}


def test_keras_npz_round_trip(tmp_path, make_digits):
    arrays = _keras(make_digits)
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    (x_train, y_train), (x_test, y_test) = read_keras_npz(path)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_test.shape == (20, 28, 28)


def test_keras_npz_missing_key(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, y_test=None))
    with _raises(path, "missing key 'y_test'", "x_train, y_train, x_test, y_test"):
        read_keras_npz(path)


def test_keras_npz_flat_images(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, x_train=np.zeros((40, 784), np.uint8)))
    with _raises(path, "key 'x_train' has shape (40, 784)", "expected 3-D images"):
        read_keras_npz(path)


def test_keras_npz_label_count(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, y_test=np.zeros(19, np.int64)))
    with _raises(path, "key 'x_test' holds 20 images but 'y_test' holds 19 labels"):
        read_keras_npz(path)


def test_keras_npz_values_out_of_range(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, x_test=np.full((20, 28, 28), 300, np.int32)))
    with _raises(path, "key 'x_test' has values 300..300", "0..255"):
        read_keras_npz(path)


def test_keras_npz_float_images(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, x_train=np.zeros((40, 28, 28), np.float32)))
    with _raises(path, "key 'x_train' has dtype float32", "uint8"):
        read_keras_npz(path)


def test_keras_npz_mismatched_image_sizes(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits, x_test=np.zeros((20, 32, 32), np.uint8)))
    with _raises(path, "'x_test' holds 32x32 images but 'x_train' holds 28x28"):
        read_keras_npz(path)


def test_keras_npz_that_is_not_a_zip(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("hello")
    with _raises(path, "not a NumPy .npz archive", "text file"):
        read_keras_npz(path)


def test_keras_npz_damaged_archive(tmp_path, make_digits):
    good = tmp_path / "good.npz"
    np.savez(good, **_keras(make_digits))
    path = tmp_path / "mnist.npz"
    path.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(DataError, match="^" + re.escape(str(path))):
        read_keras_npz(path)


def test_keras_npz_with_pickled_member(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    arrays = _keras(make_digits, y_train=np.array([object()] * 40, dtype=object))
    np.savez(path, **arrays)
    with _raises(path, "'y_train'"):
        read_keras_npz(path)


# --- read_user_dataset -------------------------------------------------------------------------


def test_user_keras_npz(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_keras(make_digits))
    data = load_files(str(path))
    assert len(data.train_images) == 40 and len(data.test_images) == 20
    assert data.train_images.dtype == np.float32 and data.image_shape == (28, 28)
    assert data.train_images.min() >= 0.0 and data.train_images.max() <= 1.0
    assert data.source == str(path)


def test_user_idx_file_without_test_part_holds_out_a_tenth(mnist_pair):
    images, _ = mnist_pair("train", 200, gz=True)
    data = read_user_dataset(images)
    assert (len(data.train_images), len(data.test_images)) == (180, 20)
    assert np.bincount(data.test_labels).tolist() == [2] * 10  # stratified
    assert data.train_images.dtype == np.float32 and data.train_labels.dtype == np.int64
    assert data.train_images.max() <= 1.0 and data.train_images.min() >= 0.0
    again = read_user_dataset(images)
    np.testing.assert_array_equal(again.test_images, data.test_images)  # deterministic


def test_user_train_file_pairs_with_t10k_beside_it(mnist_pair):
    train_images, _ = mnist_pair("train", 60, seed=1)
    mnist_pair("t10k", 30, gz=True, seed=2)  # plain and gzip may be mixed
    data = read_user_dataset(train_images)
    assert (len(data.train_images), len(data.test_images)) == (60, 30)
    raw = read_idx(train_images)
    np.testing.assert_allclose(data.train_images, raw / 255.0, atol=1e-7)


def test_user_t10k_file_alone_is_split(mnist_pair):
    images, _ = mnist_pair("t10k", 100)
    data = read_user_dataset(images)
    assert (len(data.train_images), len(data.test_images)) == (90, 10)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_user_folder_with_the_standard_four(tmp_path, mnist_pair, gz):
    mnist_pair("train", 50, gz=gz)
    mnist_pair("t10k", 20, gz=gz)
    data = load_files(tmp_path)
    assert (len(data.train_images), len(data.test_images)) == (50, 20)
    assert data.source == str(tmp_path)


def test_user_folder_with_only_t10k(tmp_path, mnist_pair):
    mnist_pair("t10k", 100, gz=True)
    data = read_user_dataset(tmp_path)
    assert len(data.train_images) + len(data.test_images) == 100
    assert len(data.test_images) == 10


def test_user_folder_without_mnist_files(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with _raises(tmp_path, "holds no MNIST-style files", "train-images-idx3-ubyte"):
        read_user_dataset(tmp_path)


def test_user_missing_label_file_names_it(mnist_pair):
    images, labels = mnist_pair("train", 20)
    labels.unlink()
    with _raises(images, "labels file is missing", str(labels)):
        read_user_dataset(images)


def test_user_image_and_label_count_mismatch(write_idx, make_digits):
    images, labels = make_digits(20)
    images_path = write_idx("train-images-idx3-ubyte", images)
    labels_path = write_idx("train-labels-idx1-ubyte", labels[:17])
    with _raises(images_path, "holds 20 images but", str(labels_path), "holds 17 labels"):
        read_user_dataset(images_path)


def test_user_labels_file_given_instead_of_images(mnist_pair):
    _, labels = mnist_pair("train", 20)
    with _raises(labels, "is an IDX labels file", "expected an images file"):
        read_user_dataset(labels)


def test_user_idx_file_with_an_unrelated_name(write_idx, make_digits):
    path = write_idx("my-digits.bin", make_digits(10)[0])
    with _raises(path, "cannot tell which file holds its labels"):
        read_user_dataset(path)


def test_user_png_posing_as_idx(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    with _raises(path, "wrong magic number", "PNG image"):
        read_user_dataset(path)


def test_user_zip_that_is_not_an_npz(tmp_path):
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hi")
    with _raises(path, "missing key 'x_train'"):
        read_user_dataset(path)


def test_user_missing_path(tmp_path):
    with _raises(tmp_path / "absent.npz", "no such file or folder"):
        load_files(tmp_path / "absent.npz")


def test_idx_pair_rejects_swapped_files(mnist_pair):
    images, labels = mnist_pair("train", 5)
    with _raises(labels, "is an IDX labels file"):
        read_idx_pair(labels, images)
    with _raises(images, "is an IDX images file"):
        read_idx_pair(images, images)


def test_user_train_and_t10k_of_different_sizes(write_idx, make_digits):
    train_images = write_idx("train-images-idx3-ubyte", make_digits(10, size=6)[0])
    write_idx("train-labels-idx1-ubyte", make_digits(10)[1])
    test_images = write_idx("t10k-images-idx3-ubyte", make_digits(10, size=8)[0])
    write_idx("t10k-labels-idx1-ubyte", make_digits(10)[1])
    with _raises(test_images, "holds 8x8 images but", str(train_images), "6x6 images"):
        read_user_dataset(train_images)


def test_user_folder_with_dotted_names(tmp_path, write_idx, make_digits):
    images, labels = make_digits(40)
    write_idx("train-images.idx3-ubyte", images)
    write_idx("train-labels.idx1-ubyte", labels)
    data = read_user_dataset(tmp_path)
    assert len(data.train_images) + len(data.test_images) == 40


def test_user_hold_out_keeps_every_class_in_training(write_idx):
    # 95 images of class 0 and 5 of class 1: 10 % of 100 over 2 classes would take all of class 1.
    labels = np.array([0] * 95 + [1] * 5, np.uint8)
    path = write_idx("skewed-images-idx3-ubyte", np.zeros((100, 4, 4), np.uint8))
    write_idx("skewed-labels-idx1-ubyte", labels)
    data = read_user_dataset(path)
    assert set(data.train_labels.tolist()) == {0, 1}
    assert set(data.test_labels.tolist()) == {0, 1}


def test_utf8_text_posing_as_idx(tmp_path):
    path = tmp_path / "notes-images-idx3-ubyte"
    path.write_text("Größe: 28 × 28 — " * 30, encoding="utf-8")
    with _raises(path, "wrong magic number", "looks like a text file"):
        read_idx(path)


# --- hostile files: small on disk, huge in memory (issue 19) -------------------------------------


def _zeros_after(path: Path, header_and_data: bytes, zeros: int) -> None:
    """A gzip file of `header_and_data` followed by `zeros` zero bytes, written in pieces."""
    piece = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header_and_data)
        for _ in range(zeros // len(piece)):
            f.write(piece)


def test_gzip_with_a_long_tail_of_zeros_is_refused_without_reading_it(tmp_path, encode_idx):
    # A valid 100-image file followed by 256 MiB of zeros: ~250 KB on disk. It must be refused
    # for its trailing data, without decompressing the tail into memory.
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    _zeros_after(path, encode_idx(np.zeros((100, 28, 28), np.uint8)), 256 << 20)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with _raises(
            path,
            "more than 1048576 bytes of trailing garbage",
            "header declares 100 images of 28x28 = 78400 bytes",
        ):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20


def test_gzip_with_a_short_tail_counts_it(tmp_path, encode_idx):
    path = tmp_path / "tail-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(np.zeros((2, 4, 4), np.uint8)) + b"junk"))
    with _raises(path, "4 bytes of trailing garbage", "2 images of 4x4 = 32 bytes", "file has 36 bytes"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_header_whose_dimensions_overflow_is_refused(tmp_path, gz):
    # 2^20 x 6001 x 2931542417 wraps around in 64-bit integers; checked with Python integers.
    dims = (1 << 20, 6001, 2931542417)
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path = tmp_path / "overflow-images-idx3-ubyte"
    data = header + bytes(64)
    path.write_bytes(gzip.compress(data) if gz else data)
    declared = f"1048576 images of 6001x2931542417 = {1048576 * 6001 * 2931542417} bytes"
    with _raises(path, "truncated: header declares " + declared):
        read_idx(path)


def test_header_beyond_the_stated_limit_is_refused(tmp_path, monkeypatch, encode_idx):
    from unsuplab.data import readers

    monkeypatch.setattr(readers, "MAX_IDX_BYTES", 1000)
    path = tmp_path / "big-images-idx3-ubyte"
    path.write_bytes(encode_idx(np.zeros((2, 28, 28), np.uint8)))
    with _raises(path, "too large: header declares 2 images of 28x28 = 1568 bytes", "at most 1000 bytes"):
        read_idx(path)


def test_keras_npz_with_no_images_is_refused(tmp_path, make_digits):
    path = tmp_path / "mnist.npz"
    np.savez(
        path, **_keras(make_digits, x_train=np.zeros((0, 28, 28), np.uint8), y_train=np.zeros(0, np.int64))
    )
    with _raises(path, "key 'x_train' holds no images"):
        load_files(path)
    np.savez(
        path, **_keras(make_digits, x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.int64))
    )
    with _raises(path, "key 'x_test' holds no images"):
        load_files(path)


def test_idx_file_with_one_image_per_label_has_nothing_to_hold_out(mnist_pair):
    images, _ = mnist_pair("train", 10)  # labels 0..9, one image each
    with _raises(images, "label 0 has only 1 image", "none is left to hold out", "t10k- files beside it"):
        read_user_dataset(images)


def test_keras_npz_member_beyond_the_stated_limit_is_refused(tmp_path, make_digits, monkeypatch):
    from unsuplab.data import readers

    monkeypatch.setattr(readers, "MAX_IDX_BYTES", 20_000)
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **_keras(make_digits))  # x_train: 40 x 28 x 28 = 31,360 bytes
    with _raises(path, "key 'x_train' is too large", "at most 20000 bytes"):
        read_keras_npz(path)
