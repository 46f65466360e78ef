"""Dark, light and high-contrast light themes: the Fusion style, a QPalette, a small style sheet (with
font sizes at the presenter scale) and the colours views use."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from unsuplab.paths import resources_dir
from unsuplab.ui.views._style import high_contrast, pixel_size


@dataclass(frozen=True)
class Colours:
    """The handful of colours the shell draws with, besides the palette."""

    window: str
    panel: str
    base: str
    text: str
    muted: str
    border: str
    accent: str
    error: str
    error_bg: str
    ok: str
    warn: str


DARK = Colours(
    window="#24272d",
    panel="#2c3038",
    base="#1b1e23",
    text="#e4e7ec",
    muted="#9aa3b0",
    border="#3a3f49",
    accent="#4c9dff",
    error="#ff6b6b",
    error_bg="#4a2428",
    ok="#4cc38a",
    warn="#f0b04c",
)
LIGHT = Colours(
    window="#eef0f3",
    panel="#f7f8fa",
    base="#ffffff",
    text="#1d2129",
    muted="#5d6673",
    border="#c9ced6",
    accent="#1f6fd1",
    error="#c62828",
    error_bg="#fde3e3",
    ok="#17864f",
    warn="#b26a00",
)
#: The light theme for bright rooms (View → High-contrast light theme): black on white, borders
#: that show on a washed-out projector, and state colours that keep 7:1 against white.
HIGH_CONTRAST = Colours(
    window="#ffffff",
    panel="#f0f0f0",
    base="#ffffff",
    text="#000000",
    muted="#333333",
    border="#000000",
    accent="#0047b3",
    error="#b00000",
    error_bg="#ffe0e0",
    ok="#00632a",
    warn="#7a4100",
)

#: Colour of each run state in the status bar.
STATE_COLOURS = {
    "building": "accent",
    "running": "ok",
    "paused": "warn",
    "finished": "accent",
    "failed": "error",
    "stopped": "muted",
    "ready": "muted",
}


def colours(dark: bool) -> Colours:
    """The dark theme's colours, or the light (or, when chosen, high-contrast light) one's."""
    if dark:
        return DARK
    return HIGH_CONTRAST if high_contrast() else LIGHT


def state_colour(state: str, dark: bool) -> str:
    return getattr(colours(dark), STATE_COLOURS.get(state, "muted"))


def palette(dark: bool) -> QPalette:
    """A Fusion palette built from the theme colours."""
    c = colours(dark)
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, value in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.base),
        (role.AlternateBase, c.panel),
        (role.ToolTipBase, c.panel),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Text, c.text),
        (role.Button, c.panel),
        (role.ButtonText, c.text),
        (role.BrightText, c.error),
        (role.Highlight, c.accent),
        (role.HighlightedText, "#ffffff"),
        (role.Link, c.accent),
        (role.Mid, c.border),
        (role.Dark, c.border if dark else "#a0a6b0"),
        (role.Light, c.panel if dark else "#ffffff"),
        (role.Midlight, c.border),
        (role.Shadow, "#000000" if dark else "#8a9099"),
    ):
        p.setColor(r, QColor(value))
    # Disabled editors (settings fixed during a run) must read as such at a glance.
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#676f7b" if dark else "#9aa0a8"))
    p.setColor(group.Disabled, role.Base, QColor(c.window))
    p.setColor(group.Disabled, role.Button, QColor(c.window))
    return p


#: Font sizes in the style sheet at scale 1, in pixels; presenter mode multiplies them.
FONT_PX = {"tiny_px": 10, "small_px": 11, "title_px": 15, "large_px": 17}


def style_sheet(dark: bool) -> str:
    """The shared style sheet with this theme's colours and the current scale's font sizes."""
    text = (resources_dir() / "themes" / "base.qss").read_text(encoding="utf-8")
    sizes = {name: str(pixel_size(px)) for name, px in FONT_PX.items()}
    return Template(text).safe_substitute(vars(colours(dark)), **sizes)


def apply_theme(app: QApplication, dark: bool) -> None:
    """Switch the whole application between the dark and the light theme (style and palette).

    The style sheet is not set on the application: a style sheet above the views would stop
    their own palettes from reaching their labels. The window styles its own panels instead.
    """
    app.setStyle("Fusion")
    app.setPalette(palette(dark))
