"""Every view renders a representative payload, and shows what a user of that panel would see."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QTextDocument
from shown_views import legend_entries, shown

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
from unsuplab.ui.views import (
    VIEW_TYPES,
    ScatterView,
    make_view,
)
from unsuplab.ui.views._style import DARK, LIGHT, PALETTE
from unsuplab.ui.views.image_grid_view import TileGeometry
from unsuplab.ui.views.legend import DASHED_LINE, LINE
from unsuplab.viz.export import write_pictures
from unsuplab.viz.images import normalise, paired_rows, tile, to_uint8
from unsuplab.viz.panels import GREY_SEPARATOR, SEPARATOR

RNG = np.random.default_rng(0)


def curves(scale: float = 1.0, log_y: bool = False) -> Curves:
    steps = np.arange(0, 500, 10)
    held = steps[::5]
    return Curves(
        "Binary cross-entropy per pixel",
        {
            "loss": (steps, scale * np.exp(-steps / 200.0) + 0.1),
            "heldout_loss": (held, scale * np.exp(-held / 200.0) + 0.12),
            "mean_activation": (steps, np.full(len(steps), 0.3)),
        },
        log_y=log_y,
        y_label="BCE",
    )


def filters(count: int = 64) -> ImageGrid:
    return ImageGrid("First-layer filters", RNG.normal(0, 0.05, (count, 28, 28)), "filter")


def pairs(count: int = 10) -> PairedRows:
    inputs = RNG.random((count, 28, 28))
    return PairedRows("Held-out digits", {"input": inputs, "reconstruction": 1.0 - inputs})


def scatter(count: int = 300, thumbnails: bool = True) -> Scatter:
    labels = np.arange(count) % 10
    points = RNG.normal(size=(count, 2)) + 4.0 * labels[:, None]
    thumbs = RNG.random((count, 28, 28)) if thumbnails else None
    return Scatter("Latent space", points, labels, thumbs, "z1", "z2")


def table() -> Table:
    return Table(
        "Held-out metrics",
        ["metric", "value", "step"],
        [["loss", 0.0912345, 3000], ["mean activation", 0.25, 3000]],
    )


def bars(highlight: int | None = 1) -> Bars:
    return Bars(
        "Q-values",
        ["noop", "left", "right", "fire"],
        {"Q": np.array([0.4, 1.2, 0.8, -0.3])},
        highlight=highlight,
        y_label="Q(s, a)",
    )


def histogram() -> Histogram:
    edges = np.linspace(0.0, 0.2, 21)
    return Histogram(
        "Reconstruction error",
        edges,
        {"normal": RNG.integers(0, 100, 20), "anomalies": RNG.integers(0, 10, 20)},
        x_label="error",
        markers={"threshold": 0.09},
    )


def matrix() -> Matrix:
    values = np.diag(np.full(10, 900.0)) + RNG.integers(0, 30, (10, 10)) * (1 - np.eye(10))
    labels = [str(d) for d in range(10)]
    return Matrix("Cluster vs digit", values, labels, labels, "true digit", "predicted digit")


def field() -> Field:
    heat = np.linspace(0.0, 1.0, 40 * 30).reshape(30, 40)
    real, fake = RNG.normal(size=(50, 2)), RNG.normal(size=(50, 2))
    return Field(
        "D(x)",
        heat,
        (-3.0, 3.0, -2.0, 2.0),
        {"real": real, "generated": fake},
        arrows=(fake[:10], -fake[:10]),
        heat_label="D(x)",
    )


def frame() -> Frame:
    image = np.zeros((10, 10, 3))
    image[9, 4] = (0.9, 0.8, 0.2)
    image[2, 3] = (0.9, 0.3, 0.2)
    return Frame("Breakout", image, caption="return 3")


PAYLOADS = {
    "curves": curves,
    "image_grid": filters,
    "paired_rows": pairs,
    "scatter": scatter,
    "table": table,
    "bars": bars,
    "histogram": histogram,
    "matrix": matrix,
    "field": field,
    "frame": frame,
}


def grab_array(widget) -> np.ndarray:
    """The widget as the user sees it: an (h, w, 3) uint8 array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    return (
        np.frombuffer(image.constBits(), np.uint8)
        .reshape(h, image.bytesPerLine())[:, : w * 3]
        .reshape(h, w, 3)
        .copy()
    )


# -- the registry -------------------------------------------------------------------------------
def test_every_payload_kind_has_a_view():
    assert set(VIEW_TYPES) == {
        Curves.kind,
        ImageGrid.kind,
        PairedRows.kind,
        Scatter.kind,
        Table.kind,
        Bars.kind,
        Histogram.kind,
        Matrix.kind,
        Field.kind,
        Frame.kind,
    }
    for kind, view_type in VIEW_TYPES.items():
        assert view_type.kind == kind


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_make_view_picks_the_view_of_the_kind_and_shows_the_payload(qtbot, kind):
    payload = PAYLOADS[kind]()
    view = shown(qtbot, payload)
    assert type(view) is VIEW_TYPES[kind]
    assert view.title_label.text() == payload.title


def test_make_view_names_an_unknown_kind():
    class Odd:
        kind = "heat_field"

    with pytest.raises(KeyError, match="heat_field"):
        make_view(Odd())


# -- image grid ---------------------------------------------------------------------------------
def test_filter_grid_shows_one_tiled_image_that_is_not_constant(qtbot):
    payload = filters(64)
    view = shown(qtbot, payload)
    image = view.image_item.image
    assert image.shape == (8 * 29 + 1, 8 * 29 + 1)  # 8 x 8 tiles of 28 px and 1 px separators
    expected = tile(normalise(payload.images, "filter"), pad=1, fill=SEPARATOR["filter"])
    np.testing.assert_array_equal(image, to_uint8(expected))
    assert image.std() > 0.05 * 255
    assert tuple(view.image_item.levels) == (0, 255)
    assert len([i for i in view.view_box.addedItems if i is view.image_item]) == 1


def test_filter_normalisation_maps_each_tile_to_unit_range_with_zero_at_mid_grey(qtbot):
    weights = RNG.normal(0, 0.05, (16, 8, 8))
    weights[3] *= 40.0  # a unit with far larger weights still fills the grey range on its own
    weights[:, 0, 0] = 0.0
    view = shown(qtbot, ImageGrid("filters", weights, "filter"))
    image = view.image_item.image
    assert image.dtype == np.uint8  # grey levels 0..255, as a PNG export holds them
    for index in range(16):
        row, col = divmod(index, 4)
        y, x = 1 + row * 9, 1 + col * 9
        shown_tile = image[y : y + 8, x : x + 8].astype(np.float64)
        assert np.abs(shown_tile - 127.5).max() == 127.5  # its peak reaches black or white
        assert shown_tile[0, 0] == 128  # a zero weight is mid-grey


def test_image_grid_is_upright_and_unstretched(qtbot):
    top_bright = np.zeros((1, 16, 16))
    top_bright[0, :8] = 1.0
    view = shown(qtbot, ImageGrid("half", top_bright), dark=True)
    assert view.view_box.yInverted()
    pixels = grab_array(view.graphics).mean(axis=2)
    upper, lower = pixels[: len(pixels) // 2], pixels[len(pixels) // 2 :]
    assert upper.mean() > lower.mean() + 40  # the bright rows are drawn at the top
    # Square pixels: the square image is drawn as a square (within a pixel or two).
    bright = np.argwhere(pixels > 200)
    height = 2 * (bright[:, 0].max() - bright[:, 0].min() + 1)
    width = bright[:, 1].max() - bright[:, 1].min() + 1
    assert abs(height - width) <= 4


def test_hover_names_the_tile_under_the_mouse(qtbot):
    payload = ImageGrid("grid", RNG.random((10, 5, 7)), "unit", columns=4, caption="ten images")
    view = shown(qtbot, payload)
    assert view.caption_label.text() == "ten images"
    # Tile 6 is row 1, column 2: its pixel (2, 3) lies at x = 1 + 2*8 + 3, y = 1 + 1*6 + 2.
    text = view.describe(1 + 2 * 8 + 3, 1 + 1 * 6 + 2)
    assert text.startswith("tile 6 ")
    assert f"{payload.images[6, 2, 3]:.3g}" in text
    assert view.describe(0, 0) == ""  # the outer separator
    assert view.describe(1 + 2 * 8 + 3, 1 + 2 * 6 + 2) == ""  # row 2, column 2: no 11th tile

    scene_pos = view.view_box.mapViewToScene(QPointF(1 + 2 * 8 + 3.5, 1 + 6 + 2.5))
    view.graphics.scene().sigMouseMoved.emit(scene_pos)
    assert view.hover_label.text().startswith("tile 6 ")


def test_caption_shows_only_when_given(qtbot):
    view = shown(qtbot, filters(4))
    assert view.caption_label.isHidden()
    view.show_payload(ImageGrid("f", RNG.random((4, 8, 8)), caption="four units"))
    assert view.caption_label.isVisible() and view.caption_label.text() == "four units"


def test_shrunk_images_are_filtered_and_enlarged_ones_stay_sharp(qtbot):
    smooth = QPainter.RenderHint.SmoothPixmapTransform
    view = shown(qtbot, ImageGrid("many", RNG.random((400, 28, 28))))  # 581 px into ~300
    assert view.graphics.renderHints() & smooth
    view.show_payload(ImageGrid("few", RNG.random((4, 8, 8))))  # 19 px into ~300
    view.grab()
    assert not view.graphics.renderHints() & smooth


def test_tile_geometry_round_trips_every_tile():
    geometry = TileGeometry(count=23, height=4, width=6, columns=None)
    assert (geometry.rows, geometry.columns) == (5, 5)
    for index in range(23):
        r, c = divmod(index, 5)
        assert geometry.tile_at(1 + c * 7 + 5, 1 + r * 5 + 3) == (index, 3, 5)


# -- paired rows --------------------------------------------------------------------------------
def test_paired_rows_stack_the_rows_in_order_with_labels(qtbot):
    payload = pairs(6)
    view = shown(qtbot, payload)
    image = view.image_item.image
    assert image.shape == (2 * 29 + 1, 6 * 29 + 1)
    np.testing.assert_array_equal(image[1:29, 1:29], to_uint8(payload.rows["input"][0]))
    np.testing.assert_array_equal(image[30:58, 30:58], to_uint8(payload.rows["reconstruction"][1]))
    np.testing.assert_array_equal(image, to_uint8(paired_rows(payload.rows, fill=GREY_SEPARATOR)))
    assert view.row_labels == ["input", "reconstruction"]
    assert view.row_axis.isVisible() and not view.plot.getAxis("bottom").isVisible()
    assert view.describe(30 + 2, 1 + 29 + 3).startswith("example 1  ·  reconstruction")


def test_long_row_labels_are_elided_in_a_narrow_panel_and_whole_in_a_wide_one(qtbot):
    long = "deep-autoencoder codes ‖h(q) − h(x)‖"
    inputs = RNG.random((11, 28, 28)).astype(np.float32)
    view = shown(qtbot, PairedRows("Neighbours", {"pixels ‖q − x‖": inputs, long: inputs}))

    def shown_labels() -> list[str]:
        return [text for _, text in view.row_axis._tickLevels[0]]

    view.resize(300, 200)
    qtbot.waitUntil(lambda: view.row_axis.width() <= 0.3 * 300)
    assert view.row_axis.width() <= 0.3 * 300
    assert shown_labels()[1].endswith("…") and long.startswith(shown_labels()[1][:-1])
    view.resize(1400, 300)
    qtbot.waitUntil(lambda: shown_labels() == ["pixels ‖q − x‖", long])
    assert shown_labels() == ["pixels ‖q − x‖", long]
    assert long in view.describe(1 + 2, 1 + 29 + 2)  # the hover line names the row in full


# -- pictures on screen and in files ---------------------------------------------------------------
def drawn_pixels(item: pg.ImageItem) -> np.ndarray:
    """The picture pyqtgraph painted for `item` (before the view box scales it): (h, w, 3) uint8."""
    image = item.qimage.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    return (
        np.frombuffer(image.constBits(), np.uint8)
        .reshape(h, image.bytesPerLine())[:, : w * 3]
        .reshape(h, w, 3)
        .copy()
    )


PICTURES = {
    "filters": lambda: filters(16),
    "digits": lambda: ImageGrid("Samples", RNG.random((12, 28, 28)), "unit", columns=4),
    "paired_rows": pairs,
    "frame": frame,
}


@pytest.mark.parametrize("kind", sorted(PICTURES))
def test_an_exported_panel_has_exactly_the_pixels_the_view_draws(qtbot, tmp_path, kind):
    payload = PICTURES[kind]()
    view = shown(qtbot, payload)
    (path,) = write_pictures({kind: payload}, tmp_path)
    with Image.open(path) as png:
        exported = np.asarray(png)
    on_screen = view.image_item.image
    scale = exported.shape[0] // on_screen.shape[0]
    assert scale > 1  # small pictures are enlarged in the file, in crisp squares
    np.testing.assert_array_equal(exported, on_screen.repeat(scale, axis=0).repeat(scale, axis=1))
    grey = on_screen.ndim == 2
    np.testing.assert_array_equal(
        drawn_pixels(view.image_item), np.repeat(on_screen[:, :, None], 3, axis=2) if grey else on_screen
    )


# -- curves -------------------------------------------------------------------------------------
def test_curves_draw_one_line_per_series_with_held_out_dashed_in_the_same_colour(qtbot):
    payload = curves()
    view = shown(qtbot, payload)
    assert set(view.items) == set(payload.series)
    for name, (steps, values) in payload.series.items():
        x, y = view.items[name].getData()
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_allclose(y, values)
    train, held = view.items["loss"].opts["pen"], view.items["heldout_loss"].opts["pen"]
    assert train.color() == held.color()
    assert train.style() == Qt.PenStyle.SolidLine and held.style() == Qt.PenStyle.DashLine
    assert view.items["mean_activation"].opts["pen"].color() != train.color()
    colour = {name: item.opts["pen"].color().name() for name, item in view.items.items()}
    assert legend_entries(view) == [
        (LINE, colour["loss"], "loss"),
        (DASHED_LINE, colour["heldout_loss"], "held-out loss"),
        (LINE, colour["mean_activation"], "mean activation"),
    ]
    assert view.plot.getAxis("bottom").labelText == "step"
    assert view.plot.getAxis("left").labelText == "BCE"


def test_curves_name_their_x_axis_when_it_is_not_the_step(qtbot):
    payload = curves()
    payload.x_label = "component k"
    view = shown(qtbot, payload)
    assert view.plot.getAxis("bottom").labelText == "component k"


def test_curves_log_y_follows_the_payload_then_the_checkbox(qtbot):
    view = shown(qtbot, curves(log_y=True))
    assert view.log_y_box.isChecked() and view.plot.getAxis("left").logMode
    view.log_y_box.setChecked(False)
    assert not view.plot.getAxis("left").logMode
    view.show_payload(curves(log_y=True))  # the user's choice outlives later snapshots
    assert not view.plot.getAxis("left").logMode
    view.log_y_box.setChecked(True)
    assert view.plot.getAxis("left").logMode


def test_curves_update_in_place_and_drop_series_that_went_away(qtbot):
    view = shown(qtbot, curves())
    items = dict(view.items)
    update = curves(scale=2.0)
    view.show_payload(update)
    assert all(view.items[name] is item for name, item in items.items())
    np.testing.assert_allclose(view.items["loss"].getData()[1], update.series["loss"][1])
    del update.series["mean_activation"]
    view.show_payload(update)
    assert "mean_activation" not in view.items
    assert items["mean_activation"] not in view.plot.listDataItems()
    assert [name for *_, name in legend_entries(view)] == ["loss", "held-out loss"]


def test_the_legend_names_every_curve_in_the_header_and_nothing_covers_the_plot(qtbot):
    steps = np.arange(10)
    payload = Curves(
        "Cost J and its terms",
        {
            name: (steps, np.ones(10))
            for name in ("loss", "reconstruction", "heldout_loss", "heldout_reconstruction", "sparsity")
        },
    )
    view = shown(qtbot, payload)
    names = [name for *_, name in legend_entries(view)]
    assert names == ["loss", "held-out loss", "reconstruction", "held-out reconstruction", "sparsity"]
    assert not [item for item in view.plot.scene().items() if isinstance(item, pg.LegendItem)]
    assert not view.legend_label.geometry().intersects(view.plot_widget.geometry())


def test_one_curve_needs_no_legend(qtbot):
    steps = np.arange(10)
    view = shown(qtbot, Curves("Return", {"return": (steps, steps * 1.0)}))
    assert view.legend_label.isHidden() and legend_entries(view) == []


def test_the_legend_sits_beside_the_title_when_both_fit_and_under_it_when_not(qtbot):
    view = shown(qtbot, curves())
    legend, title = view.legend_label, view.title_label
    view.resize(2 * legend.natural_width + 200, 300)
    qtbot.waitUntil(lambda: legend.y() < title.geometry().bottom(), timeout=1000)
    assert legend.x() > title.x() + title.fontMetrics().horizontalAdvance(title.text())
    assert legend.height() < 2 * legend.fontMetrics().lineSpacing()  # one line
    narrow = legend.natural_width * 2 // 3
    view.resize(narrow, 300)
    qtbot.waitUntil(lambda: legend.y() >= title.geometry().bottom(), timeout=1000)
    assert view.width() == narrow  # the legend never makes the panel wider
    assert legend.geometry().right() < narrow
    assert legend.height() >= legend.heightForWidth(legend.width())  # nothing cut off
    # Lines break between entries, never inside a name that fits on a line.
    document = QTextDocument()
    document.setHtml(legend.text())
    lines = [
        [name.strip() for name in re.split(f"{LINE}|{DASHED_LINE}", line) if name.strip()]
        for line in document.toPlainText().splitlines()
    ]
    assert len(lines) > 1 and sum(lines, []) == ["loss", "held-out loss", "mean activation"]
    assert legend.height() < (len(lines) + 1) * legend.fontMetrics().lineSpacing()
    assert not legend.geometry().intersects(view.plot_widget.geometry())


def test_log_axis_labels_read_as_numbers_and_never_overlap(qtbot):
    view = shown(qtbot, curves(log_y=True))
    axis = view.plot.getAxis("left")
    values = list(np.log10([0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.2, 0.3, 0.4, 0.5]))
    strings = axis.logTickStrings(values, 1.0, None)
    assert "0.1" in strings and "0.05" in strings
    assert all("·" not in s and "e" not in s for s in strings)
    low, high = axis.range
    per_unit = axis.geometry().height() / (high - low)
    pixels = [v * per_unit for v, s in zip(values, strings, strict=True) if s]
    assert min(np.diff(sorted(pixels))) >= QFontMetrics(axis.font()).height()


def test_a_series_that_went_non_finite_shows_its_finite_stretches_with_a_gap_between(qtbot):
    steps = np.arange(8)
    values = np.array([1.0, 0.8, 0.5, np.nan, np.inf, 0.4, 0.3, 0.2])
    view = shown(qtbot, Curves("c", {"loss": (steps, values)}))
    box = view.plot.getViewBox()

    def line_columns() -> np.ndarray:
        """The x (in steps) of every pixel column where the blue line is painted."""
        pixels = grab_array(view.plot_widget).astype(int)
        columns = np.nonzero(((pixels[:, :, 2] - pixels[:, :, 0]) > 60).any(axis=0))[0]
        return np.array([box.mapSceneToView(view.plot_widget.mapToScene(int(x), 0)).x() for x in columns])

    for log_y in (False, True):
        view.log_y_box.setChecked(log_y)
        low, high = np.log10([0.2, 1.0]) if log_y else (0.2, 1.0)
        qtbot.waitUntil(
            lambda low=low, high=high: box.viewRange()[1][0] <= low and box.viewRange()[1][1] >= high,
            timeout=1000,
        )  # every finite value
        drawn = line_columns()
        assert drawn.size and drawn.min() < 0.5 and drawn.max() > 6.5  # first step to last
        assert not ((drawn > 2.5) & (drawn < 4.5)).any()  # no line where the values are no numbers


# -- scatter ------------------------------------------------------------------------------------
def test_scatter_shows_every_point_in_its_label_colour_with_a_legend(qtbot):
    payload = scatter(300)
    view = shown(qtbot, payload)
    data = view.scatter.data
    assert len(data) == 300
    np.testing.assert_allclose(np.c_[data["x"], data["y"]], payload.points)
    colours = [brush.color().name().upper() for brush in data["brush"]]
    assert colours == [PALETTE[label] for label in payload.labels]
    assert [label.text for _, label in view.legend.items] == [str(k) for k in range(10)]
    assert view.plot.getAxis("bottom").labelText == "z1"


def test_scatter_updates_in_place(qtbot):
    view = shown(qtbot, scatter(300))
    item, legend_samples = view.scatter, list(view._legend_samples)
    moved = scatter(200)
    view.show_payload(moved)
    assert view.scatter is item and len(item.data) == 200
    np.testing.assert_allclose(np.c_[item.data["x"], item.data["y"]], moved.points)
    assert view._legend_samples == legend_samples  # same labels: the legend is left alone


def test_scatter_legend_takes_more_columns_when_short(qtbot):
    view = shown(qtbot, scatter(100))
    assert view.legend.columnCount == 1
    view.resize(320, 150)
    qtbot.waitUntil(lambda: view.legend.columnCount > 1, timeout=1000)


def scene_pos_of(view: ScatterView, index: int) -> QPointF:
    return view.plot.getViewBox().mapViewToScene(QPointF(*view.points[index]))


def test_hovering_a_point_shows_its_thumbnail(qtbot):
    payload = scatter(50)
    view = shown(qtbot, payload)
    view.graphics.scene().sigMouseMoved.emit(scene_pos_of(view, 7))
    assert view.hovered == 7
    assert view.inset.isVisible()
    pixmap = view.thumbnail_label.pixmap()
    assert (pixmap.width(), pixmap.height()) == (28 * 3, 28 * 3)
    assert "#7" in view.inset_caption.text() and "label 7" in view.inset_caption.text()
    far = view.plot.getViewBox().mapViewToScene(QPointF(-100.0, -100.0))
    view.graphics.scene().sigMouseMoved.emit(far)
    assert view.hovered is None and not view.inset.isVisible()


def test_hover_without_thumbnails_shows_the_label_only(qtbot):
    view = shown(qtbot, scatter(50, thumbnails=False))
    view.graphics.scene().sigMouseMoved.emit(scene_pos_of(view, 3))
    assert view.inset.isVisible() and view.thumbnail_label.isHidden()


def test_a_point_with_text_and_named_labels_shows_both(qtbot):
    payload = scatter(50, thumbnails=False)
    payload.texts = [f"document {i}\nits opening words" for i in range(50)]
    payload.label_names = [f"topic {chr(97 + k)}" for k in range(10)]
    view = shown(qtbot, payload)
    assert [label.text for _, label in view.legend.items] == [f"topic {chr(97 + k)}" for k in range(10)]
    view.graphics.scene().sigMouseMoved.emit(scene_pos_of(view, 3))
    caption = view.inset_caption.text()
    assert f"topic {chr(97 + int(payload.labels[3]))}" in caption and "document 3\nits opening" in caption
    payload.label_names = None  # renamed back to numbers: the legend follows
    view.show_payload(payload)
    assert [label.text for _, label in view.legend.items] == [str(k) for k in range(10)]


def test_clicking_a_point_asks_to_inspect_it(qtbot):
    view = shown(qtbot, scatter(50))
    viewport = view.graphics.viewport()
    target = view.graphics.mapFromScene(scene_pos_of(view, 12))
    with qtbot.waitSignal(view.command_requested, timeout=1000) as blocker:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=target)
    assert blocker.args == ["inspect", {"index": 12}]


# -- table --------------------------------------------------------------------------------------
def test_table_shows_the_cells_read_only_and_updates_in_place(qtbot):
    view = shown(qtbot, table())
    assert [view.table.horizontalHeaderItem(c).text() for c in range(3)] == ["metric", "value", "step"]
    assert [[view.cell_text(r, c) for c in range(3)] for r in range(2)] == [
        ["loss", "0.09123", "3000"],
        ["mean activation", "0.25", "3000"],
    ]
    item = view.table.item(0, 1)
    assert not item.flags() & Qt.ItemFlag.ItemIsEditable
    view.show_payload(
        Table(
            "Held-out metrics",
            ["metric", "value", "step"],
            [["loss", 0.05, 3100], ["mean activation", 0.2, 3100], ["kl", 1, 3100]],
        )
    )
    assert view.table.item(0, 1) is item and item.text() == "0.05"
    assert view.table.rowCount() == 3 and view.cell_text(2, 0) == "kl"


# -- every view ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_export_png_writes_what_the_view_shows(qtbot, tmp_path, kind):
    view = shown(qtbot, PAYLOADS[kind]())
    path = tmp_path / f"{kind}.png"
    view.export_png(path, width=1200)
    assert path.stat().st_size > 1000
    image = QImage(str(path))
    # At the chosen resolution, not the panel's screen size, with its shape kept.
    assert (image.width(), image.height()) == (1200, round(view.height() * 1200 / view.width()))


def test_an_exported_chart_leaves_out_its_controls(qtbot, tmp_path):
    view = shown(qtbot, PAYLOADS["curves"]())
    box = view.log_y_box
    assert box.isVisible()
    path = tmp_path / "curves.png"
    view.export_png(path, width=2 * view.width())
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    where = box.geometry().translated(box.parentWidget().mapTo(view, box.pos()) - box.pos())
    pixels = {
        image.pixelColor(2 * x, 2 * y).name()
        for x in range(where.left(), where.right(), 2)
        for y in range(where.top(), where.bottom(), 2)
    }
    assert pixels == {LIGHT.background}  # the "log y" box is not in the picture
    assert box.isVisible()  # and it is back on the panel


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_themes_recolour_the_whole_panel(qtbot, kind):
    view = shown(qtbot, PAYLOADS[kind](), dark=True)
    dark_corner = grab_array(view)[-3, 3]
    np.testing.assert_array_equal(dark_corner, _rgb(DARK.background))
    view.apply_theme(False)
    np.testing.assert_array_equal(grab_array(view)[-3, 3], _rgb(LIGHT.background))
    # The title stays readable: its text colour is the theme's foreground, not the background.
    assert view.title_label.palette().windowText().color().name() == LIGHT.foreground


@pytest.mark.parametrize("kind", ["curves", "scatter", "paired_rows", "bars", "histogram", "matrix", "field"])
def test_plot_axes_follow_the_theme(qtbot, kind):
    view = shown(qtbot, PAYLOADS[kind](), dark=True)
    plot = view.plot
    assert plot.getAxis("left").textPen().color().name() == DARK.foreground
    view.apply_theme(False)
    assert plot.getAxis("left").textPen().color().name() == LIGHT.foreground


@pytest.mark.parametrize("kind", ["curves", "histogram", "field"])
def test_legend_names_follow_the_theme_and_marks_keep_their_series_colours(qtbot, kind):
    view = shown(qtbot, PAYLOADS[kind](), dark=True)
    entries = legend_entries(view)
    assert len(entries) > 1
    view.apply_theme(False)
    assert view.legend_label.palette().windowText().color().name() == LIGHT.foreground
    view.apply_theme(True)
    assert view.legend_label.palette().windowText().color().name() == DARK.foreground
    assert legend_entries(view) == entries


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_a_second_payload_updates_the_same_view(qtbot, kind):
    view = shown(qtbot, PAYLOADS[kind]())
    children = set(view.findChildren(object))
    view.show_payload(PAYLOADS[kind]())
    assert set(view.findChildren(object)) == children  # nothing rebuilt, nothing leaked


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
