"""The timeline under the views: scrubbing shows the recorded moment in every panel, keys and
replay move through it, Live returns, and Branch from here continues from a keyframe."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_waits import wait_for_state, wait_for_step

from unsuplab.core.payloads import ImageGrid, Scatter
from unsuplab.core.timeline import curves_until
from unsuplab.ui.timeline_bar import nice_steps
from unsuplab.ui.view_area import ViewArea, _NotYet
from unsuplab.ui.views import CurvesView, ScatterView, make_view
from unsuplab.ui.views.curves_view import TRACK_ALPHA


def recorded(qtbot, window, frames: int = 8, keyframes: int = 0) -> list[int]:
    """Train until the run has recorded `frames` frames and `keyframes` keyframes; its steps."""
    window.train()
    wait_for_step(qtbot, window, 1, timeout=30_000)  # the first build of a session may be slow
    bar = window.timeline_bar
    qtbot.waitUntil(
        lambda: len(bar.steps) >= frames and len(window.timeline.keyframe_steps()) >= keyframes,
        timeout=20_000,
    )
    return bar.steps  # those the bar shows (the recording may be a snapshot ahead)


def paused(qtbot, window) -> list[int]:
    """Pause the run and wait until the bar shows its final recording."""
    window.pause()
    wait_for_state(qtbot, window, "paused")
    qtbot.waitUntil(lambda: window.timeline_bar.steps == window.timeline.steps(), timeout=5000)
    return window.timeline.steps()


def shown_arrays(view) -> np.ndarray:
    """What a panel draws: the picture of an image panel, the points of a scatter."""
    return view.points if isinstance(view, ScatterView) else view.image_item.image


def history_panels(window) -> dict[str, CurvesView]:
    return {
        k: v for k, v in window.views.views.items() if isinstance(v, CurvesView) and k.startswith("curves:")
    }


def test_scrubbing_shows_in_every_panel_exactly_what_was_recorded_at_that_step(window, qtbot):
    steps = recorded(qtbot, window)
    k = steps[len(steps) // 2]
    frame = window.timeline.frame_at(k)
    window.timeline_bar.slider.setValue(k)  # as a drag does
    assert not window.timeline_bar.live and window.timeline_bar.shown_step() == k
    views = window.views.views
    for key, payload in frame.payloads.items():
        fresh = make_view(payload)
        assert np.array_equal(shown_arrays(views[key]), shown_arrays(fresh)), key
    assert np.array_equal(views["latent"].points, frame.payloads["latent"].points)
    # The curves show the run up to k, with a cursor there and the values at it below.
    live = window.last_snapshot.payloads
    for key, view in history_panels(window).items():
        cut = curves_until(live[key], k)
        for name, item in view.items.items():
            x, y = item.getData()
            assert np.array_equal(x, cut.series[name][0]) and x.max() <= k
        assert view.cursor_line.isVisible() and view.cursor_line.value() == k
        loss = cut.series[next(iter(cut.series))][1][-1]
        assert view.hover_label.text().startswith(f"step {k:,}")
        assert f"{loss:.4g}" in view.hover_label.text()
    # Training goes on meanwhile: the status bar and the marks follow it, the panels stay at k.
    picture = views["filters"].image_item.image.copy()
    qtbot.waitUntil(lambda: window.timeline_bar.steps[-1] > steps[-1] + 20, timeout=10_000)
    status_step = int(window.status.step_label.text().split()[1].replace(",", ""))
    assert status_step > steps[-1] + 20
    assert np.array_equal(views["filters"].image_item.image, picture)
    assert window.timeline_bar.shown_step() == k
    # Live shows the newest snapshot again, without a cursor, and follows the run.
    paused(qtbot, window)  # (a training step changes the weights a CPU snapshot's arrays view)
    qtbot.waitUntil(lambda: window.last_snapshot.progress.step == window.timeline.steps()[-1], timeout=5000)
    window.timeline_bar.live_button.click()
    newest = window.last_snapshot.payloads["filters"]
    assert np.array_equal(views["filters"].image_item.image, make_view(newest).image_item.image)
    assert window.timeline_bar.live and window.rendered_step == window.last_snapshot.progress.step
    assert not any(v.cursor_line.isVisible() for v in history_panels(window).values())
    window.train()
    wait_for_step(qtbot, window, window.rendered_step + 1)


def test_keys_move_one_recorded_frame_home_goes_to_the_first_and_end_to_live(window, qtbot):
    recorded(qtbot, window)
    steps = paused(qtbot, window)
    bar = window.timeline_bar
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    assert bar.shown_step() == steps[0] and not bar.live
    qtbot.keyClick(bar.slider, Qt.Key.Key_Right)
    qtbot.keyClick(bar.slider, Qt.Key.Key_Right)
    assert bar.shown_step() == steps[2]
    qtbot.keyClick(bar.slider, Qt.Key.Key_Left)
    assert bar.shown_step() == steps[1]
    # The keys work from a panel too.
    panel = next(iter(history_panels(window).values())).plot_widget
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert bar.shown_step() == steps[2]
    assert window.views.views["filters"].image_item.image is not None
    qtbot.keyClick(panel, Qt.Key.Key_End)
    assert bar.live and bar.shown_step() == steps[-1]
    assert window.rendered_step == window.last_snapshot.progress.step


def test_replay_plays_the_recording_to_its_end_and_stops_there(window, qtbot):
    recorded(qtbot, window)
    steps = paused(qtbot, window)
    bar = window.timeline_bar
    bar.speed.setCurrentIndex(bar.speed.count() - 1)  # the fastest
    seen = []
    bar.moment_chosen.connect(seen.append)
    bar.play_button.click()  # from live: the replay starts at the first frame
    qtbot.waitUntil(lambda: not bar.play_button.isChecked(), timeout=10_000)
    assert seen == steps  # every recorded frame, in order
    assert bar.shown_step() == steps[-1] and not bar.live


def test_a_panel_that_came_later_says_not_yet_and_unchanged_payloads_are_not_redrawn(qtbot, monkeypatch):
    area = ViewArea()
    qtbot.addWidget(area)
    early = ImageGrid("Filters", np.random.default_rng(0).random((4, 5, 5)))
    later = Scatter("Latent", np.zeros((3, 2)), np.arange(3))
    area.show_payloads({"filters": early, "latent": later})
    drawn = []
    view = area.views["filters"]
    monkeypatch.setattr(view, "show_payload", lambda p: drawn.append(p))
    area.show_moment({"filters": early}, 10, 100, {})
    area.show_moment({"filters": early}, 20, 100, {})  # the same object: nothing to redraw
    assert drawn == [early]
    cover = area.views["latent"].findChild(_NotYet)
    assert cover.isVisibleTo(area.views["latent"]) and cover.text() == "Not yet at step 20"
    assert area.views["filters"].findChild(_NotYet) is None
    area.show_present({"filters": early, "latent": later}, {})
    assert not cover.isVisibleTo(area.views["latent"])


def test_branch_restores_the_keyframe_at_or_before_the_moment_and_trains_on_as_a_new_run(window, qtbot):
    recorded(qtbot, window, frames=10, keyframes=4)
    steps = paused(qtbot, window)
    original = window.timeline
    keyframes = original.keyframe_steps()
    k = next(s for s in steps if s > keyframes[2] and s not in keyframes)
    kf = original.keyframe_at_or_before(k).step
    window.timeline_bar.set_moment(k)
    window.timeline_bar.branch_action.trigger()
    message = window.statusBar().currentMessage()
    assert f"step {k:,}" in message and f"keyframe at step {kf:,}" in message
    assert window.worker is None and window.form.editors["code_size"].isEnabled()  # settings editable
    assert window.timeline_bar.shown_step() == kf
    assert window.timeline_bar.step_label.text() == f"Step {kf:,} · branch point"
    window.form.editors["learning_rate"].setValue(0.005)  # what the branch tries differently

    window.controls.speed.setValue(0)  # a second per step: the first snapshot stays the first
    window.train()
    first = []
    window.worker.snapshot.connect(lambda s: first.append(s) if not first else None)
    qtbot.waitUntil(lambda: bool(first), timeout=10_000)
    assert first[0].progress.step == kf
    experiment = window.worker.experiment  # read only; the worker thread owns it
    assert experiment.config.learning_rate == 0.005
    # ... in the optimiser too, though the keyframe's optimiser state held the original rate.
    qtbot.waitUntil(lambda: experiment.optimizer.param_groups[0]["lr"] == 0.005, timeout=5000)
    # The restored weights show the same filters the original run showed at that keyframe (as
    # the branch recorded them: a CPU snapshot's arrays view weights that train on).
    branched = window.timeline.frame_at(kf)
    assert branched is not original.frame_at(kf)  # recorded by the new run, not the original's frame
    assert np.array_equal(
        branched.payloads["filters"].images, original.frame_at(kf).payloads["filters"].images
    )
    # The original stays as a faded track in every curve panel, and the slider spans both runs.
    qtbot.waitUntil(lambda: window.rendered_step >= kf, timeout=5000)
    for view in history_panels(window).values():
        assert view.track_items
        for item in view.track_items.values():
            assert item.opts["pen"].color().alpha() == TRACK_ALPHA
            assert item.getData()[0].max() > kf  # the original's curve after the branch point
    assert window.timeline_bar.slider.maximum() >= steps[-1]
    bar = window.timeline_bar
    assert bar.shown_step() == bar.present < steps[-1] and bar.present in window.timeline.steps()  # live
    middle = (kf + steps[-1]) // 2
    window.timeline_bar.set_moment(middle)
    for view in history_panels(window).values():
        assert all(item.getData()[0].max() <= middle for item in view.track_items.values())


def test_branch_is_in_the_run_menu_and_needs_a_recording(window):
    assert window.timeline_bar.branch_action in window.menuBar().actions()[1].menu().actions()
    assert not window.timeline_bar.branch_action.isEnabled()  # nothing recorded yet
    assert not window.branch_from_here(5)


@pytest.mark.parametrize(
    ("first", "last", "expected"), [(0, 1000, [0, 200, 400, 600, 800, 1000]), (3, 7, [3, 4, 5, 6, 7])]
)
def test_labelled_steps_are_round_numbers(first, last, expected):
    assert nice_steps(first, last) == expected


def test_scrubbing_holds_the_latent_map_to_one_box_that_contains_every_recorded_moment(window, qtbot):
    steps = recorded(qtbot, window)
    paused(qtbot, window)
    view = window.views.views["latent"]
    boxes = []
    for k in (steps[1], steps[len(steps) // 2], steps[-1], steps[0]):
        window.timeline_bar.slider.setValue(k)
        window.grab()  # painted: an automatic range applies when the plot is drawn
        (x0, x1), (y0, y1) = view.plot.getViewBox().viewRange()
        points = window.timeline.frame_at(k).payloads["latent"].points
        assert (points[:, 0] >= x0).all() and (points[:, 0] <= x1).all()
        assert (points[:, 1] >= y0).all() and (points[:, 1] <= y1).all()
        boxes.append((x0, x1, y0, y1))
    assert len(set(boxes)) == 1  # the plot neither rescales nor re-renders its axes while scrubbing
    window.timeline_bar.live_button.click()
    assert view.plot.getViewBox().autoRangeEnabled()[0]  # the present fits its points again
