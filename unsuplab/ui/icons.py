"""Small vector icons for the run controls, painted so they read well on dark and light themes."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

_SIZE = 64  # painted once at this size; Qt scales it down for the toolbar

COLOURS = {"train": "#3fb97a", "pause": "#e9a63b", "step": "#4c9dff", "stop": "#e5534b", "reset": "#8d96a3"}


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def _triangle(painter: QPainter, left: float, right: float) -> None:
    painter.drawPolygon(QPolygonF([QPointF(left, 12), QPointF(right, 32), QPointF(left, 52)]))


def icon(name: str) -> QIcon:
    """The icon called `name`: train, pause, step, stop or reset."""
    pixmap, painter = _canvas()
    colour = QColor(COLOURS[name])
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if name == "train":
        _triangle(painter, 16, 52)
    elif name == "pause":
        painter.drawRoundedRect(QRectF(15, 12, 12, 40), 3, 3)
        painter.drawRoundedRect(QRectF(37, 12, 12, 40), 3, 3)
    elif name == "step":
        _triangle(painter, 12, 42)
        painter.drawRoundedRect(QRectF(44, 12, 9, 40), 3, 3)
    elif name == "stop":
        painter.drawRoundedRect(QRectF(14, 14, 36, 36), 5, 5)
    elif name == "reset":
        pen = QPen(colour, 7, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        arc = QPainterPath()
        arc.arcMoveTo(QRectF(12, 12, 40, 40), 60)
        arc.arcTo(QRectF(12, 12, 40, 40), 60, 280)
        painter.drawPath(arc)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([QPointF(30, 4), QPointF(46, 13), QPointF(32, 24)]))
    else:
        painter.end()
        raise KeyError(f"no icon named {name!r}")
    painter.end()
    return QIcon(pixmap)


def app_icon() -> QIcon:
    """The window icon: a 3x3 tile of 'filters' in the accent colours."""
    pixmap, painter = _canvas()
    shades = [
        "#4c9dff",
        "#3fb97a",
        "#e9a63b",
        "#3fb97a",
        "#e4e7ec",
        "#4c9dff",
        "#e9a63b",
        "#4c9dff",
        "#3fb97a",
    ]
    for i, shade in enumerate(shades):
        painter.setBrush(QColor(shade))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(6 + (i % 3) * 18, 6 + (i // 3) * 18, 16, 16), 3, 3)
    painter.end()
    return QIcon(pixmap)
