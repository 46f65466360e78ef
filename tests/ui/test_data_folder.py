"""File → Data folder…: a folder is checked when chosen; the log says what was found there, or
names the folder and what is missing or refused; a good choice is remembered across sessions.
Small made-up IDX files stand in for MNIST (no real data in tests)."""

import gzip
import hashlib

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from unsuplab.data import local, official
from unsuplab.data.official import FILES
from unsuplab.ui.data_folder import KEY, choose_data_folder
from unsuplab.ui.main_window import MainWindow


def idx(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


@pytest.fixture(autouse=True)
def no_data_folders(monkeypatch):
    monkeypatch.delenv(local.ENV, raising=False)
    monkeypatch.setattr(local, "_chosen", None)  # the choice is the process's: put it back after


@pytest.fixture
def fake_mnist(tmp_path) -> dict[str, bytes]:
    """Four small IDX files (40 training and 20 test images) written as .gz in tmp_path/fake."""
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (n, 6, 6), dtype=np.uint8) for n in (40,)] + [
        np.arange(40, dtype=np.uint8) % 10
    ]
    arrays += [rng.integers(0, 256, (20, 6, 6), dtype=np.uint8), np.arange(20, dtype=np.uint8) % 10]
    contents = {file: idx(array) for file, array in zip(FILES, arrays, strict=True)}
    folder = tmp_path / "fake"
    folder.mkdir()
    for file, content in contents.items():
        (folder / file).write_bytes(gzip.compress(content))
    return contents


def last_error(window: MainWindow) -> str:
    return next(line for line in reversed(window.log.lines()) if " ERROR " in line)


def checked(qtbot, answer) -> bool:
    """Whether the folder was kept, once its check (on a thread of its own) has answered."""
    qtbot.waitUntil(answer.done, timeout=10_000)
    return answer.result()


def open_window(qtbot, tmp_path) -> MainWindow:
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    return window


def test_an_empty_folder_or_copies_that_are_not_official_are_refused_by_name(qtbot, tmp_path, fake_mnist):
    window = open_window(qtbot, tmp_path)
    assert window.actions_["data_folder"] in window.menuBar().actions()[0].menu().actions()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not checked(qtbot, choose_data_folder(window, empty))
    error = last_error(window)
    assert f"ERROR Data folder {empty} holds no MNIST or Fashion-MNIST" in error
    assert "mnist: no copy of train-images-idx3-ubyte, train-labels-idx1-ubyte" in error
    assert "the Data folder stays unset" in error and local.data_folder() is None
    assert not checked(qtbot, choose_data_folder(window, tmp_path / "fake"))
    error = last_error(window)
    refused = tmp_path / "fake" / "train-images-idx3-ubyte.gz"
    assert f"{refused}: not the official mnist train-images-idx3-ubyte: its decompressed content" in error
    assert local.data_folder() is None and not window.settings.contains(KEY)


def test_a_folder_with_mnist_is_kept_said_and_remembered(qtbot, tmp_path, fake_mnist, monkeypatch):
    files = {
        file: official.OfficialFile(0, "", hashlib.sha256(content).hexdigest())
        for file, content in fake_mnist.items()
    }
    monkeypatch.setitem(official.SOURCES, "mnist", official.Source((), files))  # the fakes are "official"
    window = open_window(qtbot, tmp_path)
    folder = tmp_path / "fake"
    answer = choose_data_folder(window, folder)
    assert window.statusBar().currentMessage().startswith(f"Checking the data folder {folder}")
    assert checked(qtbot, answer)  # read on a thread of its own: the window stays live meanwhile
    assert local.data_folder() == folder
    lines = window.log.lines()
    assert any(
        f"Data folder {folder}: mnist: 40 training and 20 test images in {folder}" in line for line in lines
    )
    assert any(f"{folder}: fashion-mnist: no copy of train-images" in line for line in lines)  # said too
    window.close()
    window.settings.sync()
    local.set_data_folder(None)
    open_window(qtbot, tmp_path)  # the next session searches it again
    assert local.data_folder() == folder
