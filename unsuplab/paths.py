"""Where the bundled resources and sample data live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(wheel_name: str, checkout_name: str) -> Path:
    # A wheel carries the folders inside the package; a checkout (or editable install) beside it.
    inside = _PACKAGE / wheel_name
    return inside if inside.is_dir() else _PACKAGE.parent / checkout_name


def resources_dir() -> Path:
    """The folder with lesson texts, icons and style sheets."""
    return _bundled("_resources", "resources")


def sample_data_dir() -> Path:
    """The folder with the small data sets that ship with the lab."""
    return _bundled("_sample_data", "sample_data")


def lesson_text_path(name: str) -> Path:
    """The markdown file that explains lesson `name`."""
    return resources_dir() / "lessons" / f"{name}.md"
