"""A small read-only table of text and numbers that updates its cells in place."""

from __future__ import annotations

import numbers

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from unsuplab.core.payloads import Table
from unsuplab.ui.views.base import View

_NUMBER_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_TEXT_ALIGN = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def format_cell(value: object) -> str:
    """Numbers to four significant digits (ints whole), everything else as str."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return "" if value is None else str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return f"{float(value):.4g}"


#: Room beside a header's text for the section's margins and the sort indicator.
HEADER_PADDING = 16


class TableView(View):
    """A `Table` in a read-only `QTableWidget` (`table`); numbers right-aligned.

    Updates change the text of the cells that exist and add or drop rows and columns only when
    the payload's shape changed, so the selection and scroll position survive a snapshot.
    """

    kind = Table.kind

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._columns: list[str] = []

        self.lay_out(self.table)
        self.apply_theme(self.theme.dark)

    def show_payload(self, payload: Table) -> None:
        self.set_title(payload.title)
        columns = list(payload.columns)
        if columns != self._columns:
            self._columns = columns
            self.table.setColumnCount(len(columns))
            self.table.setHorizontalHeaderLabels(columns)
            # Every header whole ("median s(x)", not "nedian s(x"): below that the view area
            # scrolls rather than squeeze the columns.
            header = self.table.horizontalHeader()
            widest = max((header.fontMetrics().horizontalAdvance(c) for c in columns), default=0)
            header.setMinimumSectionSize(widest + HEADER_PADDING)
            self.table.setMinimumWidth(len(columns) * (widest + HEADER_PADDING) + 2 * self.table.frameWidth())
        if self.table.rowCount() != len(payload.rows):
            self.table.setRowCount(len(payload.rows))
        for r, row in enumerate(payload.rows):
            for c in range(len(columns)):
                value = row[c] if c < len(row) else None
                self._set_cell(r, c, value)

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _set_cell(self, row: int, column: int, value: object) -> None:
        text = format_cell(value)
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.table.setItem(row, column, item)
        elif item.text() != text:
            item.setText(text)
        is_number = isinstance(value, numbers.Number) and not isinstance(value, bool)
        item.setTextAlignment(_NUMBER_ALIGN if is_number else _TEXT_ALIGN)
