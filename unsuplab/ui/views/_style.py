"""The look the views share: light, dark and high-contrast themes, the label palette and marker
shapes, the colour maps chosen in View → Colours, presenter mode's scale of every font, line and
marker, and plot styling helpers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QGraphicsItem

from unsuplab.viz.colours import COLOUR_MAP_CHOICES, DEFAULT_COLOUR_MAPS, DIGIT_COLOURS, DIGIT_SYMBOLS
from unsuplab.viz.images import to_uint8


@dataclass(frozen=True)
class Theme:
    """Colours of one theme; every view draws its text, axes and backgrounds from these."""

    dark: bool
    background: str  # plot and panel background
    foreground: str  # text, axes, tick labels
    muted: str  # captions, grid lines, hover read-outs
    legend_background: str  # behind legend entries, so they stay readable over data
    accent: str  # what is emphasised: the chosen action, the requested point
    neutral: str  # plain bars and fills that should not compete with the accent


# The window's "base" colours (unsuplab/ui/theme.py), so a panel sits in the window seamlessly.
LIGHT = Theme(False, "#ffffff", "#1d2129", "#5d6673", "#ffffff99", "#1f6fd1", "#a9b1bd")
DARK = Theme(True, "#1b1e23", "#e4e7ec", "#9aa3b0", "#1b1e2388", "#4c9dff", "#5c6573")

#: For bright rooms and projectors: black text and axes on white; the muted grey and the accent
#: keep at least 7:1 against white (WCAG's AAA level; measured in tests/ui/test_colours_menu.py).
HIGH_CONTRAST = Theme(False, "#ffffff", "#000000", "#333333", "#ffffffee", "#0047b3", "#767676")

#: Colour k and marker shape k for label k (digits, runs, variants, players): a published
#: colour-blind-safe set, doubled by shape on scatters (sources in unsuplab/viz/colours.py).
PALETTE = DIGIT_COLOURS
SYMBOLS = DIGIT_SYMBOLS


#: Presenter mode's scale factors (View → Presenter scale) and the one it starts with.
PRESENTER_FACTORS = (1.25, 1.5, 1.75, 2.0, 2.5)
DEFAULT_PRESENTER_FACTOR = 1.75


@dataclass
class _Look:
    """The app-wide choices of View: the light theme's contrast, the colour maps' name and the
    scale of fonts, lines and markers (1 outside presenter mode)."""

    high_contrast: bool = False
    colour_maps: str = DEFAULT_COLOUR_MAPS
    scale: float = 1.0
    base_font: QFont | None = None  # the application's font at scale 1


_look = _Look()


def set_high_contrast(on: bool) -> None:
    """Make the light theme the high-contrast one (True) or the plain one; views pick it up the
    next time their theme is applied."""
    _look.high_contrast = bool(on)


def high_contrast() -> bool:
    return _look.high_contrast


def set_colour_maps(name: str) -> None:
    """Choose the colour maps of images and fields by their name in `COLOUR_MAP_CHOICES`."""
    if name not in COLOUR_MAP_CHOICES:
        raise ValueError(f"unknown colour maps {name!r}; expected one of {', '.join(COLOUR_MAP_CHOICES)}")
    _look.colour_maps = name


def colour_maps_name() -> str:
    return _look.colour_maps


def set_scale(factor: float) -> None:
    """Scale every font, line and marker by `factor` (1: normal; presenter mode: one of
    `PRESENTER_FACTORS`). The application font follows at once; a view follows the next time its
    theme is applied, when it reads `font`, `line_width` and `marker_size`."""
    factor = float(factor)
    if not 1.0 <= factor <= max(PRESENTER_FACTORS):
        raise ValueError(f"scale must be between 1 and {max(PRESENTER_FACTORS)}, not {factor}")
    app = QApplication.instance()
    if app is not None:
        if _look.base_font is None:
            _look.base_font = QFont(app.font())
        app.setFont(_scaled_font(_look.base_font, factor))
    _look.scale = factor


def scale() -> float:
    return _look.scale


def _scaled_font(base: QFont, factor: float) -> QFont:
    result = QFont(base)
    if base.pointSizeF() > 0:
        result.setPointSizeF(base.pointSizeF() * factor)
    else:  # a font sized in pixels
        result.setPixelSize(round(base.pixelSize() * factor))
    return result


def font(relative: float = 1.0, *, bold: bool = False) -> QFont:
    """The application's font `relative` times its normal size, times the presenter scale."""
    app = QApplication.instance()
    base = _look.base_font or (app.font() if app is not None else QFont())
    result = _scaled_font(base, relative * _look.scale)
    result.setBold(bold)
    return result


def line_width(width: float) -> float:
    """A pen width in pixels, thicker in presenter mode."""
    return width * _look.scale


def marker_size(size: float) -> float:
    """A scatter marker's size in pixels, larger in presenter mode."""
    return size * _look.scale


def pixel_size(size: float) -> int:
    """A size in pixels of text-related room (a style sheet's font size), scaled."""
    return round(size * _look.scale)


def colour_map(signed: bool) -> pg.ColorMap:
    """The chosen map for signed values (diverging, zero in the middle) or intensities
    (sequential), from pyqtgraph's bundled maps."""
    return named_colour_map(_chosen_map_name(signed))


def image_lookup_table(signed: bool) -> np.ndarray | None:
    """The lookup table an image of grey levels 0-255 is drawn through: None for plain grey (so
    the panel shows exactly the levels of its exported PNG), else the chosen map's 256 colours."""
    name = _chosen_map_name(signed)
    return None if name == "grey" else named_colour_map(name).getLookupTable(nPts=256)


def _chosen_map_name(signed: bool) -> str:
    choice = COLOUR_MAP_CHOICES[_look.colour_maps]
    return choice.diverging if signed else choice.sequential


def named_colour_map(name: str) -> pg.ColorMap:
    """A map of `COLOUR_MAP_CHOICES` by name: "grey" is the identity (grey level k stays k, as in
    the exported PNG), the others are pyqtgraph's bundled maps."""
    if name == "grey":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    return pg.colormap.get(name)


def theme_for(dark: bool) -> Theme:
    if dark:
        return DARK
    return HIGH_CONTRAST if _look.high_contrast else LIGHT


def app_is_dark() -> bool:
    """Whether the running application's palette is dark, to pick a view's first theme."""
    app = QApplication.instance()
    return app is not None and app.palette().window().color().lightness() < 128


def palette_colour(index: int) -> QColor:
    return QColor(PALETTE[int(index) % len(PALETTE)])


def translucent(colour: str | QColor, alpha: int) -> QColor:
    """`colour` with opacity `alpha` (0..255): fills that let what lies beneath show through."""
    result = QColor(colour)
    result.setAlpha(alpha)
    return result


def readable_text_colour(rgb: np.ndarray) -> np.ndarray:
    """Black or white for text over each (…, 3) uint8 colour, by its relative luminance."""
    luminance = np.asarray(rgb, dtype=np.float64) @ np.array([0.2126, 0.7152, 0.0722]) / 255.0
    return np.where(luminance[..., None] > 0.5, 0, 255).astype(np.uint8) * np.ones(3, np.uint8)


def style_axis(axis: pg.AxisItem, theme: Theme) -> None:
    """An axis, its tick labels and its title in the theme's colours at the current scale."""
    axis.setPen(pg.mkPen(theme.muted, width=line_width(1)))
    axis.setTextPen(pg.mkPen(theme.foreground))  # also recolours the axis title
    tick_font = font()
    axis.setStyle(tickFont=tick_font, tickLength=round(-5 * _look.scale))
    axis.label.setFont(tick_font)
    axis.labelStyle.pop("font-size", None)  # the title's size is the label font's
    axis._updateLabel()  # pyqtgraph re-lays out its title only here
    # Painting an axis replays its tick labels' text layout (several ms); keep the painted axis as
    # a pixmap so that redrawing a panel's content (a scrub, a new snapshot) does not repaint its
    # axes unless their range changed.
    axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def style_plot(plot: pg.PlotItem, theme: Theme) -> None:
    """Axes, tick labels and axis titles of `plot` in the theme's foreground colour, at the
    current scale."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        style_axis(axis, theme)
        # Ticks read 0.25, not 250 with "(x0.001)" tucked into the axis title.
        axis.enableAutoSIPrefix(False)
        # pyqtgraph 0.14 still computes a prefix scale while disabling it when the axis has a
        # label, and applies that scale to the ticks: put it back to one.
        if axis.autoSIPrefixScale != 1.0:
            axis.autoSIPrefixScale, axis.labelUnitPrefix = 1.0, ""
            axis.picture = None
            axis.update()


def style_legend(legend: pg.LegendItem, theme: Theme) -> None:
    legend.setBrush(pg.mkBrush(theme.legend_background))
    legend.setPen(pg.mkPen(theme.muted))
    legend.setLabelTextColor(theme.foreground)
    legend.setLabelTextSize(f"{font().pointSizeF() * 0.9:.1f}pt")
    # pyqtgraph 0.14 stores the new colour but leaves existing labels painted in the old one.
    for _, label in legend.items:
        label.setText(label.text)


def smooth_when_shrunk(graphics: pg.GraphicsView, box: pg.ViewBox) -> Callable[[], None]:
    """Filter an image drawn smaller than its pixels (no lost separator lines), but keep enlarged
    pixels sharp squares: switch the view's smoothing as the zoom crosses one to one. Presenter
    mode draws every pixel crisp (nearest neighbour). Returns the update, for a theme change."""

    def update() -> None:
        pixel_width = box.viewPixelSize()[0]  # image pixels per screen pixel
        smooth = pixel_width > 1.0 and _look.scale == 1.0
        graphics.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        graphics.viewport().update()

    box.sigTransformChanged.connect(update)
    return update


def grey_qimage(image: np.ndarray) -> QImage:
    """A [0, 1] grey (h, w) array as an image, in the grey levels a PNG export gives it."""
    data = np.ascontiguousarray(to_uint8(image))
    h, w = data.shape
    return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def grey_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """A [0, 1] grey (h, w) array as a pixmap, enlarged `scale` times without blur."""
    picture = grey_qimage(image)
    if scale > 1:
        # The default transform is nearest-neighbour.
        picture = picture.scaled(picture.width() * scale, picture.height() * scale)
    return QPixmap.fromImage(picture)


#: At least this much room between two category names on an axis.
TICK_GAP_PX = 10
#: Narrower columns get every k-th name in full instead of all names elided.
MIN_NAMED_COLUMN_PX = 40


def category_ticks(names: list[str], room_px: float, metrics: QFontMetrics) -> list[tuple[int, str]]:
    """Ticks (position, text) naming categories 0 … n−1 along `room_px` pixels without overlap:
    every name whole when they fit; else every name elided to its column when a column can hold a
    readable start ("Harry Po…"); else every k-th name whole (the hover line names the rest)."""
    if not names:
        return []
    widest = max(metrics.horizontalAdvance(name) for name in names) + TICK_GAP_PX
    column = max(room_px, 1.0) / len(names)
    if widest <= column:
        return list(enumerate(names))
    if column >= MIN_NAMED_COLUMN_PX:
        width = int(column) - TICK_GAP_PX
        return [
            (i, metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)) for i, name in enumerate(names)
        ]
    every = math.ceil(widest / column)
    return [(i, name) for i, name in enumerate(names) if i % every == 0]
