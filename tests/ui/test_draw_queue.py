"""The views draw a snapshot's panels over several event-loop turns, skip unchanged payloads and
leave hidden panels until they show."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.core.payloads import ImageGrid
from unsuplab.ui import draw_queue
from unsuplab.ui.view_area import ViewArea

KEYS = [f"grid{i}" for i in range(6)]


def grids(value: float) -> dict[str, ImageGrid]:
    return {key: ImageGrid(key, np.full((4, 6, 6), value)) for key in KEYS}


def shown_value(area: ViewArea, key: str) -> int:
    return int(area.views[key].image_item.image[2, 2])  # a pixel inside the first tile


def count_draws(area: ViewArea) -> dict[str, int]:
    """Wrap every view's show_payload so that the test can count the draws per panel."""
    counts = dict.fromkeys(area.views, 0)
    for key, view in area.views.items():

        def counting(payload, key=key, draw=view.show_payload):
            counts[key] += 1
            draw(payload)

        view.show_payload = counting
    return counts


@pytest.fixture
def area(qtbot):
    area = ViewArea()
    qtbot.addWidget(area)
    area.resize(900, 700)
    area.show()
    qtbot.waitExposed(area)
    area.show_payloads(grids(0.0))  # the panels, built and drawn once
    return area


def test_a_snapshot_is_drawn_a_panel_per_turn_and_every_panel_gets_drawn(area, qtbot, monkeypatch):
    monkeypatch.setattr(draw_queue, "TIME_SLICE_S", 0.0)  # one panel per event-loop turn
    area.show_payloads(grids(1.0))
    assert [shown_value(area, key) for key in KEYS] == [255] + [0] * 5  # the rest on later turns
    qtbot.waitUntil(lambda: all(shown_value(area, key) == 255 for key in KEYS), timeout=2000)


def test_a_newer_snapshot_replaces_the_panels_still_waiting(area, qtbot, monkeypatch):
    monkeypatch.setattr(draw_queue, "TIME_SLICE_S", 0.0)
    counts = count_draws(area)
    area.show_payloads(grids(1.0))
    area.show_payloads(grids(0.5))  # before the first one was drawn whole
    qtbot.waitUntil(lambda: all(shown_value(area, key) == 128 for key in KEYS), timeout=2000)
    assert sum(counts.values()) <= len(KEYS) + 1  # the waiting panels drew only the newest


def test_an_unchanged_payload_is_not_drawn_again(area, qtbot):
    payloads = grids(1.0)
    area.show_payloads(payloads)
    qtbot.waitUntil(lambda: all(shown_value(area, key) == 255 for key in KEYS), timeout=2000)
    counts = count_draws(area)
    area.show_payloads(payloads)  # the same objects
    # ... and a lesson's fixed panel rebuilt around the same arrays
    area.show_payloads({key: ImageGrid(key, payloads[key].images) for key in KEYS})
    changed = dict(payloads, grid3=ImageGrid("grid3", np.full((4, 6, 6), 0.5)))
    area.show_payloads(changed)
    qtbot.waitUntil(lambda: shown_value(area, "grid3") == 128, timeout=2000)
    assert counts == {key: int(key == "grid3") for key in KEYS}


def test_a_hidden_panel_is_drawn_when_it_shows_again(area, qtbot):
    hidden = area.views["grid2"]
    hidden.hide()
    counts = count_draws(area)
    area.show_payloads(grids(1.0))
    qtbot.waitUntil(lambda: all(shown_value(area, k) == 255 for k in KEYS if k != "grid2"), timeout=2000)
    area.show_payloads(grids(0.5))
    qtbot.waitUntil(lambda: all(shown_value(area, k) == 128 for k in KEYS if k != "grid2"), timeout=2000)
    assert counts["grid2"] == 0 and shown_value(area, "grid2") == 0
    hidden.show()
    qtbot.waitUntil(lambda: shown_value(area, "grid2") == 128, timeout=2000)  # the newest payload
    assert counts["grid2"] == 1


def test_a_failing_panel_is_reported_and_the_others_are_drawn(area, qtbot):
    def broken(payload):
        raise ValueError("broken panel")

    area.views["grid1"].show_payload = broken
    failed = area.show_payloads(grids(1.0))
    qtbot.waitUntil(lambda: all(shown_value(area, k) == 255 for k in KEYS if k != "grid1"), timeout=2000)
    failed += area.show_payloads(grids(1.0))  # a failure found on a later turn: said with the next
    assert set(failed) == {"grid1"}


def test_payloads_with_arrays_in_tuples_compare_without_error():
    from unsuplab.core.payloads import Field

    heat, points = np.zeros((2, 2)), {"real": np.zeros((3, 2))}

    def field(arrows):
        return Field("D(x)", heat, (0.0, 1.0, 0.0, 1.0), points, arrows)

    arrows = (np.zeros((3, 2)), np.ones((3, 2)))
    assert draw_queue.unchanged(field(arrows), field(arrows))  # equal extents, the same arrays
    assert not draw_queue.unchanged(field(arrows), field((np.zeros((3, 2)), np.ones((3, 2)))))
