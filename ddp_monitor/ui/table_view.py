"""The dense table every panel uses: fixed row height, copy, remembered columns, empty text.

Owns ``DenseTable`` and ``paint_empty_text``; imports QtWidgets/QtGui/QtCore
and ``qt.ordered_table``. Fixed row heights keep a 50,000-row log cheap to
scroll (no per-row size hints); the view follows the newest row only while it
is scrolled to the bottom, as a browser's network panel does. A sortable
table shows an ``OrderedTableModel``, which sorts (a header click calls its
``sort``) and filters itself, with no proxy in between; the selection is
kept by key when a new filter resets the model.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QModelIndex,
    QSettings,
    Qt,
)
from PySide6.QtGui import (
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ddp_monitor.qt.ordered_table import OrderedTableModel

__all__ = ["COLUMN_MIN", "LAST_COLUMN_MIN", "DenseTable", "paint_empty_text"]

#: A column scaled down never gets narrower than this (a time, "12.3 ms") ...
COLUMN_MIN = 72
#: ... and the last column (a result, a frame's text) keeps this much in view.
LAST_COLUMN_MIN = 110


def paint_empty_text(view: QAbstractItemView, text: str, margin: int = 24) -> None:
    """Draw ``text`` centred near the top of an empty view's viewport (placeholder colour)."""
    painter = QPainter(view.viewport())
    painter.setPen(view.palette().placeholderText().color())
    rect = view.viewport().rect().adjusted(margin, margin, -margin, -margin)
    painter.drawText(
        rect,
        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        | int(Qt.TextFlag.TextWordWrap),
        text,
    )
    painter.end()


class DenseTable(QTableView):
    """A table with a placeholder sentence when empty and Ctrl+C copying rows as TSV.

    Args:
        name: object name, also the settings key of its column widths.
        empty_text: what an empty table says (how to fill it).
        follow_tail: scroll to new rows while the view is at the bottom.
        last_column_min: what the last column keeps in view when the table
            is narrow (a short last column, shown whole elsewhere, asks less).
    """

    def __init__(
        self,
        name: str,
        empty_text: str = "",
        *,
        follow_tail: bool = False,
        last_column_min: int = LAST_COLUMN_MIN,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.empty_text = empty_text
        self._follow_tail = follow_tail
        self._last_column_min = last_column_min
        self._kept: list[str] = []  # selected keys across a model reset
        # The widths asked for (set_column_widths, or dragged by the user); a
        # narrow table scales them down so the last column stays in view.
        self._preferred: list[int] = []
        self._fitting = False
        self._at_bottom = True
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._section_resized)
        header.setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_selection)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None and self._follow_tail:
            model.rowsInserted.connect(self._rows_inserted)
        if isinstance(model, OrderedTableModel):
            model.modelAboutToBeReset.connect(self._keep_selection)
            model.modelReset.connect(self._restore_selection)

    def show_sorted(self, model: OrderedTableModel) -> None:
        """Show ``model``, sorted by a header click (unsorted until then)."""
        self.setModel(model)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)

    def selected_rows(self) -> list[int]:
        """The selected rows, top to bottom."""
        return sorted(index.row() for index in self.selectionModel().selectedRows())

    def selected_keys(self) -> list[str]:
        """The keys of the selected rows of an ``OrderedTableModel``, top to bottom."""
        model = self.model()
        if not isinstance(model, OrderedTableModel):
            return []
        return [model.key(row) for row in self.selected_rows()]

    def select_key(self, key: str) -> bool:
        """Select the row of ``key`` wherever it is shown (False: not shown)."""
        model = self.model()
        row = model.row_of(key) if isinstance(model, OrderedTableModel) else None
        if row is None:
            return False
        self.selectRow(row)
        return True

    def set_column_widths(self, *widths: int) -> None:
        """Preferred widths: kept while there is room, scaled down when not."""
        self._preferred = list(widths)
        self._fit_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns before the last take their preferred widths, or a share of
        the room that leaves ``LAST_COLUMN_MIN`` to the last (at 1024 px the
        Methods table's result column was off-screen behind a scroll bar)."""
        count = self.horizontalHeader().count()
        widths = self._preferred[: max(count - 1, 0)]
        if not widths:
            return
        # Only what a column has beyond COLUMN_MIN gives way, in proportion:
        # a time or a count (narrow already) stays readable, a long text shrinks.
        room = self.viewport().width() - self._last_column_min
        floors = [min(width, COLUMN_MIN) for width in widths]
        spare = sum(widths) - sum(floors)
        factor = 1.0
        if spare > 0 and room < sum(widths):
            factor = max(0.0, (room - sum(floors)) / spare)
        self._fitting = True
        try:
            for column, (width, floor) in enumerate(zip(widths, floors, strict=True)):
                self.setColumnWidth(column, floor + int((width - floor) * factor))
        finally:
            self._fitting = False

    def _section_resized(self, column: int, _old: int, new: int) -> None:
        if not self._fitting and column < len(self._preferred):
            self._preferred[column] = new  # the user's drag is the new preference

    def copy_selection(self) -> None:
        """Selected rows as tab-separated text (pastes into a spreadsheet)."""
        model = self.model()
        rows = sorted(
            {index.row() for index in self.selectionModel().selectedIndexes()}
        )
        lines = [
            "\t".join(
                str(model.index(row, column).data() or "")
                for column in range(model.columnCount())
            )
            for row in rows
        ]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def header_state(self) -> QByteArray:
        """``QHeaderView.saveState`` with the preferred widths, not the fitted
        ones: saved from a narrow window, the columns would otherwise shrink
        a little more at every start."""
        header = self.horizontalHeader()
        fitted = [header.sectionSize(c) for c in range(len(self._preferred))]
        self._fitting = True
        try:
            for column, width in enumerate(self._preferred):
                header.resizeSection(column, width)
            state = header.saveState()
            for column, width in enumerate(fitted):
                header.resizeSection(column, width)
        finally:
            self._fitting = False
        return state

    def save_state(self, settings: QSettings) -> None:
        settings.setValue(f"columns/{self.objectName()}", self.header_state())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value(f"columns/{self.objectName()}")
        if isinstance(state, QByteArray):
            self.restore_header(state)

    def restore_header(self, state: QByteArray) -> None:
        """Column widths, order and sort from ``QHeaderView.saveState``."""
        header = self.horizontalHeader()
        self._fitting = True  # the restored widths are the preference
        try:
            header.restoreState(state)
        finally:
            self._fitting = False
        self._preferred = [
            header.sectionSize(c)
            for c in range(min(len(self._preferred), header.count()))
        ]
        self._fit_columns()
        if self.isSortingEnabled():  # the remembered sort applies at once
            self.sortByColumn(
                header.sortIndicatorSection(), header.sortIndicatorOrder()
            )

    def _keep_selection(self) -> None:
        self._kept = self.selected_keys()

    def _restore_selection(self) -> None:
        kept, self._kept = self._kept, []
        model = self.model()
        if not kept or not isinstance(model, OrderedTableModel):
            return
        rows = [r for k in kept if (r := model.row_of(k)) is not None]
        if not rows:
            return
        self.selectRow(rows[0])
        selection = self.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for row in rows[1:]:
            selection.select(model.index(row, 0), flags)

    def _scrolled(self, value: int) -> None:
        self._at_bottom = value >= self.verticalScrollBar().maximum() - 2

    def _rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._at_bottom:
            self.scrollToBottom()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() != 0:
            return
        if isinstance(model, OrderedTableModel) and model.total > 0:
            text = model.filter_text
            paint_empty_text(self, f"No rows match \u201c{text}\u201d.")
        elif self.empty_text:
            paint_empty_text(self, self.empty_text)
