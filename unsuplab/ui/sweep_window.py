"""A sweep's results in the window (File ▸ Open sweep…): the table of trials (sortable), a plot of
one figure against one swept setting (mean ± standard deviation over seeds, a line per
combination of the other settings), and 2 to 4 selected trials opened side by side in compare
mode's panels, read from their saved runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from unsuplab.core.compare import MAX_VARIANTS, MIN_VARIANTS, value_text
from unsuplab.core.registry import lesson
from unsuplab.core.sweep import DONE, STOPPED, Sweep, SweepError, comparison_of, read_sweep
from unsuplab.ui.views._style import (
    app_is_dark,
    line_width,
    palette_colour,
    style_legend,
    style_plot,
    theme_for,
)

if TYPE_CHECKING:
    from unsuplab.ui.main_window import MainWindow

#: The role the table sorts by: numbers as numbers (0.01 before 0.1 before 1), text as text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
CAP_WIDTH = 0.02  # an error bar's caps, as a share of the x axis


class SweepWindow(QDialog):
    """The trials of the sweep in a folder, beside the main window `window` (see the module
    docstring); a trial's settings, seed, status, step and final figures are one table row."""

    def __init__(self, sweep: Sweep, window: MainWindow | None = None):
        super().__init__(window)
        self.sweep, self.main_window = sweep, window
        plan = sweep.plan
        self.setWindowTitle(f"Sweep — {lesson(plan.lesson).title}: {len(sweep.records)} trials")
        self.resize(1100, 760)
        layout = QVBoxLayout(self)
        grid = ", ".join(
            f"{name} = {', '.join(value_text(v) for v in values)}" for name, values in plan.grid.items()
        )
        about = QLabel(f"{sweep.folder} — {grid}; {len(plan.seeds)} seed(s), {plan.steps:,} steps each")
        about.setWordWrap(True)
        layout.addWidget(about)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter, 1)
        splitter.addWidget(self._table())
        splitter.addWidget(self._plot_panel())
        buttons = QHBoxLayout()
        self.compare_button = QPushButton(f"Compare selected ({MIN_VARIANTS}–{MAX_VARIANTS})")
        self.compare_button.setToolTip(
            "Open the selected trials side by side in the window, every panel showing each of them, "
            "from their saved runs (paused; press Train to continue them together)"
        )
        self.compare_button.clicked.connect(self.compare_selected)
        self.status = QLabel()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.compare_button)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_button)
        self._update_button()
        self.draw_plot()

    # -- the table ------------------------------------------------------------------------------
    def _table(self) -> QTableView:
        columns, rows = self.sweep.table()
        self.columns = columns
        self.model = QStandardItemModel(len(rows), len(columns), self)
        self.model.setHorizontalHeaderLabels(columns)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QStandardItem("" if value is None else _shown(value))
                item.setData(_sort_key(value), SORT_ROLE)
                item.setEditable(False)
                self.model.setItem(r, c, item)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        return self.table

    def selected_trials(self) -> list[str]:
        """The names of the selected trials, top to bottom as the table is sorted."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.proxy.index(row, 0).data() for row in rows]

    def select_trials(self, names: list[str]) -> None:
        """Select the rows of the trials `names` (and only them)."""
        self.table.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() in names:
                self.table.selectionModel().select(self.proxy.index(row, 0), flags)

    # -- the plot -------------------------------------------------------------------------------
    def _plot_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        choices = QHBoxLayout()
        self.figure = QComboBox()
        self.figure.addItems(self.sweep.figures)
        progress = lesson(self.sweep.plan.lesson).progress_metric[0]
        if progress in self.sweep.figures:
            self.figure.setCurrentText(progress)
        self.setting = QComboBox()
        self.setting.addItems(list(self.sweep.plan.grid))
        for combo in (self.figure, self.setting):
            combo.currentIndexChanged.connect(self.draw_plot)
        choices.addWidget(QLabel("Plot"))
        choices.addWidget(self.figure)
        choices.addWidget(QLabel("against"))
        choices.addWidget(self.setting)
        choices.addStretch(1)
        layout.addLayout(choices)
        self.plot = pg.PlotWidget()
        theme = theme_for(app_is_dark())
        self.plot.setBackground(theme.background)
        style_plot(self.plot.getPlotItem(), theme)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.getViewBox().setDefaultPadding(0.06)  # the end points clear of the axes
        self.legend = self.plot.addLegend(offset=(-10, 10))  # top right
        style_legend(self.legend, theme)
        self.plot.setToolTip(
            "Each point: the mean over seeds of the trials' final figure; the bar: ± one standard "
            "deviation, σ = √(Σ(xᵢ − x̄)² / (n − 1)). Trials that failed are left out."
        )
        layout.addWidget(self.plot, 1)
        return panel

    def draw_plot(self) -> None:
        """Draw the chosen figure against the chosen setting."""
        self.plot.clear()
        self.legend.clear()
        self.error_bars: list[pg.ErrorBarItem] = []
        figure, setting = self.figure.currentText(), self.setting.currentText()
        if not figure or not setting:
            return
        axis = self.sweep.axis(setting)
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([axis.ticks()])
        bottom.setLabel(setting + (" (log scale)" if axis.log else ""))
        self.plot.getAxis("left").setLabel(figure)
        positions = [p for p, _ in axis.ticks()]
        cap = (max(positions) - min(positions) or 1.0) * CAP_WIDTH
        for i, series in enumerate(self.sweep.series(figure, setting)):
            x = np.array([axis.position(v) for v in series.x])
            colour = palette_colour(i)
            pen = pg.mkPen(colour, width=line_width(2))
            name = series.label or figure
            self.plot.plot(
                x, series.mean, pen=pen, symbol="o", symbolBrush=colour, symbolPen=colour, name=name
            )
            bars = pg.ErrorBarItem(x=x, y=series.mean, height=2 * series.spread, beam=cap, pen=pen)
            self.plot.addItem(bars)
            self.error_bars.append(bars)

    # -- compare --------------------------------------------------------------------------------
    def _update_button(self, *_: Any) -> None:
        names = self.selected_trials()
        finished = {r.trial for r in self.sweep.records if r.status in (DONE, STOPPED)}
        ok = MIN_VARIANTS <= len(names) <= MAX_VARIANTS and all(n in finished for n in names)
        self.compare_button.setEnabled(ok and self.main_window is not None)
        if len(names) > MAX_VARIANTS:
            self.status.setText(f"{len(names)} trials selected: compare at most {MAX_VARIANTS}")
        elif names and not all(n in finished for n in names):
            self.status.setText("Only trials that finished (done or stopped early) have a run to open")
        else:
            self.status.setText(f"{len(names)} selected" if names else "Select 2 to 4 trials to compare them")

    def compare_selected(self) -> bool:
        """Open the selected trials side by side in the main window, paused."""
        try:
            saved = comparison_of(self.sweep, self.selected_trials())
        except SweepError as exc:
            self.status.setText(str(exc))
            return False
        if not self.main_window.continue_run(saved):
            return False
        self.main_window.log.add(f"Opened {len(saved.variants)} trials of the sweep in {self.sweep.folder}")
        self.main_window.raise_()
        return True


def _shown(value: Any) -> str:
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def _sort_key(value: Any) -> Any:
    """Numbers sort as numbers (a missing figure last), text as text."""
    if value is None:
        return float("inf")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return str(value)


def open_sweep(window: MainWindow, folder: str | Path) -> SweepWindow | None:
    """Show the sweep in `folder` beside the window; None (with the reason shown) when the
    folder holds no readable sweep."""
    try:
        sweep = read_sweep(folder)
    except SweepError as exc:
        window.show_error(f"Could not open the sweep: {exc}")
        return None
    dialog = SweepWindow(sweep, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
