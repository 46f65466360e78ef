"""The timeline of a run: what its views showed at recorded steps, and keyframes of its learned
state to branch from, thinned to stay within a byte budget and saved as plain values.

A frame holds the snapshot payloads that are not curves of the metric history: those are cut
from the history at the frame's step instead (`curves_until`), so a frame never stores them. A
payload equal to the one the previous frame holds under the same key is shared, not stored
twice, and so is an unchanged array inside a changed payload (a scatter's thumbnails).
When the budget is full, a quarter of the frames go, those whose loss leaves the smallest gap for
their age (never the first or the newest): the gaps between kept frames grow in proportion to
their age, so recent steps stay dense and the whole run stays covered, log-spaced. (Dropping
every other frame of the older half instead, over and over, empties the oldest part: a 3,000-step
run kept at 80 frames had one frame for its first 2,838 steps.)

The worker thread records; any thread may read: every method takes the timeline's lock, and the
frames and payloads it hands out are never changed afterwards.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from unsuplab.core.payloads import Curves, Payload

FORMAT = "unsuplab-timeline"
VERSION = 1
DEFAULT_BUDGET = 256 * 2**20  # bytes of frames plus keyframes
DEFAULT_KEYFRAME_INTERVAL = 300.0  # seconds of the caller's clock between two timed keyframes
FRAME_OVERHEAD = 512  # bytes a frame costs beyond its arrays: the frame, its dicts and metrics
PAYLOAD_OVERHEAD = 256  # bytes a stored payload costs beyond its arrays: titles, labels
#: Every payload class by its `kind`: the kinds a saved timeline may hold.
PAYLOAD_KINDS: dict[str, type] = {cls.kind: cls for cls in typing.get_args(Payload)}


class TimelineError(ValueError):
    """A timeline record that cannot be used; the message names its source and the problem."""


@dataclass(frozen=True)
class TimelineFrame:
    """What the views showed at one recorded step (history curves excepted)."""

    step: int
    elapsed: float  # seconds of training when it was recorded
    metrics: dict[str, float]
    payloads: dict[str, Payload]


@dataclass(frozen=True)
class Keyframe:
    """The learned state at one step, as the lesson's `state_dict` gave it, and its size."""

    step: int
    state: Any
    nbytes: int


def nbytes_of(tree: Any) -> int:
    """Bytes of every array or tensor (anything with `nbytes`) in nested dicts, lists and tuples."""
    if isinstance(tree, dict):
        return sum(nbytes_of(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(nbytes_of(v) for v in tree)
    return int(getattr(tree, "nbytes", 0))


def _map_leaves(tree: Any, fn: Callable[[Any], Any]) -> Any:
    """`tree` with `fn` applied to every value that is not a dict, list or tuple. A value met
    twice is converted once: an array shared by many frames stays one object (one tensor), which
    pickle writes once and loads as one."""
    done: dict[int, tuple[Any, Any]] = {}  # id(leaf) -> (leaf, fn(leaf)); the leaf pins the id

    def convert(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: convert(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(convert(v) for v in node)
        if id(node) not in done:
            done[id(node)] = (node, fn(node))
        return done[id(node)][1]

    return convert(tree)


def _arrays_in(tree: Any) -> list[np.ndarray]:
    """The numpy arrays in nested dicts, lists, tuples and payloads, in order (repeats kept)."""
    if dataclasses.is_dataclass(tree):
        return _arrays_in([getattr(tree, f.name) for f in dataclasses.fields(tree)])
    if isinstance(tree, dict):
        return _arrays_in(list(tree.values()))
    if isinstance(tree, (list, tuple)):
        return [a for v in tree for a in _arrays_in(v)]
    return [tree] if isinstance(tree, np.ndarray) else []


def _unchanged(value: Any) -> Any:
    return value


def curves_until(curves: Curves, step: int) -> Curves:
    """A curve panel of the metric history as it stood at `step`: every point after it cut off.
    Panels against another axis than the step (a spectrum, a ROC) are returned unchanged."""
    if curves.x_label != "step":
        return curves
    series = {}
    for name, (x, values) in curves.series.items():
        end = int(np.searchsorted(x, step, side="right"))
        series[name] = (x[:end], values[:end])
    return dataclasses.replace(curves, series=series)


class Timeline:
    """Frames and keyframes of one run, kept within `budget_bytes`.

    Keyframes are due at log-spaced steps (whenever the step reaches the next power of two past
    the newest keyframe) and every `keyframe_interval` seconds; they may fill at most
    `keyframe_share` of the budget, and the frames get whatever the keyframes leave.
    """

    def __init__(
        self,
        budget_bytes: int = DEFAULT_BUDGET,
        *,
        keyframe_interval: float = DEFAULT_KEYFRAME_INTERVAL,
        keyframe_share: float = 0.5,
        state_size: Callable[[Any], int] = nbytes_of,
    ):
        if budget_bytes <= 0 or keyframe_interval <= 0 or not 0 < keyframe_share <= 1:
            raise ValueError(
                "a timeline needs a positive budget and keyframe interval, and a keyframe share in (0, 1]"
            )
        self.budget_bytes = int(budget_bytes)
        self.keyframe_interval = float(keyframe_interval)
        self.keyframe_share = float(keyframe_share)
        self.state_size = state_size
        self._lock = threading.RLock()
        self._frames: list[TimelineFrame] = []
        self._steps: list[int] = []
        self._stored: dict[int, list] = {}  # id(array) -> [array, how many times frames hold it]
        self._frame_bytes = 0
        self._keyframes: list[Keyframe] = []
        self._last_keyframe_time: float | None = None

    # -- frames ----------------------------------------------------------------------------
    def record(
        self, step: int, elapsed: float, metrics: dict[str, float], payloads: dict[str, Payload]
    ) -> None:
        """Add the frame of `step`; a second frame at the newest step replaces it (a paused run
        showed a change). Pass the snapshot's payloads without the history curves."""
        with self._lock:
            if self._steps and step < self._steps[-1]:
                raise ValueError(
                    f"step {step} is before the newest frame ({self._steps[-1]}); "
                    "truncate the timeline when the run goes back"
                )
            before = self._frames[-1].payloads if self._frames else {}
            kept = {key: _shared(payload, before.get(key)) for key, payload in payloads.items()}
            if self._steps and step == self._steps[-1]:
                self._release(self._frames.pop())
                self._steps.pop()
            frame = TimelineFrame(int(step), float(elapsed), {k: float(v) for k, v in metrics.items()}, kept)
            self._hold(frame)
            self._frames.append(frame)
            self._steps.append(frame.step)
            self._fit()

    def steps(self) -> list[int]:
        """The steps that have a frame, oldest first."""
        with self._lock:
            return list(self._steps)

    def frame_at(self, step: int) -> TimelineFrame | None:
        """The newest frame recorded at or before `step`; None before the first frame."""
        with self._lock:
            index = bisect.bisect_right(self._steps, step) - 1
            return self._frames[index] if index >= 0 else None

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def frame_bytes(self) -> int:
        return self._frame_bytes

    @property
    def keyframe_bytes(self) -> int:
        with self._lock:
            return sum(k.nbytes for k in self._keyframes)

    @property
    def nbytes(self) -> int:
        """Bytes held: frames (their arrays once, plus overheads) and keyframes."""
        with self._lock:
            return self._frame_bytes + self.keyframe_bytes

    # -- keyframes -------------------------------------------------------------------------
    def should_keyframe(self, step: int, now: float) -> bool:
        """Whether `add_keyframe` is due at `step`: the first one, the step reached the next
        power of two past the newest keyframe, or `keyframe_interval` passed on `now`'s clock."""
        with self._lock:
            if not self._keyframes:
                return True
            newest = self._keyframes[-1].step
            if step <= newest:
                return False
            if step.bit_length() > newest.bit_length():
                return True
            last = self._last_keyframe_time
            return last is None or now - last >= self.keyframe_interval

    def add_keyframe(self, step: int, state: Any, now: float | None = None) -> bool:
        """Keep `state` (not copied; the run loop gives the lesson's `state_dict` and its random
        generators' states) as the keyframe of `step`; False when it alone is larger than the
        keyframes' share of the budget (then nothing is kept)."""
        size = int(self.state_size(state))
        with self._lock:
            if self._keyframes and step < self._keyframes[-1].step:
                raise ValueError(f"step {step} is before the newest keyframe ({self._keyframes[-1].step})")
            if now is not None:
                self._last_keyframe_time = now
            if size > self.budget_bytes * self.keyframe_share:
                return False
            if self._keyframes and step == self._keyframes[-1].step:
                self._keyframes.pop()
            self._keyframes.append(Keyframe(int(step), state, size))
            cap = self.budget_bytes * self.keyframe_share
            while self.keyframe_bytes > cap and len(self._keyframes) > 2:
                kept = _thinned([k.step for k in self._keyframes])
                self._keyframes = [self._keyframes[i] for i in kept]
            if self.keyframe_bytes > cap:
                del self._keyframes[0]
            self._fit()
            return True

    def keyframe_at_or_before(self, step: int) -> Keyframe | None:
        """The newest keyframe at or before `step` (where a branch from `step` starts)."""
        with self._lock:
            index = bisect.bisect_right([k.step for k in self._keyframes], step) - 1
            return self._keyframes[index] if index >= 0 else None

    def keyframe_steps(self) -> list[int]:
        with self._lock:
            return [k.step for k in self._keyframes]

    def truncate(self, last_step: int) -> None:
        """Forget frames and keyframes after `last_step` (the run went back to that step)."""
        with self._lock:
            keep = bisect.bisect_right(self._steps, last_step)
            for frame in self._frames[keep:]:
                self._release(frame)
            del self._frames[keep:], self._steps[keep:]
            self._keyframes = [k for k in self._keyframes if k.step <= last_step]

    def until(self, last_step: int) -> Timeline:
        """A new timeline with this one's settings and its frames and keyframes up to
        `last_step` (shared, not copied): the past of a run that branches there."""
        with self._lock:
            past = Timeline(
                self.budget_bytes,
                keyframe_interval=self.keyframe_interval,
                keyframe_share=self.keyframe_share,
                state_size=self.state_size,
            )
            for frame in self._frames[: bisect.bisect_right(self._steps, last_step)]:
                past._hold(frame)
                past._frames.append(frame)
                past._steps.append(frame.step)
            past._keyframes = [k for k in self._keyframes if k.step <= last_step]
            return past

    # -- bookkeeping: an array held by several frames is counted once -------------------------
    def _hold(self, frame: TimelineFrame) -> None:
        self._frame_bytes += _overhead(frame)
        for array in _arrays_in(frame.payloads):
            entry = self._stored.setdefault(id(array), [array, 0])
            if entry[1] == 0:
                self._frame_bytes += array.nbytes
            entry[1] += 1

    def _release(self, frame: TimelineFrame) -> None:
        self._frame_bytes -= _overhead(frame)
        for array in _arrays_in(frame.payloads):
            entry = self._stored[id(array)]
            entry[1] -= 1
            if entry[1] == 0:
                del self._stored[id(array)]
                self._frame_bytes -= array.nbytes

    def _fit(self) -> None:
        """Thin the frames until they and the keyframes fit the budget (first and newest stay)."""
        room = self.budget_bytes - self.keyframe_bytes
        while self._frame_bytes > room and len(self._frames) > 2:
            keep = set(_thinned(self._steps))
            for i, frame in enumerate(self._frames):
                if i not in keep:
                    self._release(frame)
            self._frames = [f for i, f in enumerate(self._frames) if i in keep]
            self._steps = [f.step for f in self._frames]


def _thinned(steps: list[int]) -> list[int]:
    """Indices kept when items at `steps` (increasing, more than two) thin: a quarter of them
    go, those leaving the smallest gap for their age, never two neighbours at once."""
    count, newest = len(steps), steps[-1]
    order = sorted(range(1, count - 1), key=lambda i: (steps[i + 1] - steps[i - 1]) / (newest - steps[i] + 1))
    dropped: set[int] = set()
    for i in order:
        if len(dropped) >= max(1, count // 4):
            break
        if i - 1 not in dropped and i + 1 not in dropped:
            dropped.add(i)
    return [i for i in range(count) if i not in dropped]


def _overhead(frame: TimelineFrame) -> int:
    return FRAME_OVERHEAD + PAYLOAD_OVERHEAD * len(frame.payloads)


def _shared(payload: Payload, before: Payload | None) -> Payload:
    """`payload` as a frame keeps it: `before` (the previous frame's payload under its key) when
    it shows the same thing; otherwise with `before`'s array wherever an array is unchanged (a
    scatter's thumbnails), and a private copy of any array whose memory belongs to something
    else (a CPU tensor's `.numpy()` view would change with the weights and rewrite the past)."""
    before = before if type(before) is type(payload) else None
    fields = {f.name: getattr(payload, f.name) for f in dataclasses.fields(payload)}
    old = {name: getattr(before, name) for name in fields} if before is not None else {}
    kept = {name: _reused(value, old.get(name)) for name, value in fields.items()}
    # `_reused` gave back `before`'s array wherever equal: compare arrays by identity now.
    if before is not None and all(_equal(kept[name], old[name], by_identity=True) for name in fields):
        return before
    if all(kept[name] is value for name, value in fields.items()):
        return payload
    return dataclasses.replace(payload, **kept)


def _reused(new: Any, old: Any) -> Any:
    """`new` with each array replaced by the array at the same place in `old` when equal."""
    if isinstance(new, np.ndarray):
        if isinstance(old, np.ndarray) and _equal(new, old):
            return old
        return new.copy() if _foreign(new) else new
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {k: _reused(v, old.get(k)) for k, v in new.items()}
    if isinstance(new, (list, tuple)):
        old = old if type(old) is type(new) and len(old) == len(new) else [None] * len(new)
        return type(new)(_reused(v, o) for v, o in zip(new, old, strict=True))
    return new


def _foreign(array: np.ndarray) -> bool:
    base = array
    while isinstance(base.base, np.ndarray):
        base = base.base
    return base.base is not None


def _equal(a: Any, b: Any, by_identity: bool = False) -> bool:
    """Whether two field values show the same thing (NaN equals NaN); arrays only when they are
    one object if `by_identity`."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (
            not by_identity
            and a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], by_identity) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y, by_identity) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# -- plain records -------------------------------------------------------------------------------
def timeline_to_plain(
    timeline: Timeline, convert: Callable[[np.ndarray], Any] = _unchanged
) -> dict[str, Any]:
    """The timeline as nested dicts, lists and tuples of plain values, with `convert` applied to
    every array of the frames (`torch.from_numpy` for a run file); keyframe states as they were
    given. A payload or array that several frames share is written once."""
    with timeline._lock:
        table: list[dict[str, Any]] = []
        index: dict[int, int] = {}
        frames = []
        for frame in timeline._frames:
            refs = {}
            for key, payload in frame.payloads.items():
                if id(payload) not in index:
                    index[id(payload)] = len(table)
                    table.append(
                        {
                            "kind": payload.kind,
                            "fields": {f.name: getattr(payload, f.name) for f in dataclasses.fields(payload)},
                        }
                    )
                refs[key] = index[id(payload)]
            frames.append(
                {
                    "step": frame.step,
                    "elapsed": frame.elapsed,
                    "metrics": dict(frame.metrics),
                    "payloads": refs,
                }
            )
        return {
            "format": FORMAT,
            "version": VERSION,
            "budget_bytes": timeline.budget_bytes,
            "keyframe_interval": timeline.keyframe_interval,
            "keyframe_share": timeline.keyframe_share,
            "payloads": _map_leaves(table, functools.partial(_plain_leaf, convert=convert)),
            "frames": frames,
            "keyframes": [{"step": k.step, "state": k.state} for k in timeline._keyframes],
        }


def _plain_leaf(value: Any, convert: Callable[[np.ndarray], Any]) -> Any:
    if isinstance(value, np.generic):  # a numpy scalar would need numpy's unpickler to load
        return value.item()
    if isinstance(value, np.ndarray):
        return convert(np.ascontiguousarray(value))
    return value


class _Damage(Exception):
    """One problem found in a record; `timeline_from_plain` adds the source's name."""


def timeline_from_plain(
    record: Any,
    source_name: str,
    *,
    convert: Callable[[Any], Any] = _unchanged,
    state_size: Callable[[Any], int] = nbytes_of,
) -> Timeline:
    """The timeline `timeline_to_plain` wrote, every value checked; `convert` is applied to every
    plain value of the frames' payloads first (a tensor back into a numpy array, the rest as it
    is). A truncated or tampered record raises `TimelineError` naming `source_name`."""
    try:
        return _timeline(record, convert, state_size)
    except _Damage as exc:
        raise TimelineError(f"{source_name}: damaged timeline: {exc}") from None


def _timeline(record: Any, convert: Callable[[Any], Any], state_size: Callable[[Any], int]) -> Timeline:
    _need(record, dict[str, Any], "the timeline")
    if record.get("format") != FORMAT:
        raise _Damage(f"no '{FORMAT}' header")
    if record.get("version") != VERSION:
        raise _Damage(
            f"version {record.get('version')!r} is not supported (this unsuplab reads version {VERSION})"
        )
    settings = {
        name: _field(record, name, hint, "the timeline")
        for name, hint in (("budget_bytes", int), ("keyframe_interval", float), ("keyframe_share", float))
    }
    try:
        timeline = Timeline(**settings, state_size=state_size)
    except ValueError as exc:
        raise _Damage(str(exc)) from None
    table = _field(record, "payloads", list[Any], "the timeline")
    table = _map_leaves(table, convert)
    payloads = [_payload(item, f"payload {i}") for i, item in enumerate(table)]
    last = -1
    for i, frame in enumerate(_field(record, "frames", list[Any], "the timeline")):
        where = f"frame {i}"
        _need(frame, dict[str, Any], where)
        step = _rising_step(frame, last, where)
        refs = _field(frame, "payloads", dict[str, int], where)
        bad = [key for key, ref in refs.items() if not 0 <= ref < len(payloads)]
        if bad:
            raise _Damage(f"{where}: payload {bad[0]!r} points at no stored payload")
        metrics = _field(frame, "metrics", dict[str, float], where)
        kept = TimelineFrame(
            step,
            float(_field(frame, "elapsed", float, where)),
            {k: float(v) for k, v in metrics.items()},
            {key: payloads[ref] for key, ref in refs.items()},
        )
        timeline._hold(kept)
        timeline._frames.append(kept)
        timeline._steps.append(step)
        last = step
    last = -1
    for i, keyframe in enumerate(_field(record, "keyframes", list[Any], "the timeline")):
        where = f"keyframe {i}"
        _need(keyframe, dict[str, Any], where)
        step = _rising_step(keyframe, last, where)
        state = _field(keyframe, "state", dict[Any, Any], where)
        timeline._keyframes.append(Keyframe(step, state, int(state_size(state))))
        last = step
    timeline._fit()
    return timeline


def _payload(item: Any, where: str) -> Payload:
    _need(item, dict[str, Any], where)
    kind = _field(item, "kind", str, where)
    cls = PAYLOAD_KINDS.get(kind)
    if cls is None:
        raise _Damage(f"{where}: unknown payload kind {kind!r}")
    where = f"{where} ({kind})"
    fields = _field(item, "fields", dict[str, Any], where)
    hints = _hints(cls)
    extra = sorted(set(fields) - set(hints))
    if extra:
        raise _Damage(f"{where}: unexpected field {extra[0]!r}")
    # A field added to the kind after the file was written takes its default.
    given = {name: hint for name, hint in hints.items() if name in fields or name not in _defaulted(cls)}
    values = {name: _field(fields, name, hint, where) for name, hint in given.items()}
    payload = cls(**values)
    problem = _shape_problem(payload)
    if problem:
        raise _Damage(f"{where}: {problem}")
    return payload


@functools.cache
def _defaulted(cls: type) -> frozenset[str]:
    """The fields of a payload class that have a default."""
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    )


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The type of every dataclass field of a payload class, resolved."""
    resolved = typing.get_type_hints(cls)
    return {f.name: resolved[f.name] for f in dataclasses.fields(cls)}


def _field(record: dict[str, Any], name: str, hint: Any, where: str) -> Any:
    if name not in record:
        raise _Damage(f"{where}: missing field {name!r}")
    _need(record[name], hint, f"{where}: field {name!r}")
    return record[name]


def _rising_step(record: dict[str, Any], last: int, where: str) -> int:
    """The record's step, which must come after `last` (frames and keyframes are kept in order)."""
    step = _field(record, "step", int, where)
    if step <= last:
        raise _Damage(f"{where}: step {step} does not come after step {last}")
    return step


def _need(value: Any, hint: Any, where: str) -> None:
    """Raise `_Damage` unless `value` has the type `hint` (the few forms payload fields use)."""
    problem = _type_problem(value, hint)
    if problem:
        raise _Damage(where + problem)


def _type_problem(value: Any, hint: Any) -> str | None:
    """None when `value` fits `hint`; else where inside it and what is wrong (" is a str, ...")."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (dict, list, tuple) and type(value) is not origin:
        return f" is {_describe(value)}, not {_name(hint)}"
    if origin is dict:
        for key, item in value.items():
            problem = _type_problem(key, args[0])
            problem = f" has a key {key!r} that{problem}" if problem else _type_problem(item, args[1])
            if problem:
                return problem if problem.startswith(" has") else f"[{key!r}]{problem}"
        return None
    variadic = origin is tuple and len(args) == 2 and args[1] is Ellipsis  # tuple[int, ...]
    if origin is list or variadic or (origin is tuple and len(value) == len(args)):
        items = args[:1] * len(value) if origin is list or variadic else args
        for i, (item, item_hint) in enumerate(zip(value, items, strict=True)):
            problem = _type_problem(item, item_hint)
            if problem:
                return f"[{i}]{problem}"
        return None
    if origin is tuple:
        return f" has {len(value)} items, not {len(args)}"
    if origin in (types.UnionType, typing.Union):
        fits = any(_type_problem(value, arm) is None for arm in args)
    else:
        fits = _leaf_fits(value, hint)
    return None if fits else f" is {_describe(value)}, not {_name(hint)}"


def _leaf_fits(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is object:  # a table cell
        return value is None or type(value) in (bool, int, float, str)
    if hint is float:
        return type(value) in (int, float)
    if hint is np.ndarray:
        return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
    if typing.get_origin(hint) is typing.Literal:
        return type(value) is str and value in typing.get_args(hint)
    return type(value) is hint  # str, int, bool, NoneType


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}"
    return "None" if value is None else _article(type(value).__name__)


def _name(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_name(arm) for arm in args)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin is tuple:
        return f"a tuple of {_name(args[0])}s" if args[1:] == (Ellipsis,) else f"a tuple of {len(args)}"
    names = {np.ndarray: "a numeric array", float: "a number", object: "a plain value", type(None): "None"}
    return names.get(hint) or _article((origin or hint).__name__)


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _shape_problem(payload: Payload) -> str | None:
    """What is wrong with the array shapes of a payload whose fields have the right types."""
    p: Any = payload
    kind = payload.kind
    if kind == "curves":
        for name, (x, values) in p.series.items():
            if x.ndim != 1 or values.shape != x.shape:
                return (
                    f"series {name!r} needs x and values of one length, not shapes "
                    f"{x.shape} and {values.shape}"
                )
    elif kind == "image_grid":
        return _shape(p.images, "images", 3)
    elif kind == "paired_rows":
        count = None  # every row holds as many images as the first
        for label, images in p.rows.items():
            problem = _shape(images, f"row {label!r}", 3, (count,))
            if problem:
                return problem
            count = len(images)
    elif kind == "scatter":
        n = len(p.points)
        problem = _shape(p.points, "points", 2, (n, 2)) or _shape(p.labels, "labels", 1, (n,))
        if p.thumbnails is not None:
            problem = problem or _shape(p.thumbnails, "thumbnails", 3, (n,))
        return problem
    elif kind == "bars":
        for name, values in p.values.items():
            problem = _shape(values, f"series {name!r}", 1, (len(p.categories),))
            if problem:
                return problem
    elif kind == "histogram":
        bins = len(p.edges) - 1
        problem = _shape(p.edges, "edges", 1)
        for name, counts in p.counts.items():
            problem = problem or _shape(counts, f"counts {name!r}", 1, (bins,))
        return problem
    elif kind == "matrix":
        return _shape(p.values, "values", 2, (len(p.row_labels), len(p.column_labels)))
    elif kind == "field":
        problem = _shape(p.heat, "heat", 2)
        for name, points in p.points.items():
            problem = problem or _shape(points, f"points {name!r}", 2, (None, 2))
        if p.arrows is not None:
            origins, vectors = p.arrows
            problem = (
                problem
                or _shape(origins, "arrow origins", 2, (None, 2))
                or _shape(vectors, "arrow vectors", 2, origins.shape)
            )
        if not all(math.isfinite(v) for v in p.extent):
            problem = problem or "the extent is not finite"
        return problem
    elif kind == "frame" and p.image.ndim != 2:  # grey (h, w) or colour (h, w, 3)
        return _shape(p.image, "image", 3, (None, None, 3))
    return None


def _shape(array: np.ndarray, what: str, ndim: int, leading: tuple[int | None, ...] = ()) -> str | None:
    """A problem when `array` has not `ndim` axes or its first axes differ from `leading`
    (None matches any length)."""
    if array.ndim == ndim and all(
        want is None or got == want for got, want in zip(array.shape, leading, strict=False)
    ):
        return None
    axes = [("?" if w is None else str(w)) for w in leading] + ["?"] * (ndim - len(leading))
    return f"{what} has shape {array.shape}, expected ({', '.join(axes)})"
