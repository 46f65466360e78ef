"""A view put on screen the way the window makes it, for the view tests."""

from __future__ import annotations

from unsuplab.ui.views import make_view

SIZE = (480, 360)


def shown(qtbot, payload, dark: bool = False, settle_ms: int = 0):
    """A view made for `payload`, themed, shown at a fixed size and painted once (pyqtgraph fits
    its view ranges at the first paint); `settle_ms` more lets a legend beside a plot re-fit it."""
    view = make_view(payload)
    qtbot.addWidget(view)
    view.apply_theme(dark)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    view.grab()
    if settle_ms:
        qtbot.wait(settle_ms)
    return view
