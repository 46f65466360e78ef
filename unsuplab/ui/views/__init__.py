"""One view per payload kind, and `make_view`, which picks the view for a payload."""

from __future__ import annotations

import pyqtgraph as pg

# Payload images are (rows, columns) numpy arrays; drawing them row-major keeps them upright.
# Set before any ImageItem exists, once for the whole application.
pg.setConfigOptions(imageAxisOrder="row-major")

from unsuplab.core.payloads import Payload  # noqa: E402
from unsuplab.ui.views.bars_view import BarsView  # noqa: E402
from unsuplab.ui.views.base import View  # noqa: E402
from unsuplab.ui.views.curves_view import CurvesView  # noqa: E402
from unsuplab.ui.views.field_view import FieldView  # noqa: E402
from unsuplab.ui.views.frame_view import FrameView  # noqa: E402
from unsuplab.ui.views.histogram_view import HistogramView  # noqa: E402
from unsuplab.ui.views.image_grid_view import ImageGridView  # noqa: E402
from unsuplab.ui.views.matrix_view import MatrixView  # noqa: E402
from unsuplab.ui.views.paired_rows_view import PairedRowsView  # noqa: E402
from unsuplab.ui.views.scatter_view import ScatterView  # noqa: E402
from unsuplab.ui.views.table_view import TableView  # noqa: E402

VIEW_TYPES: dict[str, type[View]] = {
    view.kind: view
    for view in (
        CurvesView,
        ImageGridView,
        PairedRowsView,
        ScatterView,
        TableView,
        BarsView,
        HistogramView,
        MatrixView,
        FieldView,
        FrameView,
    )
}


def make_view(payload: Payload) -> View:
    """A new view for `payload`'s kind, already showing it."""
    try:
        view_type = VIEW_TYPES[payload.kind]
    except KeyError:
        raise KeyError(
            f"no view for payloads of kind {payload.kind!r}; known kinds: {', '.join(sorted(VIEW_TYPES))}"
        ) from None
    view = view_type()
    view.show_payload(payload)
    return view


__all__ = [
    "VIEW_TYPES",
    "View",
    "make_view",
    "BarsView",
    "CurvesView",
    "FieldView",
    "FrameView",
    "HistogramView",
    "ImageGridView",
    "MatrixView",
    "PairedRowsView",
    "ScatterView",
    "TableView",
]
