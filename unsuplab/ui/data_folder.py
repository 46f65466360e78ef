"""File → Data folder…: the folder searched first for copies of MNIST and Fashion-MNIST already on
this machine (`unsuplab.data.local`). A choice is checked at once: the log says which data sets
are there, or names the folder and what is missing or refused; a folder that holds neither is
not kept. The choice is remembered across sessions with the window's other settings."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from unsuplab.data import local
from unsuplab.data.official import FILES, OFFICIAL
from unsuplab.ui import remembered

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow

#: The QSettings key of the chosen folder.
KEY = "data_folder"
#: What a data folder may hold, for the message when it holds none of it.
LAYOUTS = (
    "the four official files (.gz or decompressed), directly or in a mnist/ or fashion-mnist/ "
    "folder, torchvision's MNIST/raw and FashionMNIST/raw, or Keras' mnist.npz"
)


def looked_over(folder: Path) -> tuple[list[str], list[str]]:
    """What `folder`, as the Data folder choice, holds: a line for each data set found whole
    there, and a line for each one that is not (its missing files and refused copies; not the
    files another data set found there is made of, as MNIST's files are not Fashion-MNIST's)."""
    searches = {name: local.search(name, FILES) for name in OFFICIAL}
    here = {
        name: {file: c for file, c in search.found.items() if folder in c.path.parents}
        for name, search in searches.items()
    }
    used = {
        str(content.path) for files in here.values() if len(files) == len(FILES) for content in files.values()
    }
    found, lacking = [], []
    for name, search in searches.items():
        if len(here[name]) == len(FILES):
            train, test = (len(here[name][file].array) for file in (FILES[0], FILES[2]))
            places = sorted({str(content.path.parent) for content in here[name].values()})
            found.append(f"{name}: {train:,} training and {test:,} test images in {', '.join(places)}")
            continue
        refused = [
            reason
            for reason in search.refused
            if reason.startswith(str(folder)) and reason.split(": ", 1)[0] not in used
        ]
        missing = ", ".join(file.removesuffix(".gz") for file in FILES if file not in here[name])
        lacking.append(f"{name}: {'; '.join(refused) or 'no copy of ' + missing}")
    return found, lacking


class _Check(QObject):
    """Carries a folder check's answer from its thread to the GUI thread."""

    answered = Signal(object)  # (found, lacking) lines, or the exception the check raised


def choose_data_folder(window: MainWindow, folder: str | Path | None = None) -> Future:
    """File → Data folder…: ask for a folder (unless given), check it off the GUI thread (reading
    70,000 images takes seconds: the window stays live, the status bar says so) and keep it when
    it holds MNIST or Fashion-MNIST. The returned future holds True when it was kept."""
    result: Future = Future()
    before = local.data_folder()
    if folder is None:
        folder = QFileDialog.getExistingDirectory(window, "Data folder", str(before or Path.home()))
        if not folder:
            result.set_result(False)
            return result
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        window.show_error(f"Data folder {folder}: no such folder")
        result.set_result(False)
        return result
    local.set_data_folder(folder)
    window.statusBar().showMessage(f"Checking the data folder {folder} …")
    check = _Check(window)

    def answered(answer: object) -> None:
        check.deleteLater()
        window.statusBar().clearMessage()
        result.set_result(_keep_or_refuse(window, folder, before, answer))

    check.answered.connect(answered)

    def look() -> None:
        try:
            answer: object = looked_over(folder)
        except Exception as exc:  # noqa: BLE001 - any reading fault is reported on the GUI thread
            answer = exc
        check.answered.emit(answer)

    threading.Thread(target=look, name="unsuplab-data-folder", daemon=True).start()
    return result


def _keep_or_refuse(window: MainWindow, folder: Path, before: Path | None, answer: object) -> bool:
    """Keep `folder` when the check found a data set there (the log lists what), else go back to
    `before` with an error naming the folder and what it lacks."""
    if isinstance(answer, Exception):
        local.set_data_folder(before)
        window.show_error(f"Data folder {folder} could not be read: {answer}")
        return False
    found, lacking = answer
    if not found:
        local.set_data_folder(before)
        window.show_error(
            f"Data folder {folder} holds no MNIST or Fashion-MNIST the lab can use "
            f"({' — '.join(lacking)}); the Data folder stays {before or 'unset'}",
            f"A data folder may hold {LAYOUTS}; a copy is used only when its content is the official one.",
        )
        return False
    for line in found + lacking:
        window.log.add(f"Data folder {folder}: {line}")
    if window.settings is not None:
        window.settings.setValue(KEY, str(folder))
    return True


def restore_data_folder(window: MainWindow) -> None:
    """Search the remembered Data folder again (a folder since removed is said and left out)."""
    folder = remembered.read(window.settings, KEY, None, remembered.as_text, window.warn_settings)
    if folder is None:
        return
    if Path(folder).is_dir():
        local.set_data_folder(folder)
    else:
        window.warn_settings(f"The remembered data folder {folder} is gone; not searched")
