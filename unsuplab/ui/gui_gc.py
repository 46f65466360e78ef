"""Python's cyclic garbage collection runs on the GUI thread only, once the window or a worker exists.

Automatic collection runs in whichever thread happens to allocate. When that is the training
thread and the garbage holds widgets (a discarded panel's plot with its menus), Qt destroys them
off the GUI thread: the suite once hung with the training thread waiting for the GIL inside
~QMenu while the GUI thread, holding the GIL, waited for the Qt lock that destructor held.
pyqtgraph's GarbageCollector turns automatic collection off and collects on a GUI-thread timer.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_garbage_on_the_gui_thread() -> None:
    """Install the GUI-thread collector once (call from the GUI thread, with a QApplication)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=1.0)
