"""The shared base of the small live tables (methods, subscriptions, collections).

Owns ``RowTableModel``: rows are mutable records keyed by id, kept in arrival
order, with one ``dataChanged`` per flush and per row; imports QtCore and
``qt.sort_proxy``'s role.
The big tables (message log, documents) keep their own storage for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ddp_monitor.qt.sort_proxy import SORT_ROLE

__all__ = ["Column", "Index", "RowTableModel"]

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


class Column(Generic[R]):
    """A column: header, the text of a row, and optional tooltip, colour and sort key.

    ``key`` gives what the column sorts by (``sort_proxy.SORT_ROLE``): a number
    for counts and times, so "10" sorts after "9"; without it, the text.
    """

    __slots__ = ("colour", "header", "key", "text", "tip")

    def __init__(
        self,
        header: str,
        text: Callable[[R], str],
        *,
        tip: str = "",
        colour: Callable[[R], Any] | None = None,
        key: Callable[[R], float | str] | None = None,
    ) -> None:
        self.header = header
        self.text = text
        self.tip = tip
        self.colour = colour
        self.key = key


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows of records keyed by id; subclasses say what the columns show.

    Signals:
        counts_changed(): a row was added or changed state (tab titles follow).
    """

    counts_changed = Signal()

    def __init__(self, columns: Sequence[Column[R]], parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[R] = []
        self._row_of: dict[str, int] = {}

    # -- rows ---------------------------------------------------------------
    def row(self, key: str) -> R | None:
        at = self._row_of.get(key)
        return None if at is None else self._rows[at]

    def rows(self) -> Sequence[R]:
        return self._rows

    def record(self, row: int) -> R:
        return self._rows[row]

    def _add(self, key: str, record: R) -> None:
        at = len(self._rows)
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.append(record)
        self._row_of[key] = at
        self.endInsertRows()

    def _touched(self, keys: set[str]) -> None:
        """Repaint these rows (one ``dataChanged`` per row, after a whole flush)."""
        last = len(self._columns) - 1
        for key in keys:
            at = self._row_of.get(key)
            if at is not None:
                self.dataChanged.emit(self.index(at, 0), self.index(at, last))

    # -- Qt model -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal:
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.tip:
            return column.tip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        column = self._columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.text(record)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour is not None:
            return column.colour(record)
        if role == SORT_ROLE:
            return column.text(record) if column.key is None else column.key(record)
        return None
