"""Progress of reading or downloading a data set, for whoever shows it: loaders report, listeners
(the command line's printer, the window) hear, on the thread that loads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: Called as progress(what, done, total): what is being done ("reading train-images-idx3-ubyte.gz"),
#: and how far, in bytes.
Progress = Callable[[str, int, int], None]

_listeners: list[Progress] = []
_lock = threading.Lock()


@contextmanager
def listening(callback: Progress) -> Iterator[None]:
    """While active, `callback` hears every report, called on the thread that loads the data (a
    window must pass it on to its own thread)."""
    with _lock:
        _listeners.append(callback)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(callback)


def report(what: str, done: int, total: int) -> None:
    """Tell every listener how far `what` has come."""
    with _lock:
        listeners = tuple(_listeners)
    for listener in listeners:
        listener(what, done, total)


def printer(stream: TextIO) -> Progress:
    """A listener that prints to `stream`: a redrawn line on a terminal, otherwise one line as
    each part is done."""
    tty = bool(getattr(stream, "isatty", lambda: False)())

    def show(what: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if tty:
            end = "\n" if done >= total else ""
            stream.write(f"\r\x1b[2Kunsuplab: {what} {percent:3d}%{end}")
            stream.flush()
        elif done >= total:
            print(f"unsuplab: {what}: done", file=stream, flush=True)

    return show
