"""Downloads of full MNIST / Fashion-MNIST, with urlopen replaced: cache, checksums, offline."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from unsuplab.data import DataError, load_dataset, official
from unsuplab.data.download import ensure_file
from unsuplab.data.mnist import load_official
from unsuplab.data.official import FILES, cache_dir


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("UNSUPLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_mnist(encode_idx, make_digits, monkeypatch) -> dict[str, bytes]:
    """Four small gzip IDX files, registered as 'mnist' with their own sizes and SHA-256."""
    train, test = make_digits(30, seed=1), make_digits(10, seed=2)
    arrays = dict(zip(FILES, (*train, *test), strict=True))
    blobs = {name: gzip.compress(encode_idx(a), mtime=0) for name, a in arrays.items()}
    files = {
        name: official.OfficialFile(
            len(b), hashlib.sha256(b).hexdigest(), hashlib.sha256(encode_idx(arrays[name])).hexdigest()
        )
        for name, b in blobs.items()
    }
    source = official.Source(
        mirrors=("https://first.example/mnist/", "https://second.example/mnist/"), files=files
    )
    monkeypatch.setitem(official.SOURCES, "mnist", source)
    return blobs


def _no_network(*args, **kwargs):
    raise AssertionError("the network was used")


def _offline(*args, **kwargs):
    raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))


def _serving(blobs: dict[str, bytes], log: list[str] | None = None, bad_host: str = ""):
    """An urlopen that answers with the blob named by the URL's last part."""

    def urlopen(request, timeout=None):
        url = request.full_url
        assert timeout is not None  # a hanging server must not hang the lab
        if log is not None:
            log.append(url)
        if bad_host and bad_host in url:
            return io.BytesIO(b"<html>moved</html>")
        return io.BytesIO(blobs[url.rsplit("/", 1)[1]])

    return urlopen


def _fill_cache(cache: Path, blobs: dict[str, bytes]) -> Path:
    folder = cache / "mnist"
    folder.mkdir(parents=True)
    for name, blob in blobs.items():
        (folder / name).write_bytes(blob)
    return folder


def test_download_builds_the_official_split(cache, tiny_mnist, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(urllib.request, "urlopen", _serving(tiny_mnist, calls))
    data = load_official("mnist")
    assert (len(data.train_images), len(data.test_images)) == (30, 10)
    assert data.train_images.dtype == np.float32 and data.train_images.max() <= 1.0
    assert data.source == str(cache / "mnist")
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(FILES)  # no .part left
    assert all(url.startswith("https://first.example/") for url in calls) and len(calls) == 4


def test_good_cached_files_are_used_without_the_network(cache, tiny_mnist, monkeypatch):
    _fill_cache(cache, tiny_mnist)
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    data = load_official("mnist")
    assert len(data.train_labels) == 30


def test_unsuplab_cache_is_respected(cache, tiny_mnist, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _serving(tiny_mnist))
    assert cache_dir() == cache
    assert ensure_file("mnist", FILES[3]) == cache / "mnist" / FILES[3]
    assert (cache / "mnist" / FILES[3]).read_bytes() == tiny_mnist[FILES[3]]


def test_default_cache_folder_per_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("UNSUPLAB_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    monkeypatch.setattr(sys, "platform", "linux")
    assert cache_dir() == tmp_path / ".cache" / "unsuplab"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache_dir() == tmp_path / "Library" / "Caches" / "unsuplab"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert cache_dir() == tmp_path / "Local" / "unsuplab" / "cache"


def test_offline_gives_a_helpful_message(cache, tiny_mnist, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    with pytest.raises(DataError) as caught:
        load_official("mnist")
    message = str(caught.value)
    assert message.startswith(str(cache / "mnist" / FILES[0]))
    for expected in (
        "could not download mnist",
        "https://first.example/mnist/",
        "https://second.example/mnist/",
        "Temporary failure in name resolution",
        "Connect to the internet and try again",
        "Data file",
        "--data PATH",
        "IDX",
        "mnist.npz",
        "mnist-sample data set works offline",
    ):
        assert expected in message
    assert not list((cache / "mnist").iterdir())


def test_offline_through_the_registry(cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    with pytest.raises(DataError, match="fashion-mnist.*Connect to the internet"):
        load_dataset("fashion-mnist")


def test_timeout_is_reported(cache, tiny_mnist, monkeypatch):
    def slow(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(urllib.request, "urlopen", slow)
    with pytest.raises(DataError, match="no answer within"):
        ensure_file("mnist", FILES[1])


def test_next_mirror_is_tried_when_the_first_fails(cache, tiny_mnist, monkeypatch):
    calls: list[str] = []
    serve = _serving(tiny_mnist, calls)

    def first_is_down(request, timeout=None):
        if "first.example" in request.full_url:
            calls.append(request.full_url)
            raise urllib.error.HTTPError(request.full_url, 503, "Service Unavailable", {}, None)
        return serve(request, timeout)

    monkeypatch.setattr(urllib.request, "urlopen", first_is_down)
    path = ensure_file("mnist", FILES[1])
    assert path.read_bytes() == tiny_mnist[FILES[1]]
    assert [u.split("/")[2] for u in calls] == ["first.example", "second.example"]


def test_cached_file_with_wrong_checksum_is_deleted_and_reported(cache, tiny_mnist, monkeypatch):
    folder = _fill_cache(cache, tiny_mnist)
    bad = folder / FILES[0]
    bad.write_bytes(b"\x1f\x8b corrupted")
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    with pytest.raises(DataError) as caught:
        load_official("mnist")
    assert not bad.exists()
    assert f"the cached {bad} had the wrong SHA-256 and was deleted" in str(caught.value)


def test_cached_file_with_wrong_checksum_is_downloaded_again(cache, tiny_mnist, monkeypatch, caplog):
    folder = _fill_cache(cache, tiny_mnist)
    (folder / FILES[2]).write_bytes(b"stale")
    calls: list[str] = []
    monkeypatch.setattr(urllib.request, "urlopen", _serving(tiny_mnist, calls))
    data = load_official("mnist")
    assert len(data.test_images) == 10 and len(calls) == 1
    assert (folder / FILES[2]).read_bytes() == tiny_mnist[FILES[2]]
    assert "wrong SHA-256, deleted" in caplog.text


def test_download_with_wrong_checksum_is_discarded(cache, tiny_mnist, monkeypatch):
    monkeypatch.setattr(
        urllib.request, "urlopen", _serving(tiny_mnist, bad_host="example")
    )  # every mirror serves junk
    with pytest.raises(DataError, match="SHA-256 .* expected .* discarded") as caught:
        ensure_file("mnist", FILES[3])
    assert "first.example" in str(caught.value) and "second.example" in str(caught.value)
    assert not list((cache / "mnist").iterdir())  # neither the file nor a .part


def test_bad_mirror_then_good_mirror(cache, tiny_mnist, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _serving(tiny_mnist, bad_host="first"))
    assert ensure_file("mnist", FILES[3]).read_bytes() == tiny_mnist[FILES[3]]


def test_interrupted_download_leaves_no_file(cache, tiny_mnist, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise TimeoutError("timed out")
            return super().read(10)

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout=None: Broken(tiny_mnist[FILES[0]]))
    with pytest.raises(DataError, match="no answer within"):
        ensure_file("mnist", FILES[0])
    assert not list((cache / "mnist").iterdir())


def test_progress_is_reported(cache, tiny_mnist, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _serving(tiny_mnist))
    seen: list[tuple[str, int, int]] = []
    ensure_file("mnist", FILES[0], progress=lambda *a: seen.append(a))
    assert seen[-1] == (FILES[0], len(tiny_mnist[FILES[0]]), len(tiny_mnist[FILES[0]]))


def test_unknown_download():
    with pytest.raises(DataError, match="no download known for 'cifar'"):
        load_official("cifar")


def test_checksum_table_is_complete():
    for name in ("mnist", "fashion-mnist"):
        source = official.SOURCES[name]
        assert sorted(source.files) == sorted(FILES)
        assert all(len(f.sha256) == 64 and int(f.sha256, 16) >= 0 for f in source.files.values())
        assert source.mirrors and all(m.endswith("/") for m in source.mirrors)


def test_real_mnist_t10k_matches_the_checksum_table(real_mnist):
    real = real_mnist
    for name in FILES[2:]:
        expected = official.SOURCES["mnist"].files[name]
        blob = (real / name).read_bytes()
        assert (len(blob), hashlib.sha256(blob).hexdigest()) == (expected.size, expected.sha256)
