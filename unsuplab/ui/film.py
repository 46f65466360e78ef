"""Films of a recorded run: its timeline drawn frame by frame through the window's own views (an
offscreen `ViewArea`, grabbed as `shot` grabs the window), a step/metric caption under each
frame, written as an animated GIF (Pillow) or, with the optional extra `unsuplab[video]`, MP4.

A film is written whole or not at all: its temp file is opened before the first frame is drawn
(an unwritable path fails at once) and renamed into place only when the last frame is in.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from unsuplab.atomic import OutputError, atomic_write
from unsuplab.core.loop import shown_at
from unsuplab.core.payloads import Payload
from unsuplab.core.timeline import Timeline, TimelineFrame
from unsuplab.ui.app import application
from unsuplab.ui.view_area import ViewArea

FORMATS = (".gif", ".mp4")
VIDEO_EXTRA = "unsuplab[video]"
AREA_ASPECT = 0.6  # height / width of the whole view area in a film
PANEL_ASPECT = 0.75  # height / width of one panel
MIN_WIDTH, MAX_WIDTH = 160, 3840
MAX_FPS = 60


class FilmError(ValueError):
    """A film that cannot be made as asked; the message names the file, field or extra."""


class FilmCancelled(Exception):
    """The progress callback asked to stop; nothing was written."""


def moments(timeline: Timeline, curves: dict[str, Payload]) -> list[TimelineFrame]:
    """Every recorded frame with the payloads the views showed at its step: `curves` (the run's
    curve panels, `loop.curve_payloads`) cut there, and the recorded pictures."""
    return [shown_at(timeline.frame_at(step), curves) for step in timeline.steps()]


def film_format(out: str | Path) -> str:
    """The film's format from its suffix ("gif" or "mp4"); FilmError when it has no other way
    to be written (an unknown suffix, MP4 without the extra)."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise FilmError(
            f"{out}: a film is written as .gif or .mp4, not {suffix or 'a file without a suffix'!r}"
        )
    if suffix == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise FilmError(
            f"{out}: MP4 films need the optional extra: pip install '{VIDEO_EXTRA}' "
            "(imageio-ffmpeg); or write a .gif"
        )
    return suffix[1:]


def picked(count: int, wanted: int | None) -> list[int]:
    """Indices of `wanted` of `count` frames, evenly spread, first and last included (all when
    `wanted` is None or not smaller)."""
    if wanted is None or wanted >= count:
        return list(range(count))
    return sorted({round(i) for i in np.linspace(0, count - 1, max(wanted, 1))})


def write_film(
    frames: Sequence[TimelineFrame],
    out: str | Path,
    *,
    panel: str | None = None,
    width: int = 800,
    fps: int = 12,
    frames_wanted: int | None = None,
    progress: Callable[[int, int], bool | None] | None = None,
    dark: bool = True,
) -> Path:
    """Draw `frames` (whole moments: `moments`) through a ViewArea, or only its `panel`, at
    `width` pixels and write them to `out` at `fps` frames a second; `frames_wanted` of them,
    evenly spread, when given. `progress(done, total)` is called after each frame (keep the GUI
    alive there); returning False cancels (FilmCancelled, nothing written). Returns `out`.

    Raises FilmError for a request that cannot be filmed and OutputError (naming `out`) for a
    path that cannot be written; either way no file is left under `out`'s name."""
    out = Path(out)
    kind = film_format(out)
    if not frames:
        raise FilmError(f"{out}: the run has no recorded frames to film yet")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise FilmError(f"width: {width} pixels is outside {MIN_WIDTH}..{MAX_WIDTH}")
    if not 1 <= fps <= MAX_FPS:
        raise FilmError(f"fps: {fps} frames a second is outside 1..{MAX_FPS}")
    if frames_wanted is not None and frames_wanted < 1:
        raise FilmError(f"frames: a film needs at least 1 frame, not {frames_wanted}")
    if panel is not None and all(panel not in frame.payloads for frame in frames):
        names = sorted({key for frame in frames for key in frame.payloads})
        raise FilmError(f"panel: the run has no panel {panel!r}; choose one of {', '.join(names)}")
    chosen = [frames[i] for i in picked(len(frames), frames_wanted)]
    width -= width % 2  # video codecs want even sizes
    height = round(width * (PANEL_ASPECT if panel else AREA_ASPECT)) // 2 * 2
    with atomic_write(out) as f:  # opened first: an unwritable path fails before any drawing
        sink = _GifSink(f, fps) if kind == "gif" else _Mp4Sink(f, fps, out, width, height)
        renderer = _Renderer(width, height, dark)
        try:
            for done, frame in enumerate(chosen, 1):
                payloads = frame.payloads if panel is None else {panel: frame.payloads[panel]}
                sink.add(renderer.picture(payloads, caption(frame)))
                if progress is not None and progress(done, len(chosen)) is False:
                    raise FilmCancelled(f"{out}: film cancelled; nothing was written")
            sink.finish()
        finally:
            renderer.close()
            sink.close()
    return out


def caption(frame: TimelineFrame) -> str:
    """The line under a film frame: its step and up to three metrics, training ones first."""
    names = sorted(frame.metrics, key=lambda n: n.startswith("heldout_"))[:3]
    return "   ".join([f"step {frame.step:,}", *(f"{n} {frame.metrics[n]:.4g}" for n in names)])


class _Renderer:
    """One offscreen ViewArea that draws payloads and hands back captioned RGB pictures."""

    def __init__(self, width: int, height: int, dark: bool):
        self.app = application()
        self.width, self.height = width, height
        self.band = max(18, width // 40)  # the caption's band under the picture
        self.area = ViewArea()
        self.area.apply_theme(dark)
        self.area.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.area.resize(width, height - self.band)
        self.area.show()
        self.background = QColor("#1e1e1e" if dark else "#f4f4f4")
        self.ink = QColor("#e8e8e8" if dark else "#202020")

    def picture(self, payloads: dict[str, Payload], text: str) -> Image.Image:
        self.area.show_payloads(payloads)
        self.app.processEvents()  # layouts and pyqtgraph's deferred range updates
        grabbed = self.area.grab().toImage()
        image = QImage(self.width, self.height, QImage.Format.Format_RGB888)
        image.fill(self.background)
        painter = QPainter(image)
        painter.drawImage(QRect(0, 0, self.width, self.height - self.band), grabbed)
        font = QFont()
        font.setPixelSize(int(self.band * 0.62))
        painter.setFont(font)
        painter.setPen(self.ink)
        painter.drawText(
            QRect(8, self.height - self.band, self.width - 16, self.band),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            text,
        )
        painter.end()
        row = image.bytesPerLine()
        pixels = np.frombuffer(image.constBits(), np.uint8, row * self.height).reshape(self.height, row)
        return Image.fromarray(pixels[:, : 3 * self.width].reshape(self.height, self.width, 3).copy())

    def close(self) -> None:
        self.area.close()
        self.area.deleteLater()


class _GifSink:
    """Frames kept as 255-colour pictures, written as one animated GIF at the end."""

    def __init__(self, f, fps: int):
        self.f, self.fps, self.frames = f, fps, []

    def add(self, picture: Image.Image) -> None:
        self.frames.append(picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))

    def finish(self) -> None:
        first, *rest = self.frames
        first.save(
            self.f, format="GIF", save_all=True, append_images=rest, duration=round(1000 / self.fps), loop=0
        )

    def close(self) -> None:
        self.frames = []


class _Mp4Sink:
    """Frames piped to ffmpeg (imageio-ffmpeg) as they are drawn: H.264 in an MP4."""

    def __init__(self, f, fps: int, out: Path, width: int, height: int):
        import imageio_ffmpeg

        self.out = out
        # ffmpeg writes the temp file `atomic_write` opened (by its name, truncating the same
        # file); atomic_write then syncs it and renames it into place.
        self.writer = imageio_ffmpeg.write_frames(
            f.name,
            (width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            macro_block_size=2,
            output_params=["-f", "mp4"],  # the temp file's name ends in .partial, not .mp4
        )
        self._call(self.writer.send, None)

    def add(self, picture: Image.Image) -> None:
        self._call(self.writer.send, picture.tobytes())

    def finish(self) -> None:
        self._call(self.writer.close)

    def close(self) -> None:
        self.writer.close()

    def _call(self, method, *args) -> None:
        try:
            method(*args)
        except (OSError, RuntimeError) as exc:  # ffmpeg's own failure: a full disk, a bad path
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise OutputError(self.out, OSError(f"ffmpeg failed: {reason}")) from None
