"""Full MNIST / Fashion-MNIST found on this machine without a network: the data folders, the
layouts, the content check, the .npy cache and the progress reports (tiny IDX files stand in)."""

from __future__ import annotations

import gzip
import hashlib
import re
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from unsuplab.data import DataError, local, npy_cache, official
from unsuplab.data.mnist import load_official
from unsuplab.data.official import FILES
from unsuplab.data.progress import listening


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty cache, and no network: a test that reaches for it fails."""
    monkeypatch.setenv("UNSUPLAB_CACHE", str(tmp_path / "cache"))

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)


@pytest.fixture
def contents(encode_idx, make_digits, monkeypatch) -> dict[str, bytes]:
    """The IDX content of four small files, registered as the official MNIST (content SHA-256
    known) and Fashion-MNIST (only the .gz SHA-256 known, as for the real one)."""
    train, test = make_digits(40, seed=1), make_digits(20, seed=2)
    idx = {file: encode_idx(a) for file, a in zip(FILES, (*train, *test), strict=True)}
    published = {file: gzip.compress(c, mtime=0) for file, c in idx.items()}
    for name, known in (("mnist", True), ("fashion-mnist", False)):
        files = {
            file: official.OfficialFile(
                len(published[file]),
                hashlib.sha256(published[file]).hexdigest(),
                hashlib.sha256(idx[file]).hexdigest() if known else None,
            )
            for file in FILES
        }
        monkeypatch.setitem(official.SOURCES, name, official.Source(("https://mirror.example/",), files))
    return idx


def _write(folder: Path, contents: dict[str, bytes], gz: bool = True, level: int = 1) -> Path:
    """The four files in `folder`, gzip-compressed at `level` (not the published bytes) or not."""
    folder.mkdir(parents=True, exist_ok=True)
    for file, content in contents.items():
        if gz:
            (folder / file).write_bytes(gzip.compress(content, compresslevel=level, mtime=1))
        else:
            (folder / file.removesuffix(".gz")).write_bytes(content)
    return folder


def _assert_official_split(data, contents):
    assert (len(data.train_images), len(data.test_images)) == (40, 20)
    expected = np.frombuffer(contents[FILES[0]], np.uint8, offset=16).reshape(40, 6, 6)
    np.testing.assert_allclose(data.train_images, expected / 255.0, atol=1e-7)
    assert data.train_labels.dtype == np.int64 and data.train_images.dtype == np.float32


@pytest.mark.parametrize("gz", [True, False], ids=["recompressed-gz", "decompressed"])
def test_a_copy_in_the_unsuplab_data_folder_is_found_offline(tmp_path, monkeypatch, contents, gz):
    folder = _write(tmp_path / "mine", contents, gz=gz, level=9)
    monkeypatch.setenv(local.ENV, str(folder))
    data = load_official("mnist")
    _assert_official_split(data, contents)
    assert data.source == str(folder)


def test_torchvision_layout(tmp_path, monkeypatch, contents):
    root = tmp_path / "torchvision"
    _write(root / "MNIST" / "raw", contents, gz=False)
    monkeypatch.setenv(local.ENV, str(root))
    _assert_official_split(load_official("mnist"), contents)


def test_keras_npz(tmp_path, monkeypatch, contents):
    arrays = {
        key: np.frombuffer(content, np.uint8, offset=16 if "images" in file else 8)
        for file, content in contents.items()
        for key in [local._KERAS[file]]
    }
    arrays = {
        key: a.reshape(-1, 6, 6) if key.startswith("x") else a.astype(np.int64) for key, a in arrays.items()
    }
    np.savez_compressed(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv(local.ENV, str(tmp_path))
    _assert_official_split(load_official("mnist"), contents)


def test_the_data_folder_choice_comes_before_unsuplab_data(tmp_path, monkeypatch, contents):
    chosen = _write(tmp_path / "chosen", contents)
    monkeypatch.setenv(local.ENV, str(tmp_path / "absent"))
    local.set_data_folder(chosen)
    assert local.data_folder() == chosen
    assert load_official("mnist").source == str(chosen)


def test_a_copy_that_is_not_the_official_content_is_refused_naming_it(tmp_path, monkeypatch, contents):
    folder = _write(tmp_path / "mine", contents)
    bad = folder / FILES[2]
    changed = bytearray(contents[FILES[2]])
    changed[-1] ^= 0xFF
    bad.write_bytes(gzip.compress(bytes(changed)))
    monkeypatch.setenv(local.ENV, str(folder))
    expected = official.SOURCES["mnist"].files[FILES[2]].content_sha256
    pattern = (
        re.escape(
            f"{bad}: not the official mnist t10k-images-idx3-ubyte: its decompressed content has SHA-256 "
        )
        + "[0-9a-f]{64}"
        + re.escape(f", expected {expected}")
        + ".*could not download mnist"
    )
    with pytest.raises(DataError, match=re.compile("^" + pattern, re.S)):
        load_official("mnist")


def test_a_refused_copy_is_passed_over_for_a_good_one(tmp_path, monkeypatch, contents, caplog):
    first = _write(tmp_path / "first", contents)
    (first / FILES[0]).write_bytes(b"not an IDX file")
    second = _write(tmp_path / "second", contents)
    local.set_data_folder(first)
    monkeypatch.setenv(local.ENV, str(second))
    data = load_official("mnist")
    _assert_official_split(data, contents)
    assert data.source == str(second)  # where the training images came from
    assert f"{first / FILES[0]}: wrong magic number" in caplog.text  # and the user is told


def test_a_missing_unsuplab_data_folder_is_named(tmp_path, monkeypatch, contents):
    monkeypatch.setenv(local.ENV, str(tmp_path / "nowhere"))
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{tmp_path / 'nowhere'}: no such folder (named by the environment variable UNSUPLAB_DATA)"
        ),
    ):
        load_official("mnist")


def test_the_download_cache_may_hold_recompressed_files(tmp_path, contents):
    _write(official.cache_dir() / "mnist", contents, level=9)
    _assert_official_split(load_official("mnist"), contents)


def test_fashion_mnist_trusts_only_the_published_gz(tmp_path, monkeypatch, contents):
    folder = _write(tmp_path / "fashion", contents, gz=False)
    monkeypatch.setenv(local.ENV, str(folder))
    with pytest.raises(DataError, match="only the published .gz files can be checked"):
        load_official("fashion-mnist")
    for file, content in contents.items():
        (folder / file).write_bytes(gzip.compress(content, mtime=0))  # the published bytes
    assert len(load_official("fashion-mnist").train_images) == 40


def test_mnist_files_are_not_taken_for_fashion_mnist(tmp_path, monkeypatch, contents):
    monkeypatch.setitem(
        official.SOURCES,
        "fashion-mnist",
        official.Source(
            ("https://mirror.example/",),
            {file: official.OfficialFile(1, "0" * 64, "1" * 64) for file in FILES},
        ),
    )
    monkeypatch.setenv(local.ENV, str(_write(tmp_path / "mnist", contents)))
    with pytest.raises(DataError, match="not the official fashion-mnist train-images"):
        load_official("fashion-mnist")


def test_the_arrays_are_cached_as_npy_and_read_from_there(tmp_path, monkeypatch, contents):
    folder = _write(tmp_path / "mine", contents)
    monkeypatch.setenv(local.ENV, str(folder))
    first = load_official("mnist")
    cached = npy_cache.folder("mnist")
    assert sorted(p.name for p in cached.glob("*.npy")) == sorted(
        f.removesuffix(".gz") + ".npy" for f in FILES
    )
    assert isinstance(np.load(cached / "train-images-idx3-ubyte.npy", mmap_mode="r"), np.memmap)
    monkeypatch.delenv(local.ENV)  # the files are no longer reachable
    second = load_official("mnist")
    assert second.source == str(cached)
    np.testing.assert_array_equal(second.train_images, first.train_images)
    np.testing.assert_array_equal(second.test_labels, first.test_labels)


def test_a_damaged_npy_cache_is_not_trusted(tmp_path, monkeypatch, contents):
    monkeypatch.setenv(local.ENV, str(_write(tmp_path / "mine", contents)))
    first = load_official("mnist")
    path = npy_cache.folder("mnist") / "t10k-images-idx3-ubyte.npy"
    damaged = np.load(path).copy()
    damaged[0, 0, 0] ^= 0xFF
    np.save(path, damaged)
    again = load_official("mnist")
    assert again.source == str(tmp_path / "mine")  # read from the files once more
    np.testing.assert_array_equal(again.test_images, first.test_images)
    assert npy_cache.load("mnist", FILES) is not None  # and the cache written afresh


def test_loading_reports_progress(tmp_path, monkeypatch, contents):
    monkeypatch.setenv(local.ENV, str(_write(tmp_path / "mine", contents)))
    heard: list[tuple[str, int, int]] = []
    with listening(lambda *report: heard.append(report)):
        load_official("mnist")
        load_official("mnist")
    load_official("mnist")  # no longer listening
    done = [what for what, n, total in heard if n == total]
    assert done == [f"reading {file}" for file in FILES] + ["reading the cached mnist"]


# --- the real files, when they are beside the checkout -------------------------------------------


def test_real_mnist_from_a_data_folder(real_mnist, monkeypatch):
    monkeypatch.setenv(local.ENV, str(real_mnist))
    for _ in range(2):  # from the files, then from the .npy cache
        data = load_official("mnist")
        assert (len(data.train_images), len(data.test_images)) == (60_000, 10_000)
        assert np.bincount(data.train_labels).tolist() == [
            5923,
            6742,
            5958,
            6131,
            5842,
            5421,
            5918,
            6265,
            5851,
            5949,
        ]
        assert data.image_shape == (28, 28) and data.train_images.max() == 1.0
    assert data.source == str(npy_cache.folder("mnist"))
