"""The lesson browser: lessons grouped as in GROUPS, and the selected lesson's text as markdown."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from unsuplab.core.experiment import GROUPS, Experiment
from unsuplab.core.registry import lessons
from unsuplab.paths import lesson_text_path
from unsuplab.ui.lesson_text import LessonText

_NAME_ROLE = Qt.ItemDataRole.UserRole


def lesson_markdown(cls: type[Experiment]) -> str:
    """The lesson's text, or a friendly placeholder when its file is not written yet."""
    path = lesson_text_path(cls.name)
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        summary = f"{cls.summary}\n\n" if cls.summary else ""
        return (
            f"# {cls.title}\n\n{summary}*The notes for this lesson are not written yet.* "
            "Press **Train** (Space) and watch the panels in the middle; hover over a "
            "setting on the right to see what it does and its formula.\n"
        )


class LessonBrowser(QWidget):
    """A tree of lessons by group above the selected lesson's notes."""

    lesson_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(14)
        self.tree.setUniformRowHeights(True)
        self.text = LessonText()

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.text)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._splitter = splitter

        self._items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self.tree.currentItemChanged.connect(self._on_current_changed)

    def _populate(self) -> None:
        by_group: dict[str, list[type[Experiment]]] = {}
        for cls in lessons():
            by_group.setdefault(cls.group, []).append(cls)
        bold = self.tree.font()
        bold.setBold(True)
        for group in GROUPS:
            if group not in by_group:
                continue
            header = QTreeWidgetItem(self.tree, [group])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a lesson to select
            header.setFont(0, bold)
            for cls in by_group[group]:
                item = QTreeWidgetItem(header, [cls.title])
                item.setData(0, _NAME_ROLE, cls.name)
                item.setToolTip(0, cls.summary or cls.title)
                self._items[cls.name] = item
        self.tree.expandAll()
        rows = len(self._items) + len(by_group)
        # The tree only needs its rows; the notes get the rest of the height.
        self.tree.setMinimumHeight(60)
        self._splitter.setSizes([min(rows, 14) * 26 + 12, 600])

    @property
    def lesson_names(self) -> list[str]:
        return list(self._items)

    def groups(self) -> dict[str, list[str]]:
        """Group heading -> lesson names under it, as the tree shows them."""
        result = {}
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            result[header.text(0)] = [header.child(j).data(0, _NAME_ROLE) for j in range(header.childCount())]
        return result

    def current_lesson(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, _NAME_ROLE) if item is not None else None

    def select(self, name: str) -> None:
        """Select lesson `name` (emits lesson_selected when it changes)."""
        if name not in self._items:
            raise KeyError(f"no lesson named {name!r}")
        self.tree.setCurrentItem(self._items[name])

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        name = current.data(0, _NAME_ROLE) if current is not None else None
        if name is None:
            return
        from unsuplab.core.registry import lesson

        self.text.show_markdown(lesson_markdown(lesson(name)))
        self.lesson_selected.emit(name)
