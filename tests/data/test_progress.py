"""Progress reports of data loading: listeners hear while registered, the printer writes lines."""

from __future__ import annotations

import io

from unsuplab.data.progress import listening, printer, report


def test_listeners_hear_only_while_listening():
    heard = []
    with listening(lambda *a: heard.append(a)):
        report("reading x", 1, 2)
    report("reading y", 2, 2)
    assert heard == [("reading x", 1, 2)]


def test_printer_writes_one_line_per_finished_part_when_not_a_terminal():
    stream = io.StringIO()
    show = printer(stream)
    for done in (0, 5, 10):
        show("reading train-images-idx3-ubyte.gz", done, 10)
    show("reading the cached mnist", 1, 1)
    assert stream.getvalue().splitlines() == [
        "unsuplab: reading train-images-idx3-ubyte.gz: done",
        "unsuplab: reading the cached mnist: done",
    ]


def test_printer_redraws_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    show = printer(stream)
    show("downloading t10k-labels-idx1-ubyte.gz", 1, 4)
    show("downloading t10k-labels-idx1-ubyte.gz", 4, 4)
    assert stream.getvalue() == (
        "\r\x1b[2Kunsuplab: downloading t10k-labels-idx1-ubyte.gz  25%"
        "\r\x1b[2Kunsuplab: downloading t10k-labels-idx1-ubyte.gz 100%\n"
    )
