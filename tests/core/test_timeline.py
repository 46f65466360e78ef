"""The timeline of a run: bounded in bytes, dense where recent, exact when saved, and a tampered
record refused with the file's name."""

from __future__ import annotations

import copy
import dataclasses
import io
import math
from typing import Any

import numpy as np
import pytest
import torch

from unsuplab.core.payloads import (
    Bars,
    Curves,
    Field,
    Frame,
    Histogram,
    ImageGrid,
    Matrix,
    PairedRows,
    Scatter,
    Table,
)
from unsuplab.core.timeline import (
    FRAME_OVERHEAD,
    PAYLOAD_KINDS,
    PAYLOAD_OVERHEAD,
    Timeline,
    TimelineError,
    curves_until,
    timeline_from_plain,
    timeline_to_plain,
)

RNG = np.random.default_rng(0)


def one_of_each_kind() -> dict[str, Any]:
    """One payload of every kind, with every optional field set."""
    r = np.random.default_rng(1)
    return {
        "curves": Curves("Loss", {"loss": (np.arange(5), np.linspace(1, 0, 5))}, log_y=True, y_label="nats"),
        "filters": ImageGrid(
            "Filters",
            r.random((6, 4, 4), dtype=np.float32),
            "filter",
            columns=3,
            caption="w / ||w||",
            click_command="pick",
        ),
        "rows": PairedRows("Reconstructions", {"input": r.random((3, 4, 4)), "output": r.random((3, 4, 4))}),
        "latent": Scatter(
            "Latent",
            r.normal(size=(8, 2)),
            r.integers(0, 10, 8),
            thumbnails=r.random((8, 4, 4), dtype=np.float32),
            x_label="z₁",
            y_label="z₂",
            plane_command="decode",
        ),
        "table": Table(
            "Scores", ["name", "value", "count"], [["a", 1.5, 3], ["b", float("nan"), None], ["c", True, "x"]]
        ),
        "q": Bars(
            "Q(s, a)",
            ["left", "right", "fire"],
            {"Q": np.array([0.1, 0.5, -0.2])},
            highlight=1,
            y_label="Q",
            y_range=(-1.0, 1),
            click_command="toggle",
        ),
        "scores": Histogram(
            "Scores",
            np.linspace(0, 1, 6),
            {"normal": np.arange(5.0)},
            "s(x)",
            "density",
            markers={"t": 0.5},
            log_y=True,
        ),
        "confusion": Matrix(
            "Confusion",
            np.arange(6).reshape(2, 3),
            ["0", "1"],
            ["a", "b", "c"],
            "true",
            "predicted",
            "{:.1f}",
        ),
        "field": Field(
            "D(x)",
            r.random((5, 7)),
            (-1.0, 1.0, -2.0, 2.0),
            {"real": r.normal(size=(10, 2))},
            arrows=(r.normal(size=(3, 2)), r.normal(size=(3, 2))),
            heat_label="D",
            heat_range=(0.0, 1.0),
            draw_command="draw",
        ),
        "game": Frame(
            "Breakout",
            r.random((10, 12, 3), dtype=np.float32),
            caption="score 3",
            play_command="play",
            key_actions={"Left": 1, "Right": 2},
            idle_action=0,
            tick_ms=100,
        ),
    }


def images(step: int, nbytes: int = 10_000) -> dict[str, Any]:
    """A frame's payloads: one grid of `nbytes` of pixels that differ at every step."""
    pixels = np.random.default_rng(step).random(nbytes // 4, dtype=np.float32)
    return {"samples": ImageGrid(f"step {step}", pixels.reshape(-1, 5, 5))}


def assert_same(a: Any, b: Any) -> None:
    """Equal value for value, with the same types, dtypes and shapes (NaN equals NaN)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def saved(timeline: Timeline) -> io.BytesIO:
    """The timeline in a torch file, as a run file carries it."""
    buffer = io.BytesIO()
    torch.save(timeline_to_plain(timeline, torch.from_numpy), buffer)
    buffer.seek(0)
    return buffer


def saved_and_loaded(timeline: Timeline) -> Timeline:
    """Through `torch.save` and `torch.load(weights_only=True)`."""
    loaded = torch.load(saved(timeline), weights_only=True)
    return timeline_from_plain(
        loaded, "run.pt", convert=lambda v: v.numpy() if isinstance(v, torch.Tensor) else v
    )


# -- frames --------------------------------------------------------------------------------------
def test_every_frame_is_kept_until_the_budget_is_full():
    timeline = Timeline(budget_bytes=10**6)
    for step in range(1, 51):
        timeline.record(step, step * 0.1, {"loss": 1 / step}, images(step))
    assert timeline.steps() == list(range(1, 51))
    assert timeline.frame_bytes == 50 * (10_000 + FRAME_OVERHEAD + PAYLOAD_OVERHEAD)


def test_thinning_keeps_the_budget_the_first_and_newest_frames_and_thins_the_old_part_most():
    budget = 100 * 10_000
    timeline = Timeline(budget_bytes=budget)
    for step in range(1, 3001):
        timeline.record(step, step * 0.1, {"loss": 1 / step}, images(step))
        assert timeline.nbytes <= budget
        assert timeline.steps()[0] == 1 and timeline.steps()[-1] == step
    steps = timeline.steps()
    assert 40 <= len(steps) <= 100
    gaps = np.diff(steps)
    assert gaps[-10:].max() == 1  # the newest frames stay dense
    assert np.all(np.diff(gaps) <= 0)  # ... and the older a frame, the sparser its part
    assert gaps.max() <= 0.1 * 3000  # while no part of the run is left without frames
    assert timeline.frame_at(1).metrics == {"loss": 1.0}


def test_frame_at_gives_the_newest_frame_at_or_before_a_step():
    timeline = Timeline()
    for step in (0, 10, 20):
        timeline.record(step, step / 10, {"loss": step}, images(step))
    assert timeline.frame_at(-1) is None
    assert timeline.frame_at(0).step == 0
    assert timeline.frame_at(15).step == 10
    assert timeline.frame_at(20).step == 20
    assert timeline.frame_at(10**9).step == 20
    assert timeline.frame_at(15).payloads["samples"].title == "step 10"


def test_a_second_frame_at_the_newest_step_replaces_it_and_going_back_needs_a_truncate():
    timeline = Timeline()
    for step in (0, 10, 20):
        timeline.record(step, 0.0, {}, images(step))
    timeline.record(20, 0.0, {"k": 3}, images(21))  # a paused run showed a change
    assert timeline.steps() == [0, 10, 20]
    assert timeline.frame_at(20).metrics == {"k": 3.0}
    assert timeline.frame_bytes == 3 * (10_000 + FRAME_OVERHEAD + PAYLOAD_OVERHEAD)
    with pytest.raises(ValueError, match="before the newest frame"):
        timeline.record(15, 0.0, {}, images(15))
    timeline.truncate(10)  # the run went back to step 10 (a divergence restored its weights)
    timeline.record(15, 0.0, {}, images(15))
    assert timeline.steps() == [0, 10, 15]
    assert timeline.frame_bytes == 3 * (10_000 + FRAME_OVERHEAD + PAYLOAD_OVERHEAD)


def test_unchanged_payloads_and_arrays_are_stored_once():
    thumbnails = RNG.random((50, 8, 8))
    labels = np.arange(50)
    timeline = Timeline()
    for step in range(1, 11):
        table = Table("Stage", ["stage"], [["1. pretrain"]])  # a fresh but equal payload
        scatter = Scatter("Latent", RNG.normal(size=(50, 2)), labels.copy(), thumbnails.copy())
        timeline.record(step, 0.0, {}, {"stage": table, "latent": scatter})
    first, last = timeline.frame_at(1).payloads, timeline.frame_at(10).payloads
    assert last["stage"] is first["stage"]
    assert last["latent"] is not first["latent"]
    assert last["latent"].thumbnails is first["latent"].thumbnails
    assert last["latent"].labels is first["latent"].labels
    arrays = thumbnails.nbytes + labels.nbytes + 10 * 50 * 2 * 8
    assert timeline.frame_bytes == arrays + 10 * (FRAME_OVERHEAD + 2 * PAYLOAD_OVERHEAD)


def test_a_frame_keeps_what_it_showed_when_the_weights_it_viewed_change():
    weights = torch.zeros(4, 3, 3)
    timeline = Timeline()
    # On the CPU, `.numpy()` shares the tensor's memory: the grid views the live weights.
    timeline.record(1, 0.0, {}, {"filters": ImageGrid("W", weights.numpy())})
    weights += 1.0  # the next training step
    timeline.record(2, 0.0, {}, {"filters": ImageGrid("W", weights.numpy())})
    assert timeline.frame_at(1).payloads["filters"].images.max() == 0.0
    assert timeline.frame_at(2).payloads["filters"].images.min() == 1.0


def test_curves_until_cuts_history_curves_at_a_step_and_leaves_other_axes_alone():
    x = np.array([0, 5, 10, 15])
    loss = Curves("Loss", {"loss": (x, np.array([4.0, 3.0, 2.0, 1.0])), "heldout": (x[:2], x[:2] * 1.0)})
    cut = curves_until(loss, 12)
    assert cut.series["loss"][0].tolist() == [0, 5, 10]
    assert cut.series["loss"][1].tolist() == [4.0, 3.0, 2.0]
    assert cut.series["heldout"][0].tolist() == [0, 5]
    spectrum = Curves("Spectrum", {"σ": (x, x * 1.0)}, x_label="component")
    assert curves_until(spectrum, 3) is spectrum


# -- keyframes -----------------------------------------------------------------------------------
def state(step: int, nbytes: int = 1000) -> dict[str, Any]:
    return {"weight": torch.full((nbytes // 4,), float(step)), "step": step}


def test_keyframes_fall_on_log_spaced_steps_and_every_interval():
    timeline = Timeline(keyframe_interval=3.0)
    for step in range(1001):
        now = step * 0.01  # 100 steps a second: a timed keyframe every 300 steps
        if timeline.should_keyframe(step, now):
            assert timeline.add_keyframe(step, state(step), now)
    steps = timeline.keyframe_steps()
    assert {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512} <= set(steps)
    timed = sorted(set(steps) - {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512})
    assert timed == [812]  # 3 s after the keyframe at 512
    assert not timeline.should_keyframe(1000, 10.0)
    assert timeline.keyframe_at_or_before(-1) is None
    assert timeline.keyframe_at_or_before(100).step == 64
    assert timeline.keyframe_at_or_before(100).state["weight"][0] == 64.0
    assert timeline.keyframe_at_or_before(812).step == 812


def test_keyframes_share_the_budget_with_frames_and_thin_like_them():
    budget = 100_000
    timeline = Timeline(budget_bytes=budget, keyframe_share=0.5)
    for step in range(1, 201):
        timeline.record(step, 0.0, {}, images(step, 2000))
        assert timeline.add_keyframe(step, state(step, 8000))
        assert timeline.keyframe_bytes <= budget / 2
        assert timeline.nbytes <= budget
    kept = timeline.keyframe_steps()
    assert kept[0] == 1 and kept[-1] == 200 and len(kept) >= 4
    assert np.diff(kept)[0] > np.diff(kept)[-1]  # old keyframes sparse, recent ones dense
    assert len(timeline) > 10  # the frames got the room the keyframes left
    assert not timeline.add_keyframe(201, state(201, budget))  # larger than its share: not kept
    assert timeline.keyframe_steps()[-1] == 200


# -- saved records -------------------------------------------------------------------------------
def recorded_run() -> Timeline:
    timeline = Timeline(budget_bytes=10**7, keyframe_interval=60.0)
    payloads = one_of_each_kind()
    timeline.record(0, 0.0, {"loss": 2.0, "heldout_loss": float("nan")}, payloads)
    later = dict(
        payloads, filters=dataclasses.replace(payloads["filters"], images=payloads["filters"].images * 0.5)
    )
    timeline.record(7, 1.25, {"loss": 1.0}, later)
    timeline.add_keyframe(0, state(0))
    timeline.add_keyframe(4, state(4))
    return timeline


def test_every_payload_kind_round_trips_exactly_through_a_safe_torch_file():
    examples = one_of_each_kind()
    assert {p.kind for p in examples.values()} == set(PAYLOAD_KINDS)  # a new kind needs an example
    timeline = recorded_run()
    reopened = saved_and_loaded(timeline)
    assert reopened.steps() == [0, 7]
    for step in (0, 7):
        before, after = timeline.frame_at(step), reopened.frame_at(step)
        assert_same(before.metrics, after.metrics)
        assert after.elapsed == before.elapsed
        assert_same(before.payloads, after.payloads)
    assert_same(reopened.frame_at(0).payloads, examples)
    # What two frames shared is still one object: stored once, loaded once.
    assert reopened.frame_at(7).payloads["latent"] is reopened.frame_at(0).payloads["latent"]
    assert reopened.frame_bytes == timeline.frame_bytes
    assert reopened.keyframe_steps() == [0, 4]
    assert torch.equal(reopened.keyframe_at_or_before(5).state["weight"], state(4)["weight"])
    assert (reopened.budget_bytes, reopened.keyframe_interval) == (10**7, 60.0)


def test_a_reopened_timeline_goes_on_recording_where_it_stopped():
    reopened = saved_and_loaded(recorded_run())
    assert not reopened.should_keyframe(4, now=0.0)
    assert reopened.should_keyframe(5, now=0.0)  # this session's clock starts with a keyframe
    reopened.add_keyframe(5, state(5), now=0.0)
    reopened.record(8, 2.0, {"loss": 0.9}, images(8))
    assert reopened.steps() == [0, 7, 8] and reopened.keyframe_steps() == [0, 4, 5]
    assert not reopened.should_keyframe(6, now=1.0)


def test_a_saved_timeline_writes_a_shared_array_once():
    thumbnails = RNG.random((500, 28, 28), dtype=np.float32)  # 1.5 MB, the same in every frame
    timeline = Timeline()
    for step in range(1, 21):
        timeline.record(
            step,
            0.0,
            {},
            {"latent": Scatter("z", RNG.normal(size=(500, 2)), np.arange(500), thumbnails.copy())},
        )
    assert saved(timeline).getbuffer().nbytes < 1.5 * thumbnails.nbytes


def tamper(change) -> dict[str, Any]:
    record = copy.deepcopy(timeline_to_plain(recorded_run()))
    change(record)
    return record


def kind_index(record: dict[str, Any], kind: str) -> int:
    return next(i for i, p in enumerate(record["payloads"]) if p["kind"] == kind)


def set_field(kind: str, name: str, value: Any):
    def change(record):
        record["payloads"][kind_index(record, kind)]["fields"][name] = value

    return change


def delete_field(kind: str, name: str):
    def change(record):
        del record["payloads"][kind_index(record, kind)]["fields"][name]

    return change


TAMPERED = {
    "an empty record": (lambda r: r.clear(), "no 'unsuplab-timeline' header"),
    "another version": (lambda r: r.update(version=99), "version 99 is not supported"),
    "truncated": (lambda r: r.pop("keyframes"), "the timeline: missing field 'keyframes'"),
    "frames of the wrong type": (lambda r: r.update(frames="many"), "field 'frames' is a str, not a list"),
    "a metric of the wrong type": (
        lambda r: r["frames"][1]["metrics"].update(loss="low"),
        "frame 1: field 'metrics'['loss'] is a str, not a number",
    ),
    "steps going back": (
        lambda r: r["frames"][1].update(step=0),
        "frame 1: step 0 does not come after step 0",
    ),
    "keyframe steps going back": (
        lambda r: r["keyframes"][1].update(step=0),
        "keyframe 1: step 0 does not come after step 0",
    ),
    "a dangling payload": (
        lambda r: r["frames"][0]["payloads"].update(latent=99),
        "frame 0: payload 'latent' points at no stored payload",
    ),
    "an unknown kind": (
        lambda r: r["payloads"][0].update(kind="hologram"),
        "payload 0: unknown payload kind 'hologram'",
    ),
    "a missing field": (delete_field("scatter", "labels"), "(scatter): missing field 'labels'"),
    "an unexpected field": (set_field("frame", "script", "rm -rf"), "(frame): unexpected field 'script'"),
    "an array of the wrong shape": (
        set_field("scatter", "labels", np.arange(9)),
        "(scatter): labels has shape (9,), expected (8)",
    ),
    "a list for an array": (
        set_field("image_grid", "images", [[0.5]]),
        "field 'images' is a list, not a numeric array",
    ),
    "an array of objects": (
        set_field("frame", "image", np.array([None, 1], dtype=object)),
        "field 'image' is an array of object, not a numeric array",
    ),
    "an unknown normalisation": (
        set_field("image_grid", "normalisation", "loud"),
        "field 'normalisation' is a str, not 'unit' or 'filter'",
    ),
    "a short extent": (set_field("field", "extent", (0.0, 1.0)), "field 'extent' has 2 items, not 4"),
    "a grey frame of three channels": (
        set_field("frame", "image", np.zeros((4, 4, 4))),
        "image has shape (4, 4, 4), expected (?, ?, 3)",
    ),
    "mismatched rows": (
        lambda r: r["payloads"][kind_index(r, "paired_rows")]["fields"]["rows"].update(
            output=np.zeros((2, 4, 4))
        ),
        "row 'output' has shape (2, 4, 4), expected (3, ?, ?)",
    ),
    "a keyframe state that is not a dict": (
        lambda r: r["keyframes"][0].update(state=[1]),
        "keyframe 0: field 'state' is a list, not a dict",
    ),
    "a negative budget": (lambda r: r.update(budget_bytes=-1), "a positive budget"),
}


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_record_is_refused_with_a_message_naming_its_source(case):
    change, expected = TAMPERED[case]
    with pytest.raises(TimelineError) as refusal:
        timeline_from_plain(tamper(change), "runs/gan.pt")
    message = str(refusal.value)
    assert message.startswith("runs/gan.pt: damaged timeline: ")
    assert expected in message


def test_a_record_written_before_a_kind_gained_a_field_with_a_default_reads_it_as_the_default():
    # A timeline saved before Scatter offered a chooser beside its plane.
    record = tamper(delete_field("scatter", "plane_choices"))
    frame = timeline_from_plain(record, "old.pt").frame_at(0)
    scatters = [p for p in frame.payloads.values() if isinstance(p, Scatter)]
    assert scatters and all(p.plane_choices is None for p in scatters)


def test_a_record_that_is_not_a_dict_is_refused():
    with pytest.raises(TimelineError, match=r"^x\.pt: damaged timeline: the timeline is a list"):
        timeline_from_plain([1, 2], "x.pt")
