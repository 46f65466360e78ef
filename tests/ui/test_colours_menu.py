"""View → Colours and the high-contrast theme: a choice redraws every picture, holds for panels
made later, and is remembered; the digit colours and shapes read on every theme."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QSettings
from shown_views import shown

from unsuplab.core.payloads import Field, ImageGrid, Scatter
from unsuplab.ui import theme
from unsuplab.ui.views import _style
from unsuplab.viz.colours import (
    COLOUR_MAP_CHOICES,
    DEFAULT_COLOUR_MAPS,
    DIGIT_COLOURS,
    contrast_ratio,
    grey_lightness,
    hex_to_rgb,
    srgb_to_lab,
)

#: A marker must stand out from the plot's background in grey scale too: this many L* apart.
MIN_LIGHTNESS_FROM_BACKGROUND = 15.0


@pytest.fixture(autouse=True)
def default_look():
    """The View choices are app-wide: every test starts and ends with the defaults."""
    _style.set_high_contrast(False)
    _style.set_colour_maps(DEFAULT_COLOUR_MAPS)
    yield
    _style.set_high_contrast(False)
    _style.set_colour_maps(DEFAULT_COLOUR_MAPS)


def signed_filters() -> ImageGrid:
    weights = np.linspace(-1.0, 1.0, 4 * 8 * 8).reshape(4, 8, 8)
    return ImageGrid("Filters", weights, "filter")


def test_each_colour_choice_draws_filters_and_digits_and_fields_in_its_maps(qtbot):
    for name, choice in COLOUR_MAP_CHOICES.items():
        _style.set_colour_maps(name)
        filters = shown(qtbot, signed_filters())
        digits = shown(qtbot, ImageGrid("Samples", np.linspace(0, 1, 3 * 8 * 8).reshape(3, 8, 8), "unit"))
        field = shown(qtbot, Field("D(x)", np.linspace(0, 1, 12).reshape(3, 4), (0, 1, 0, 1), {}))
        lut_of = {filters: choice.diverging, digits: choice.sequential, field: choice.sequential}
        for view, map_name in lut_of.items():
            item = view.image_item if view is not field else view.heat_item
            expected = _style.named_colour_map(map_name).getLookupTable(nPts=256)
            if map_name == "grey" and view is not field:
                assert item.lut is None, name  # plain grey levels, exactly the exported PNG's
            else:
                np.testing.assert_array_equal(item.lut, expected, err_msg=f"{name}: {map_name}")


def test_view_colours_menu_recolours_the_shown_pictures_and_the_ones_made_later(window, qtbot):
    window.views.show_payloads({"filters": signed_filters()})
    filters = window.views.views["filters"]
    greys = filters.image_item.lut
    assert window.actions_[f"colours:{DEFAULT_COLOUR_MAPS}"].isChecked()

    window.actions_["colours:viridis"].trigger()
    assert window.actions_["colours:viridis"].isChecked()
    diverging = pg.colormap.get(COLOUR_MAP_CHOICES["viridis"].diverging).getLookupTable(nPts=256)
    np.testing.assert_array_equal(filters.image_item.lut, diverging)
    assert not np.array_equal(filters.image_item.lut, greys)
    # A panel that appears after the choice (a probe's answer, the next lesson) follows it.
    window.views.show_payloads({"samples": ImageGrid("Samples", np.zeros((2, 8, 8)), "unit")})
    sequential = pg.colormap.get("viridis").getLookupTable(nPts=256)
    np.testing.assert_array_equal(window.views.views["samples"].image_item.lut, sequential)

    # The menu lists every choice once, under View → Colours.
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    colours_menu = next(a.menu() for a in view_menu.actions() if a.text() == "&Colours")
    assert [a.text() for a in colours_menu.actions()] == [c.title for c in COLOUR_MAP_CHOICES.values()]


def test_high_contrast_theme_turns_views_and_window_black_on_white_and_dark_leaves_it(window, qtbot):
    window.views.show_payloads({"filters": signed_filters()})
    filters = window.views.views["filters"]
    window.actions_["high_contrast"].trigger()
    assert window.actions_["high_contrast"].isChecked() and not window.dark
    assert filters.theme == _style.HIGH_CONTRAST
    assert filters.title_label.palette().windowText().color().name() == "#000000"
    # The window's own palette follows the application's once Qt has passed the change on.
    qtbot.waitUntil(lambda: window.palette().windowText().color().name() == "#000000", timeout=2000)
    assert window.palette().window().color().name() == "#ffffff"

    window.actions_["dark"].trigger()
    assert window.dark and filters.theme == _style.DARK and not _style.high_contrast()
    window.actions_["light"].trigger()
    assert filters.theme == _style.LIGHT and window.actions_["light"].isChecked()


def test_colour_and_contrast_choices_survive_a_fresh_window(qtbot, tmp_path):
    from unsuplab.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "unsuplab.ini"), QSettings.Format.IniFormat)
    first = MainWindow(lesson="autoencoder", settings=settings)
    qtbot.addWidget(first)
    first.actions_["colours:colour_blind"].trigger()
    first.actions_["high_contrast"].trigger()
    first.shutdown()
    _style.set_high_contrast(False)
    _style.set_colour_maps(DEFAULT_COLOUR_MAPS)

    second = MainWindow(lesson="autoencoder", settings=settings)
    qtbot.addWidget(second)
    assert second.actions_["colours:colour_blind"].isChecked()
    assert second.actions_["high_contrast"].isChecked()
    second.views.show_payloads({"filters": signed_filters()})
    assert second.views.views["filters"].theme == _style.HIGH_CONTRAST
    second.shutdown()

    # A name this version does not know falls back to the default maps.
    settings.setValue("colour_maps", "rainbow")
    third = MainWindow(lesson="autoencoder", settings=settings)
    qtbot.addWidget(third)
    assert third.actions_[f"colours:{DEFAULT_COLOUR_MAPS}"].isChecked()
    third.shutdown()


def test_scatter_marks_label_k_with_colour_k_and_shape_k(qtbot):
    labels = np.arange(30) % 10
    view = shown(qtbot, Scatter("Codes", np.c_[labels, labels * 0.5], labels))
    data = view.scatter.data
    assert list(data["symbol"]) == [_style.SYMBOLS[k] for k in labels]
    assert [b.color().name().upper() for b in data["brush"]] == [DIGIT_COLOURS[k] for k in labels]
    # The legend's swatches carry the shapes too.
    assert [sample.item.opts["symbol"] for sample, _ in view.legend.items] == list(_style.SYMBOLS)


def test_every_digit_shape_is_a_pyqtgraph_symbol_and_every_colour_reads_on_every_theme():
    assert set(_style.SYMBOLS) <= set(Symbols)
    lightness = grey_lightness(hex_to_rgb(DIGIT_COLOURS))
    for look in (_style.DARK, _style.LIGHT, _style.HIGH_CONTRAST):
        background = srgb_to_lab(hex_to_rgb(look.background))[0]
        gaps = np.abs(lightness - background)
        assert gaps.min() >= MIN_LIGHTNESS_FROM_BACKGROUND, (look.background, np.round(gaps, 1))


def test_high_contrast_text_and_marks_keep_wcag_aaa_contrast_on_their_backgrounds():
    # WCAG's AAA level for normal text is 7:1; the plain light theme's muted grey has 5.8:1.
    shell = theme.HIGH_CONTRAST
    for name in ("text", "muted", "accent", "error", "ok", "warn"):
        colour = getattr(shell, name)
        ratio = float(contrast_ratio(hex_to_rgb(colour), hex_to_rgb(shell.window)))
        assert ratio >= 7.0, (name, colour, round(ratio, 2))
    views = _style.HIGH_CONTRAST
    for name in ("foreground", "muted", "accent"):
        colour = getattr(views, name)
        ratio = float(contrast_ratio(hex_to_rgb(colour), hex_to_rgb(views.background)))
        assert ratio >= 7.0, (name, colour, round(ratio, 2))
