"""What the window remembers across sessions (QSettings): theme, presenter scale, dock layout,
window geometry and last lesson. A settings file that cannot be read gives the defaults and a
log line, never a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

THEME, PRESENTER_FACTOR, GEOMETRY, DOCK_LAYOUT, LESSON = (
    "theme",
    "presenter_factor",
    "window_geometry",
    "window_state",
    "last_lesson",
)
#: Bumped when the docks change, so an old layout is not restored onto a different window.
LAYOUT_VERSION = 1


def check_file(settings: QSettings, warn: Callable[[str], None]) -> None:
    """Say so when the settings file is damaged: Qt then reads it as empty or in part, and what
    it cannot read takes its default."""
    keys = settings.allKeys()  # reads the file
    path = Path(settings.fileName())
    unreadable = settings.status() != QSettings.Status.NoError
    if unreadable or (not keys and path.is_file() and path.stat().st_size > 0):
        warn(f"The settings file {path} could not be read; using the defaults")


def read(
    settings: QSettings | None,
    key: str,
    default: Any,
    convert: Callable[[Any], Any],
    warn: Callable[[str], None],
) -> Any:
    """The stored value of `key` through `convert` (which raises on a bad one); `default` when
    there is none, or, with a log line, when it is damaged."""
    if settings is None or not settings.contains(key):
        return default
    try:
        return convert(settings.value(key))
    except (TypeError, ValueError) as exc:
        warn(f"Ignoring the remembered {key!r} ({exc}); using the default")
        return default


def as_bytes(value: Any) -> QByteArray:
    if not isinstance(value, (QByteArray, bytes)):
        raise TypeError(f"expected saved bytes, found {type(value).__name__}")
    return QByteArray(value)


def as_bool(value: Any) -> bool:
    """QSettings' text for a bool ("true"/"false") or a bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"expected true or false, found {value!r}")
    return text == "true"


def as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def save_layout(settings: QSettings | None, geometry: QByteArray, state: QByteArray) -> None:
    if settings is not None:
        settings.setValue(GEOMETRY, geometry)
        settings.setValue(DOCK_LAYOUT, state)


def forget_layout(settings: QSettings | None) -> None:
    if settings is not None:
        settings.remove(GEOMETRY)
        settings.remove(DOCK_LAYOUT)
