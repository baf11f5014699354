"""Sorting and filtering for the live tables: one proxy class, one sort role.

Owns ``TableProxy`` and ``SORT_ROLE``; imports QtCore only. Every model that a
sortable view shows answers ``SORT_ROLE`` with a value that orders correctly
(numbers and times as numbers, text as text), so the proxy sorts with Qt's own
C++ comparison and never calls back into Python per comparison: sorting a
100,000-document collection costs one ``data()`` call per comparison, not a
Python ``lessThan`` as well. The filter matches the display text of any column,
case-insensitively, as a browser's network panel filter does.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
)

__all__ = ["SORT_ROLE", "TableProxy"]

#: ``data(index, SORT_ROLE)``: the value a column sorts by (a number for counts
#: and times, the text otherwise). Models without it sort by their text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 10


class TableProxy(QSortFilterProxyModel):
    """Sorts by ``SORT_ROLE`` and filters on every column's text.

    Unsorted until the user clicks a header (the source's arrival order);
    ``filter_text`` narrows rows to those containing it in any column.
    """

    def __init__(
        self, source: QAbstractItemModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._filter_text = ""
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Rows that change re-sort themselves (a count going up moves its row).
        self.setDynamicSortFilter(True)

    @property
    def filter_text(self) -> str:
        """The text rows must contain, as typed (unescaped)."""
        return self._filter_text

    def set_filter_text(self, text: str) -> None:
        """Keep rows whose text contains ``text`` in any column ("" keeps all)."""
        self._filter_text = text
        self.setFilterFixedString(text)

    def source_row(self, proxy_row: int) -> int:
        """The source model's row shown at ``proxy_row``."""
        return self.mapToSource(self.index(proxy_row, 0)).row()

    def proxy_row(self, source_row: int) -> int:
        """Where the source row ``source_row`` is shown (-1: filtered out)."""
        source = self.sourceModel()
        return self.mapFromSource(source.index(source_row, 0, QModelIndex())).row()
