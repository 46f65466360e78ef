"""The saved-run format: lesson, config, step, metric history and weights in one `.pt` file.

Files are read with `torch.load(..., weights_only=True)`, so a file from the internet can hold
tensors and plain values but never code. torch is imported only when a file is read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unsuplab.core.config import ConfigError, from_dict, to_dict
from unsuplab.core.history import MetricHistory

FORMAT = "unsuplab-run"
VERSION = 1


class CheckpointError(ValueError):
    """A run file that cannot be used; the message names the file and the problem."""


@dataclass
class SavedRun:
    """A run read back from disk."""

    lesson: str
    config: Any
    step: int
    history: MetricHistory
    state: dict[str, Any]


def save_run(path, experiment, step: int, history: MetricHistory) -> None:
    """Write a run atomically (a crash mid-write leaves any earlier file intact)."""
    import torch

    path = Path(path)
    record = {
        "format": FORMAT,
        "version": VERSION,
        "lesson": experiment.name,
        "config": to_dict(experiment.config),
        "step": int(step),
        "history": history.to_dict(),
        "state": experiment.state_dict(),
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(record, partial)
    partial.replace(path)


def load_run(path, expected_lesson: str | None = None) -> SavedRun:
    """Read a run saved by `save_run`; refuse anything else with a message naming the file."""
    import pickle
    import zipfile

    import torch

    from unsuplab.core.registry import lesson

    path = Path(path)
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsafe content"
        raise CheckpointError(
            f"{path}: refused, the file holds more than weights and plain values "
            f"(it could run code when loaded): {first}"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable unsuplab run file "
                              f"(truncated or corrupt?): {exc}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an unsuplab run file (no '{FORMAT}' header)")
    if record.get("version") != VERSION:
        raise CheckpointError(f"{path}: run file version {record.get('version')} is not "
                              f"supported (this unsuplab reads version {VERSION})")
    name = record.get("lesson")
    if expected_lesson is not None and name != expected_lesson:
        raise CheckpointError(f"{path}: this run is from the lesson {name!r}, "
                              f"not {expected_lesson!r}")
    try:
        cls = lesson(str(name))
        config = from_dict(cls.Config, record["config"])
        history = MetricHistory.from_dict(record["history"])
        return SavedRun(str(name), config, int(record["step"]), history, record["state"])
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise CheckpointError(f"{path}: damaged run file: {exc}") from None
