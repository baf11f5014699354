"""Tables that sort and filter their own rows, never calling Python per comparison.

Owns ``OrderedTableModel`` (a ``QAbstractTableModel`` whose rows are string
keys, kept in display order by the model itself) and ``sort_rank``; imports
QtCore and ``qt.cell_text``.

Why not ``QSortFilterProxyModel``: its C++ sort asks the source's ``data()``
twice per comparison, so over a Python model sorting 100,000 documents made
~3.4 million Python calls (14-19 s, issue 12), and its filter read every cell
of every row through Python again on each key press. Here a sort asks the
subclass once for the values of the whole column (``sort_values``), ranks
each value once (``sort_rank``) and lets ``list.sort`` compare in C; a filter
matches a prepared, case-folded text per row (``search_texts``, kept until the
row changes) with ``in``. A header click still sorts: ``QTableView`` calls
``sort()`` on its model.

Rows that arrive while the table is sorted join the end, and rows that change
keep their place, unless the model is ``dynamic`` (the small tables: a count
going up moves its row). A flood into a 100,000-row table then costs what the
new rows cost, not a re-sort per batch; a header click sorts again.

Signals follow Qt's rules: a sort is a layout change (selection and current
row follow their rows), a new filter text is a reset (``DenseTable`` selects
the same keys again), appends and removals are row inserts and removes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from ddp_monitor.qt.cell_text import cell_text

__all__ = [
    "BACKGROUND",
    "DISPLAY",
    "FOREGROUND",
    "TOOLTIP",
    "Index",
    "OrderedTableModel",
    "sort_rank",
]

Index = QModelIndex | QPersistentModelIndex
# A view asks ~7 roles per painted cell; plain ints let data() turn the
# unused ones away with one comparison each (half a paint was data()).
DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
#: More removal runs than this in one update: reset instead of row removes.
_FEW_RUNS = 32
#: From this many rows on, a repaint does not wait for the row map to be made.
_HUGE = 250_000
_NUMBERS = frozenset({int, float})
_TEXT = frozenset({str})


def sort_rank(value: Any) -> tuple[int, Any]:
    """What a cell sorts by: numbers and dates as numbers, then text, then blanks.

    Schemaless documents mix types in one column; Python cannot compare a
    number with a string, so each value is ranked first: (0, number),
    (1, case-folded text), (2, "") for a missing value or null.
    """
    kind = type(value)
    if kind is int or kind is float:
        return (0, value) if not math.isnan(value) else (1, "nan")
    if kind is str:
        return (1, value.casefold())
    if value is None:
        return (2, "")
    if kind is bool:
        return (0, int(value))
    if isinstance(value, datetime):
        return (0, value.timestamp())
    return (1, cell_text(value).casefold())


class OrderedTableModel(QAbstractTableModel):
    """Rows are keys in display order; subclasses say what a key's cells hold.

    Subclasses implement ``data``/``columnCount`` as usual, reading the row's
    key with ``key(row)``, and two hooks: ``sort_values(keys, column)`` (keys
    come in arrival order) and ``search_texts(keys)``. They change rows only
    through ``_append_keys``, ``_remove_keys``, ``_keys_changed`` and
    ``_set_keys`` (inside their own reset).
    """

    def __init__(self, parent: QObject | None = None, *, dynamic: bool) -> None:
        super().__init__(parent)
        self.dynamic = dynamic
        self._order: list[str] = []  # every key, sorted (arrival order unsorted)
        self._shown: list[str] = self._order  # the keys matching the filter
        # Row of each shown key, made when first needed after a sort or a
        # filter (None until then): at a million rows building it touches
        # every key in a scattered order, ~1.5 s, often for nothing.
        self._row_of: dict[str, int] | None = {}
        self._held: dict[str, None] = {}  # every key, shown or not, in arrival order
        self._texts: dict[str, str] = {}  # case-folded search text, made on demand
        self._sort_column = -1
        self._descending = False
        self._in_order = True  # no row arrived or changed since the last sort
        self._repainted: tuple[int, int] | None = None  # the last rows repainted
        self._needle = ""  # case-folded
        self._typed = ""  # as typed

    # -- what subclasses say ------------------------------------------------------
    def sort_values(self, keys: Sequence[str], column: int) -> list[Any]:
        """The value each of ``keys`` sorts by in ``column`` (ranked by ``sort_rank``)."""
        raise NotImplementedError

    def search_texts(self, keys: Sequence[str]) -> list[str]:
        """Every text of each of these rows that the filter may match, one string a row."""
        raise NotImplementedError

    def arrival_order(self) -> list[str]:
        """Every key in the order the rows arrived (the unsorted order)."""
        return list(self._held)

    # -- reading ------------------------------------------------------------------
    def key(self, row: int) -> str:
        """The key shown at ``row``."""
        return self._shown[row]

    def holds(self, key: str) -> bool:
        """``key`` is in the table (shown or filtered out)."""
        return key in self._held

    def row_of(self, key: str) -> int | None:
        """Where ``key`` is shown (None: not in the table, or filtered out)."""
        return self._rows().get(key)

    def shown_keys(self) -> Sequence[str]:
        """The keys shown, top to bottom."""
        return self._shown

    @property
    def total(self) -> int:
        """Rows held, shown or filtered out."""
        return len(self._order)

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        if self._descending:
            return Qt.SortOrder.DescendingOrder
        return Qt.SortOrder.AscendingOrder

    @property
    def filter_text(self) -> str:
        """The text rows must contain, as typed."""
        return self._typed

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    # -- what the user does -------------------------------------------------------
    def sort(
        self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
    ) -> None:
        """Order every row by ``column`` (-1: arrival order); a header click calls this."""
        descending = order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._sort_column, self._descending) and (
            self._in_order or column < 0
        ):
            return  # QTableView.sortByColumn asks twice; arrival order stays as is
        self._sort_column, self._descending = column, descending
        self._in_order = True
        self._relayout(self._sorted(self.arrival_order()))

    def set_filter_text(self, text: str) -> None:
        """Show only rows containing ``text`` in any cell, any case ("" shows all)."""
        needle = text.casefold()
        if needle == self._needle:
            return
        self.beginResetModel()
        self._needle, self._typed = needle, text
        self._show(self._filtered(self._order))
        self.endResetModel()

    # -- what subclasses do -------------------------------------------------------
    def _set_keys(self, keys: list[str]) -> None:
        """Hold exactly ``keys`` (arrival order); call between begin/endResetModel."""
        self._texts.clear()
        self._held = dict.fromkeys(keys)
        self._order = self._sorted(keys)
        self._show(self._filtered(self._order))

    def _append_keys(self, keys: Sequence[str]) -> None:
        """New rows at the end, or in place in a dynamic sorted table (held keys are skipped)."""
        held = self._held
        fresh = [k for k in dict.fromkeys(keys) if k not in held]
        if not fresh:
            return
        held.update(dict.fromkeys(fresh))
        filtered = self._shown is not self._order
        new = self._filtered(fresh) if filtered else fresh
        first = len(self._shown)
        if new:
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._order.extend(fresh)  # unfiltered, this is the shown list too
        if filtered:
            self._shown.extend(new)
        row_of = self._row_of
        if row_of is not None:
            for at, key in enumerate(new, first):
                row_of[key] = at
        if new:
            self.endInsertRows()
        self._in_order = False
        if self.dynamic and self._sort_column >= 0:
            self._relayout(self._sorted(self.arrival_order()))

    def _remove_keys(self, keys: Collection[str]) -> None:
        """Rows gone: row removes, or a reset when they are scattered."""
        held = self._held
        keys = [k for k in keys if k in held]
        if not keys:
            return
        for key in keys:
            self._texts.pop(key, None)
            del held[key]
        row_of = self._rows()
        runs = _runs(sorted((row_of[k] for k in keys if k in row_of), reverse=True))
        filtered = self._shown is not self._order
        if filtered or len(runs) > _FEW_RUNS:
            gone = set(keys)
            self._order = [k for k in self._order if k not in gone]
        if len(runs) > _FEW_RUNS:
            self.beginResetModel()
            self._show(self._filtered(self._order))
            self.endResetModel()
            return
        shown = self._shown if filtered else self._order
        for first, last in runs:  # bottom up: rows above keep their numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            for key in shown[first : last + 1]:
                del row_of[key]
            del shown[first : last + 1]  # unfiltered, this is the order itself
            self.endRemoveRows()
        if runs:
            self._renumber(runs[-1][0])

    def _keys_changed(
        self, keys: Collection[str], roles: Sequence[int] | None = None
    ) -> None:
        """These rows' cells changed: forget their search text, repaint, re-sort if dynamic."""
        if not keys:
            return
        texts = self._texts
        for key in keys:
            texts.pop(key, None)
        if self._row_of is None and len(self._shown) > _HUGE:
            # Not worth making for a repaint: views paint only what they show.
            self._repaint(0, len(self._shown) - 1, roles)
        else:
            row_of = self._rows()
            if rows := [r for k in keys if (r := row_of.get(k)) is not None]:
                self._repaint(min(rows), max(rows), roles)
        self._in_order = False
        if not self.dynamic:
            return
        if self._needle:
            shown = self._filtered(self._order)
            if shown != self._shown:
                self.beginResetModel()
                self._show(shown)
                self.endResetModel()
        if self._sort_column >= 0:
            self._relayout(self._sorted(self.arrival_order()))

    def _repaint(
        self, first: int, last: int, roles: Sequence[int] | None = None
    ) -> None:
        """One ``dataChanged`` for rows ``first``..``last`` (a view repaints what it shows)."""
        self._repainted = (first, last)
        right = max(self.columnCount() - 1, 0)
        top, bottom = self.index(first, 0), self.index(last, right)
        if roles is None:
            self.dataChanged.emit(top, bottom)
        else:
            self.dataChanged.emit(top, bottom, list(roles))

    # -- internals ----------------------------------------------------------------
    def _sorted(self, keys: list[str]) -> list[str]:
        """``keys`` (in arrival order: ties keep it, and reading the values in
        the order they were stored is 4x faster than in a sorted order) sorted."""
        if self._sort_column < 0:
            return list(keys)
        values = self.sort_values(keys, self._sort_column)
        at = _order_of(values, self._descending)
        return list(map(keys.__getitem__, at))

    def _filtered(self, keys: list[str]) -> list[str]:
        needle = self._needle
        if not needle:
            return keys
        texts = self._texts
        missing = [k for k in keys if k not in texts]
        if len(missing) > len(texts):  # most of the table: read it in stored order
            missing = [k for k in self.arrival_order() if k not in texts]
        folded = map(str.casefold, self.search_texts(missing))
        texts.update(zip(missing, folded, strict=True))
        return [k for k in keys if needle in texts[k]]

    def _show(self, shown: list[str]) -> None:
        # Unfiltered, the shown list is the order itself: appends touch one list.
        self._shown = self._order if not self._needle else shown
        self._row_of = None

    def _rows(self) -> dict[str, int]:
        if self._row_of is None:
            shown = self._shown
            self._row_of = dict(zip(shown, range(len(shown)), strict=True))
        return self._row_of

    def _renumber(self, first: int) -> None:
        shown, row_of = self._shown, self._rows()
        for at in range(first, len(shown)):
            row_of[shown[at]] = at

    def _relayout(self, order: list[str]) -> None:
        """Show ``order`` (the same keys reordered) as a layout change."""
        if order == self._order:
            return
        self.layoutAboutToBeChanged.emit()
        kept = self.persistentIndexList()
        keys = [
            (self._shown[i.row()], i.column()) if i.row() < len(self._shown) else None
            for i in kept
        ]
        self._order = order
        self._show(self._filtered(order))
        moved = []
        for spot in keys:
            row = None if spot is None else self._row_after_change(spot[0], len(keys))
            moved.append(
                QModelIndex()
                if row is None or spot is None
                else self.index(row, spot[1])
            )
        self.changePersistentIndexList(kept, moved)
        self.layoutChanged.emit()

    def _row_after_change(self, key: str, asked: int) -> int | None:
        # The few rows Qt keeps (selection, current) are looked up one by one;
        # many of them are worth the whole map.
        if self._row_of is not None or asked > 8:
            return self._rows().get(key)
        try:
            return self._shown.index(key)
        except ValueError:
            return None


def _order_of(values: list[Any], descending: bool) -> list[int]:
    """Positions of ``values`` in sorted order (stable, as Qt's sort, either way)."""
    kinds = set(map(type, values))
    if kinds <= _NUMBERS and not any(map(math.isnan, values)):
        plain: list[Any] = values  # one type family: list.sort compares in C
    elif kinds == _TEXT:
        plain = list(map(str.casefold, values))
    else:  # a schemaless mix: rank each value, sort each rank on its own
        ranks = list(map(sort_rank, values))
        groups: tuple[list[int], list[int], list[int]] = ([], [], [])
        for at, (rank, _) in enumerate(ranks):
            groups[rank].append(at)
        order: list[int] = []
        for group in reversed(groups) if descending else groups:
            ranked = [ranks[at][1] for at in group]
            by = sorted(range(len(group)), key=ranked.__getitem__, reverse=descending)
            order.extend(map(group.__getitem__, by))
        return order
    return sorted(range(len(values)), key=plain.__getitem__, reverse=descending)


def _runs(rows_descending: list[int]) -> list[tuple[int, int]]:
    """Contiguous (first, last) runs of rows given bottom up, bottom run first."""
    runs: list[tuple[int, int]] = []
    for row in rows_descending:
        if runs and runs[-1][0] == row + 1:
            runs[-1] = (row, runs[-1][1])
        else:
            runs.append((row, row))
    return runs
