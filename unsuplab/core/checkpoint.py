"""The saved-run format: lesson, config, step, metric history, weights, the states of the
lesson's random generators and the run's timeline (frames and keyframes) in one `.pt` file (and,
for a comparison, every variant's config, its weights keyed by variant).

Files are read with `torch.load(..., weights_only=True)`, so a file from the internet can hold
tensors and plain values but never code. Files are written whole or not at all (`unsuplab.atomic`).
torch is imported only when a file is read or written. A damaged timeline does not cost the run:
the weights still open, with the timeline left out and the reason in `SavedRun.timeline_problem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unsuplab.atomic import PARTIAL, atomic_write
from unsuplab.core.config import ConfigError, from_dict, to_dict
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import Restore, random_state
from unsuplab.core.timeline import Timeline, TimelineError, timeline_from_plain, timeline_to_plain

FORMAT = "unsuplab-run"
VERSION = 1


class CheckpointError(ValueError):
    """A run file that cannot be used; the message names the file and the problem."""


@dataclass
class SavedRun:
    """A run read back from disk. `timeline` is None when the file has none, or a damaged one
    (then `timeline_problem` says what is wrong, naming the file)."""

    lesson: str
    config: Any
    step: int
    history: MetricHistory
    state: dict[str, Any]
    variants: list[Any] = field(default_factory=list)  # a comparison's configs (core/compare.py)
    timeline: Timeline | None = None
    timeline_problem: str | None = None
    random: dict[str, Any] | None = None

    def restore(self) -> Restore:
        """What the run loop needs to continue this run, timeline included."""
        return Restore(self.state, self.step, self.history, self.timeline, self.random)


def save_run(path, experiment, step: int, history: MetricHistory, timeline: Timeline | None = None) -> None:
    """Write a run atomically: a crash, a kill or a full disk mid-write leaves any earlier file
    intact and no temp file behind (a stale one from a killed save is replaced); a file that
    cannot be written raises `unsuplab.atomic.OutputError` naming it and the OS error."""
    import torch

    record = {
        "format": FORMAT,
        "version": VERSION,
        "lesson": experiment.name,
        "config": to_dict(experiment.config),
        "step": int(step),
        "history": history.to_dict(),
        "state": experiment.state_dict(),
        "random": random_state(experiment),
    }
    if timeline is not None:
        record["timeline"] = timeline_to_plain(timeline, _tensor)
    variants = getattr(experiment, "variant_configs", None)  # a comparison of variants
    if variants is not None:
        record["variants"] = [to_dict(config) for config in variants]
    with atomic_write(path) as f:
        stream = _WriteErrors(f)
        try:
            torch.save(record, stream)
        except RuntimeError:
            if stream.error is None:
                raise
            raise stream.error from None


class _WriteErrors:
    """A file that remembers why a write failed: torch.save turns an OSError ("No space left on
    device") into a RuntimeError about stream positions."""

    def __init__(self, f):
        self.f, self.error = f, None

    def write(self, data) -> int:
        try:
            return self.f.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self.f.flush()


def load_run(path, expected_lesson: str | None = None) -> SavedRun:
    """Read a run saved by `save_run`; refuse anything else with a message naming the file."""
    import pickle

    import torch

    from unsuplab.core.registry import lesson

    path = Path(path)
    if path.name.endswith(PARTIAL):
        raise CheckpointError(
            f"{path}: an unfinished save (the temp file of a save that was "
            f"interrupted), never a complete run; open "
            f"{path.name[: -len(PARTIAL)]} instead"
        )
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a folder; expected a run file (.pt)") from None
    except pickle.UnpicklingError as exc:
        raise CheckpointError(_refusal(path, exc)) from None
    except Exception as exc:  # noqa: BLE001 - a foreign file can break the parser in any way
        # torch's own messages run to several sentences; the first one says what broke.
        text = str(exc).strip()
        reason = text.splitlines()[0].split(". ")[0] if text else type(exc).__name__
        if isinstance(exc, KeyError) or "weights_only" in reason:
            reason = "unexpected content"
        if path.is_file() and path.stat().st_size == 0:
            reason = "the file is empty"
        raise CheckpointError(
            f"{path}: not a readable unsuplab run file (truncated or corrupt?): {reason}"
        ) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an unsuplab run file (no '{FORMAT}' header)")
    if record.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: run file version {record.get('version')} is not "
            f"supported (this unsuplab reads version {VERSION})"
        )
    name = record.get("lesson")
    if expected_lesson is not None and name != expected_lesson:
        raise CheckpointError(f"{path}: this run is from the lesson {name!r}, not {expected_lesson!r}")
    try:
        cls = lesson(str(name))
    except KeyError:
        raise CheckpointError(
            f"{path}: this run is from the lesson {name!r}, which this unsuplab does not have"
        ) from None
    try:
        config = from_dict(cls.Config, record["config"])
        history = MetricHistory.from_dict(record["history"])
        state = record["state"]
        if not isinstance(state, dict):
            raise TypeError("the learned state is not a dict")
        step = int(record["step"])
        variants = [from_dict(cls.Config, values) for values in record.get("variants", [])]
        random = record.get("random")
        if random is not None and not isinstance(random, dict):
            raise TypeError("the random generators' states are not a dict")
    except (KeyError, TypeError, ValueError, AttributeError, ConfigError) as exc:
        raise CheckpointError(f"{path}: damaged run file: {exc}") from None
    bad = _first_non_finite(state)
    if bad is not None:
        raise CheckpointError(
            f"{path}: the weights hold values that are not finite numbers (NaN or infinite) in "
            f"{bad}; this run diverged before it was saved and cannot continue"
        )
    saved = SavedRun(str(name), config, step, history, state, variants, random=random)
    if "timeline" in record:
        try:
            saved.timeline = timeline_from_plain(record["timeline"], str(path), convert=_array)
        except TimelineError as exc:
            saved.timeline_problem = f"{exc}; the run opens without its timeline"
    return saved


def _tensor(array):
    """A numpy array as the tensor a run file holds (a read-only array is copied first: torch
    shares memory with the arrays it is given and warns about read-only ones)."""
    import torch

    return torch.from_numpy(array if array.flags.writeable else array.copy())


def _array(value: Any) -> Any:
    """A tensor of a saved timeline back as the numpy array it was; other values unchanged."""
    import torch

    return value.numpy() if isinstance(value, torch.Tensor) else value


def _first_non_finite(value: Any, name: str = "state") -> str | None:
    """The dotted name of the first floating-point tensor in a nested state holding a NaN or an
    infinity, or None when every number is finite."""
    import torch

    if isinstance(value, torch.Tensor):
        if value.is_floating_point() or value.is_complex():
            return None if bool(torch.isfinite(value).all()) else name
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{name}.{key}")
        if found is not None:
            return found
    return None


def _refusal(path: Path, exc: Exception) -> str:
    """Why torch's safe loader refused a file, in our words: never its advice on how to load the
    file unsafely, which is the one thing a refused file must not be tempted with."""
    text = str(exc)
    unsafe = re.search(r"GLOBAL ([\w.]+)", text)
    if unsafe:
        # The pickle names a Python object to import and call: that is how a file runs code.
        return (
            f"{path}: refused, not loaded: the file holds a Python object other than tensors "
            f"and plain values ({unsafe.group(1)}), which loading would import and call: it "
            "tries to run code. A run file never does; do not open this file"
        )
    marker = "WeightsUnpickler error:"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = next((line.split(marker, 1)[1].strip() for line in lines if marker in line), None)
    if detail is None and "weights_only" not in text and lines:
        detail = lines[0]
    return (
        f"{path}: not loaded: not an unsuplab run file (corrupt, or another program's file"
        f"{': ' + detail if detail else ''})"
    )
