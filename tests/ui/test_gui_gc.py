"""The window's garbage collection: on the GUI thread, and blind to the start-up objects, so a full
collection while a run trains takes milliseconds instead of stalling the window for a second."""

import gc
import sys


def test_a_full_collection_after_start_up_scans_only_what_came_later(window, qtbot):
    # torch, Qt, pyqtgraph and the lessons: hundreds of thousands of objects, frozen once the
    # background import of torch's lazily loaded modules has ended.
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 100_000, timeout=60_000)
    assert not gc.isenabled()  # collection happens only on the GUI thread's timer
    later = [[]]  # made after the freeze
    scanned = {id(thing) for thing in gc.get_objects()}  # what a full collection looks at
    assert id(sys.modules["torch"].__dict__) not in scanned
    assert id(sys.modules["torch._dynamo"].__dict__) not in scanned  # the lazily imported part too
    assert id(later) in scanned  # objects made later are still collected
