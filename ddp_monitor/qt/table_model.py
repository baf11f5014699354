"""The shared base of the small live tables (methods, subscriptions, collections, connections).

Owns ``RowTableModel``: rows are mutable records keyed by id, held in arrival
order and shown sorted and filtered by ``OrderedTableModel`` (one sort value
per row per sort, dynamically: a count going up moves its row), with one
``dataChanged`` per flush, or made again as one reset (``_rebuild``); imports QtCore and ``qt.ordered_table``.
The document table keeps its own storage for speed (``qt.collection_model``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from operator import attrgetter
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QModelIndex, Qt, Signal

from ddp_monitor.qt.ordered_table import (
    DISPLAY,
    FOREGROUND,
    TOOLTIP,
    Index,
    OrderedTableModel,
)

__all__ = ["Column", "Index", "RowTableModel", "TableState"]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class TableState(Generic[R]):
    """A table's records at one moment (copies), and what else it followed."""

    records: dict[str, R]
    extra: object = None


@cache
def _field_values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in fields(cls)]
    get = attrgetter(*names)
    return (lambda record: (get(record),)) if len(names) == 1 else get


def _shallow_copy(record: R) -> R:
    """A dataclass record made again from its fields (2.5x as fast as ``copy.copy``)."""
    cls = type(record)
    if not is_dataclass(cls):
        return copy.copy(record)
    return cls(*_field_values(cls)(record))


class Column(Generic[R]):
    """A column: header, the text of a row, and optional tooltip, colour and sort key.

    ``key`` gives what the column sorts by: a number for counts and times, so
    "10" sorts after "9"; without it, the text.
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


class RowTableModel(OrderedTableModel, Generic[R]):
    """Records keyed by id; subclasses say what the columns show.

    Signals:
        counts_changed(): a row was added or changed state (tab titles follow).
    """

    counts_changed = Signal()

    def __init__(self, columns: Sequence[Column[R]], parent: Any = None) -> None:
        super().__init__(parent, dynamic=True)
        self._columns = list(columns)
        self._records: dict[str, R] = {}  # arrival order
        self._rebuilding = False  # inside rebuild(): records change, rows wait

    # -- rows ---------------------------------------------------------------
    def row(self, key: str) -> R | None:
        """The record of ``key`` (shown or filtered out), or None."""
        return self._records.get(key)

    def rows(self) -> Sequence[R]:
        """Every record, in arrival order."""
        return list(self._records.values())

    def record(self, row: int) -> R:
        """The record shown at ``row``."""
        return self._records[self.key(row)]

    def _add(self, key: str, record: R) -> None:
        self._add_many([(key, record)])

    def _add_many(self, records: Sequence[tuple[str, R]]) -> None:
        """New records at once (one row insert for the batch)."""
        fresh = [(k, r) for k, r in records if k not in self._records]
        self._records.update(fresh)
        if not self._rebuilding:
            self._append_keys([k for k, _ in fresh])

    def _discard(self, keys: Collection[str]) -> None:
        """Forget these records (their rows go)."""
        gone = [k for k in keys if k in self._records]
        if not self._rebuilding:
            self._remove_keys(gone)  # views may read the rows while they go
        for key in gone:
            del self._records[key]

    def _clear(self) -> None:
        self.beginResetModel()
        self._records.clear()
        self._set_keys([])
        self.endResetModel()

    def _touched(self, keys: Collection[str]) -> None:
        """Repaint these rows (one ``dataChanged`` for the flush), re-sort if sorted."""
        if not self._rebuilding:
            self._keys_changed(keys)

    def state(self) -> TableState[R]:
        """A copy of every record (and what else the model follows), to ``_rebuild`` from later."""
        records = {k: self._copy_record(r) for k, r in self._records.items()}
        return TableState(records, self._extra_state())

    def _copy_record(self, record: R) -> R:
        """A record that changes apart from ``record`` (subclasses copy mutable fields)."""
        return _shallow_copy(record)

    def _extra_state(self) -> object:
        """What the model follows besides its records (``state``)."""
        return None

    def _restore_extra(self, extra: object) -> None:
        """Follow ``extra`` again (None: as a new model)."""

    def _rebuild(
        self, apply: Callable[[], None], start: TableState[R] | None = None
    ) -> None:
        """Records as at ``start`` (None: none), changed by ``apply``, shown as one reset.

        A recording's cursor moved (``qt.recording_adaptor``): thousands of
        calls come back at once, and one row insert (and one re-sort) per call
        would cost seconds where a reset costs one pass. ``start`` stays as it
        is (its records are copied).
        """
        self.beginResetModel()
        self._records.clear()
        if start is not None:
            self._records.update(
                (k, self._copy_record(r)) for k, r in start.records.items()
            )
        self._restore_extra(start.extra if start is not None else None)
        self._rebuilding = True
        try:
            apply()
        finally:
            self._rebuilding = False
            self._set_keys(list(self._records))
            self.endResetModel()
        self.counts_changed.emit()

    # -- OrderedTableModel ----------------------------------------------------
    def sort_values(self, keys: Sequence[str], column: int) -> list[Any]:
        spec, records = self._columns[column], self._records
        by = spec.text if spec.key is None else spec.key
        return [by(records[k]) for k in keys]

    def search_texts(self, keys: Sequence[str]) -> list[str]:
        records, columns = self._records, self._columns
        return ["\n".join(c.text(records[k]) for c in columns) for k in keys]

    # -- Qt model -----------------------------------------------------------
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

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role in (DISPLAY, TOOLTIP):
            if not index.isValid():
                return None
            column = self._columns[index.column()]
            return column.text(self._records[self._shown[index.row()]])
        if role == FOREGROUND and index.isValid():
            column = self._columns[index.column()]
            if column.colour is not None:
                return column.colour(self._records[self._shown[index.row()]])
        return None
