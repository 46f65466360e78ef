"""Python's cyclic garbage collection runs on the GUI thread only, once the window or a worker exists,
and never scans the program's long-lived objects.

Automatic collection runs in whichever thread happens to allocate. When that is the training
thread and the garbage holds widgets (a discarded panel's plot with its menus), Qt destroys them
off the GUI thread: the suite once hung with the training thread waiting for the GIL inside
~QMenu while the GUI thread, holding the GIL, waited for the Qt lock that destructor held.
pyqtgraph's GarbageCollector turns automatic collection off and collects on a GUI-thread timer.

Its full collection (every two minutes or so while a run allocates) scanned every object of
torch, Qt, pyqtgraph and the lessons, some 350,000: the window stood still for 0.4–1 s each time.
Once the start-up imports are done (`freeze_when_ended`: the background import of torch's lazily
loaded modules), everything alive is frozen (`gc.freeze`, the standard library's tool for this):
later collections scan only what came after. The price is that cyclic garbage among the frozen
objects (at most the first lesson's panels, once) is never collected.
"""

from __future__ import annotations

import gc
import threading

from pyqtgraph.util.garbage_collector import GarbageCollector


class _Collector(GarbageCollector):
    """pyqtgraph's timer collector that freezes the start-up objects once `settled` has ended."""

    def __init__(self):
        super().__init__(interval=1.0)
        self.settled: threading.Thread | None = None
        self.frozen = False

    def check(self) -> None:
        if not self.frozen and self.settled is not None and not self.settled.is_alive():
            gc.freeze()
            self.frozen = True
        super().check()


_collector: _Collector | None = None


def collect_garbage_on_the_gui_thread() -> None:
    """Install the GUI-thread collector once (call from the GUI thread, with a QApplication)."""
    global _collector
    if _collector is None:
        _collector = _Collector()


def freeze_when_ended(start_up: threading.Thread) -> None:
    """Freeze every object alive once `start_up` (a thread importing what the program keeps) ends."""
    if _collector is not None and _collector.settled is None:
        _collector.settled = start_up
