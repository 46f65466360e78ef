"""A sweep's figure against one swept setting as a PNG: each point the mean over seeds, its bar
± one standard deviation; one line per combination of the other swept settings (`unsuplab sweep
--report`). Drawn with Pillow, in the categorical palette the window uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from unsuplab.viz.colours import DIGIT_COLOURS
from unsuplab.viz.png import write_png

SIZE = (960, 600)
LEFT, RIGHT, TOP, BOTTOM = 90, 30, 76, 70
FONT_SIZE = 15
INK, GRID, PAPER = (30, 30, 30), (225, 225, 225), (255, 255, 255)
Y_TICKS = 6  # about this many, at round numbers
CAP = 5  # half the width of an error bar's caps, in pixels


def write_sweep_plot(sweep: Any, figure: str, setting: str, path: str | Path) -> Path:
    """Draw `figure` against `setting` of a `unsuplab.core.sweep.Sweep` (see the module
    docstring) and write it to `path`."""
    seeds = len(sweep.plan.seeds)
    title = f"{sweep.plan.lesson}: {figure} against {setting}"
    title += f" (mean ± standard deviation over {seeds} seeds)" if seeds > 1 else ""
    pixels = sweep_plot_pixels(title, figure, setting, sweep.series(figure, setting), sweep.axis(setting))
    return write_png(path, pixels)


def sweep_plot_pixels(title: str, figure: str, setting: str, series: list[Any], axis: Any) -> np.ndarray:
    """The plot as (H, W, 3) uint8 pixels: `series` and `axis` as `Sweep.series` and `Sweep.axis`
    give them."""
    image = Image.new("RGB", SIZE, PAPER)
    draw, font = ImageDraw.Draw(image), _font()
    draw.text((LEFT, 20), title, fill=INK, font=font)
    x0, x1, y0, y1 = LEFT, SIZE[0] - RIGHT, SIZE[1] - BOTTOM, TOP  # y grows downwards
    draw.rectangle((x0, y1, x1, y0), outline=INK)
    if not series:
        draw.text((x0 + 20, y1 + 20), f"no trial has finished with {figure} yet", fill=INK, font=font)
        return np.asarray(image)
    low = min(float(np.min(s.mean - s.spread)) for s in series)
    high = max(float(np.max(s.mean + s.spread)) for s in series)
    pad = (high - low) * 0.08 or max(abs(high), 1.0) * 0.1
    low, high = low - pad, high + pad
    ticks = axis.ticks()
    left, right = ticks[0][0], ticks[-1][0]
    margin = (right - left) * 0.06 or 0.5

    def px(x: float) -> float:
        return x0 + (x - left + margin) / (right - left + 2 * margin) * (x1 - x0)

    def py(y: float) -> float:
        return y0 - (y - low) / (high - low) * (y0 - y1)

    for value in _round_ticks(low, high):
        y = py(value)
        draw.line((x0, y, x1, y), fill=GRID)
        draw.text((x0 - 8, y), f"{value:.4g}", fill=INK, font=font, anchor="rm")
    for position, label in ticks:
        draw.line((px(position), y0, px(position), y0 + 5), fill=INK)
        draw.text((px(position), y0 + 10), label, fill=INK, font=font, anchor="mt")
    scale = " (log scale)" if axis.log else ""
    draw.text(((x0 + x1) / 2, SIZE[1] - 22), f"{setting}{scale}", fill=INK, font=font, anchor="mm")
    for i, line in enumerate(series):
        colour = DIGIT_COLOURS[i % len(DIGIT_COLOURS)]
        shift = (i - (len(series) - 1) / 2) * 6  # side by side, so bars at one value stay apart
        points = [(px(axis.position(x)) + shift, py(m)) for x, m in zip(line.x, line.mean, strict=True)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for (x, y), m, s in zip(points, line.mean, line.spread, strict=True):
            top, bottom = py(m + s), py(m - s)
            draw.line((x, top, x, bottom), fill=colour, width=2)
            draw.line((x - CAP, top, x + CAP, top), fill=colour, width=2)
            draw.line((x - CAP, bottom, x + CAP, bottom), fill=colour, width=2)
            draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=colour)
    legend_x = x0  # the legend: one row between the title and the plot
    for i, line in enumerate(series):
        if line.label and legend_x < x1:
            colour = DIGIT_COLOURS[i % len(DIGIT_COLOURS)]
            draw.line((legend_x, TOP - 16, legend_x + 20, TOP - 16), fill=colour, width=3)
            draw.text((legend_x + 26, TOP - 16), line.label, fill=INK, font=font, anchor="lm")
            legend_x += 26 + draw.textlength(line.label, font=font) + 24
    return np.asarray(image)


def _round_ticks(low: float, high: float) -> np.ndarray:
    """Values at a round step (1, 2 or 5 times a power of ten) between low and high."""
    raw = (high - low) / Y_TICKS
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return np.arange(np.ceil(low / step), np.floor(high / step) + 1) * step


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=FONT_SIZE)
    except TypeError:  # Pillow before 10.1 has one small bitmap font
        return ImageFont.load_default()
