"""A view put on screen the way the window makes it, and its header legend as a user reads it,
for the view tests."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QTextDocument, QTextFormat
from PySide6.QtWidgets import QGraphicsWidget

from unsuplab.ui.views import make_view

SIZE = (480, 360)


def shown(qtbot, payload, dark: bool = False, settle: bool = False):
    """A view made for `payload`, themed, shown at a fixed size and painted once (pyqtgraph fits
    its view ranges at the first paint); `settle` waits until a legend beside a plot has taken its
    room and the plot has re-fitted its range."""
    view = make_view(payload)
    qtbot.addWidget(view)
    view.apply_theme(dark)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    view.grab()
    if settle:
        qtbot.waitUntil(lambda: settled(view), timeout=2000)
    return view


def settled(view) -> bool:
    """Whether every pyqtgraph layout in `view` has applied its pending changes."""
    for graphics in view.findChildren(pg.GraphicsView):
        for item in graphics.scene().items():
            # pyqtgraph's layouts keep their grid in a `layout` attribute that hides the method.
            layout = QGraphicsWidget.layout(item) if isinstance(item, QGraphicsWidget) else None
            if layout is not None and not layout.isActivated():
                return False
    return True


def legend_entries(view) -> list[tuple[str, str, str]]:
    """The view's header legend as (mark, mark colour, series name) per entry, in order; empty
    when no legend shows. The names must carry no colour of their own (they take the theme's)."""
    if view.legend_label.isHidden():
        return []
    document = QTextDocument()
    document.setHtml(view.legend_label.text())
    fragments = []
    piece = document.begin().begin()
    while not piece.atEnd():
        fragment = piece.fragment()
        coloured = fragment.charFormat().hasProperty(QTextFormat.Property.ForegroundBrush)
        fragments.append(
            (fragment.text(), fragment.charFormat().foreground().color().name() if coloured else None)
        )
        piece += 1
    marks, names = fragments[::2], fragments[1::2]
    assert all(colour is not None for _, colour in marks)
    assert all(colour is None for _, colour in names)
    return [
        (mark, colour, name.replace("\xa0", " ").strip())
        for (mark, colour), (name, _) in zip(marks, names, strict=True)
    ]
