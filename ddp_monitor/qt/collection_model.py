"""Collections: their document counts, one collection's documents, one document's fields.

Owns ``CollectionListModel``, ``DocumentTableModel`` and ``DocumentTreeModel``;
imports QtCore/QtGui, ``ddp.client.store`` (read API only) and ``ddp.client.events``. The
models read documents from the client's ``Store`` at flush time (its documents
are copy-on-write, so nothing is copied here) and use the batch's events only
to learn what changed. Changed cells flash for ``FLASH_SECONDS``. Over 400
lines: the three models read one ``Store`` the same way (``cell_text``,
``sort_key``) and are one unit for the Collections tab.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
)
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.method_model import short_json
from ddp_monitor.qt.params import value_kind
from ddp_monitor.qt.sort_proxy import SORT_ROLE
from ddp_monitor.qt.table_model import Column, Index, RowTableModel

__all__ = [
    "FLASH_SECONDS",
    "CollectionListModel",
    "DocumentTableModel",
    "DocumentTreeModel",
    "cell_text",
    "sort_key",
]

FLASH_SECONDS = 1.5
MAX_FIELD_COLUMNS = 24
_SAMPLE = 500  # documents read to find the first columns of a collection
_FEW_REMOVALS = 32  # more than this in one flush: reset instead of row removes
_FLASH = QColor(255, 196, 0)


def cell_text(value: Any) -> str:
    """Strings as they are; everything else as compact EJSON."""
    return value if isinstance(value, str) else short_json(value)


def sort_key(value: Any) -> float | str:
    """What a document cell sorts by: numbers and dates as numbers, the rest as text.

    Qt compares by the left value's type, so a column mixing numbers and text
    (schemaless documents) still sorts without error, numbers among themselves.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return "" if value is None else cell_text(value)


class _Collection:
    __slots__ = ("count", "name")

    def __init__(self, name: str, count: int) -> None:
        self.name = name
        self.count = count


class CollectionListModel(RowTableModel[_Collection]):
    """Every collection that has held a document, with its live count."""

    def __init__(self, store: Store, parent: Any = None) -> None:
        super().__init__(
            [
                Column[_Collection]("collection", lambda c: c.name),
                Column[_Collection](
                    "docs", lambda c: f"{c.count:,}", key=lambda c: c.count
                ),
            ],
            parent,
        )
        self._store = store

    def name(self, row: int) -> str:
        return self.record(row).name

    @property
    def documents(self) -> int:
        return sum(c.count for c in self._rows)

    def set_store(self, store: Store) -> None:
        self.beginResetModel()
        self._store = store
        self._rows.clear()
        self._row_of.clear()
        self.endResetModel()
        self.refresh(store.names())

    def refresh(self, names: Iterable[str]) -> None:
        """Re-count these collections (the ones a flush touched)."""
        touched: set[str] = set()
        for name in names:
            count = len(self._store.collection(name))
            record = self.row(name)
            if record is None:
                self._add(name, _Collection(name, count))
            elif record.count != count:
                record.count = count
                touched.add(name)
        self._touched(touched)
        self.counts_changed.emit()

    def apply_events(self, events: Iterable[Event]) -> None:
        # dict.fromkeys: first-seen order, so rows appear in arrival order.
        self.refresh(
            dict.fromkeys(
                e.collection
                for e in events
                if isinstance(e, DocumentAdded | DocumentRemoved)
            )
        )


class DocumentTableModel(QAbstractTableModel):
    """The documents of one collection: ``_id`` then the fields seen so far.

    Signals:
        documents_changed(frozenset): ids of the documents changed in one flush.
    """

    documents_changed = Signal(object)

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._clock = clock
        self.collection: str | None = None
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._fields: list[str] = []
        self._flash: dict[str, tuple[float, frozenset[str] | None]] = {}
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(100)
        self._flash_timer.timeout.connect(self._fade)

    # -- feeding ------------------------------------------------------------
    def set_collection(self, name: str | None, store: Store | None = None) -> None:
        """Show another collection (or none)."""
        self.beginResetModel()
        if store is not None:
            self._store = store
        self.collection = name
        self._flash.clear()
        docs = self._docs()
        self._ids = self._store.ordered(name) if name else []
        self._row_of = {id_: row for row, id_ in enumerate(self._ids)}
        self._fields = []
        for id_ in self._ids[:_SAMPLE]:
            self._learn_fields(docs[id_])
        self.endResetModel()

    def apply_events(self, events: Iterable[Event]) -> None:
        """Apply one flush: new rows at the end, changed cells flash, removed rows go."""
        if self.collection is None:
            return
        added: list[str] = []
        removed: set[str] = set()
        changed: dict[str, set[str] | None] = {}
        moved = False
        for event in events:
            if getattr(event, "collection", None) != self.collection:
                continue
            if isinstance(event, DocumentAdded):
                removed.discard(event.id)
                if event.id not in self._row_of:
                    added.append(event.id)
                changed[event.id] = None  # the whole row flashes
            elif isinstance(event, DocumentChanged):
                fields = changed.setdefault(event.id, set())
                if fields is not None:
                    fields.update(event.fields, event.cleared)
            elif isinstance(event, DocumentRemoved):
                removed.add(event.id)
                changed.pop(event.id, None)
            elif isinstance(event, DocumentMoved):
                moved = True
        if moved or len(removed) > _FEW_REMOVALS:
            self.set_collection(self.collection)
            return
        self._remove_rows(removed)
        self._append_rows([i for i in dict.fromkeys(added) if i not in removed])
        self._flash_rows(changed)

    # -- reading ------------------------------------------------------------
    def document_id(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, id_: str) -> int | None:
        return self._row_of.get(id_)

    def fields(self) -> list[str]:
        return list(self._fields)

    def current_documents(self) -> Mapping[str, Mapping[str, Any]]:
        """The shown collection's live documents, by id (read only)."""
        return self._docs()

    def changed_fields(self, id_: str) -> frozenset[str]:
        """Fields of ``id_`` that changed in the last flash (empty: all or none)."""
        flash = self._flash.get(id_)
        return frozenset() if flash is None or flash[1] is None else flash[1]

    # -- Qt model -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1 + len(self._fields)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return "_id" if section == 0 else self._fields[section - 1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        id_ = self._ids[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return id_
            doc = self._docs().get(id_)
            name = self._fields[column - 1]
            if doc is None or name not in doc:
                return ""
            return cell_text(doc[name])
        if role == Qt.ItemDataRole.BackgroundRole and id_ in self._flash:
            return self._flash_colour(id_, column)
        if role == SORT_ROLE:
            if column == 0:
                return id_
            doc = self._docs().get(id_)
            name = self._fields[column - 1]
            return sort_key(doc.get(name) if doc is not None else None)
        return None

    # -- internals ----------------------------------------------------------
    def _docs(self) -> Mapping[str, dict[str, Any]]:
        return self._store.collection(self.collection) if self.collection else {}

    def _learn_fields(self, doc: Mapping[str, Any]) -> None:
        room = MAX_FIELD_COLUMNS - len(self._fields)
        self._fields.extend([k for k in doc if k not in self._fields][: max(room, 0)])

    def _append_rows(self, ids: list[str]) -> None:
        if not ids:
            return
        docs = self._docs()
        for id_ in ids:
            doc = docs.get(id_)
            if doc is None or len(self._fields) >= MAX_FIELD_COLUMNS:
                continue
            new = [k for k in doc if k not in self._fields]
            if new:
                first = 1 + len(self._fields)
                new = new[: MAX_FIELD_COLUMNS - len(self._fields)]
                self.beginInsertColumns(QModelIndex(), first, first + len(new) - 1)
                self._fields.extend(new)
                self.endInsertColumns()
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(ids) - 1)
        for id_ in ids:
            self._row_of[id_] = len(self._ids)
            self._ids.append(id_)
        self.endInsertRows()

    def _remove_rows(self, removed: set[str]) -> None:
        rows = sorted(
            (self._row_of[i] for i in removed if i in self._row_of), reverse=True
        )
        for row in rows:
            self.beginRemoveRows(QModelIndex(), row, row)
            id_ = self._ids.pop(row)
            del self._row_of[id_]
            self._flash.pop(id_, None)
            self.endRemoveRows()
        if rows:
            for row in range(rows[-1], len(self._ids)):
                self._row_of[self._ids[row]] = row

    def _flash_rows(self, changed: dict[str, set[str] | None]) -> None:
        if not changed:
            return
        now = self._clock()
        rows = []
        for id_, fields in changed.items():
            row = self._row_of.get(id_)
            if row is not None:
                self._flash[id_] = (now, None if fields is None else frozenset(fields))
                rows.append(row)
        if rows:
            # One signal for the whole span: the view repaints only what it shows.
            self._repaint_rows(min(rows), max(rows))
            self.documents_changed.emit(frozenset(changed))
        if not self._flash_timer.isActive():
            self._flash_timer.start()

    def _repaint_rows(
        self, first: int, last: int, roles: list[int] | None = None
    ) -> None:
        right = len(self._fields)
        if roles is None:
            self.dataChanged.emit(self.index(first, 0), self.index(last, right))
        else:
            self.dataChanged.emit(self.index(first, 0), self.index(last, right), roles)

    def _flash_colour(self, id_: str, column: int) -> QColor | None:
        at, fields = self._flash[id_]
        if fields is not None and (
            column == 0 or self._fields[column - 1] not in fields
        ):
            return None
        fade = 1.0 - (self._clock() - at) / FLASH_SECONDS
        if fade <= 0:
            return None
        colour = QColor(_FLASH)
        colour.setAlphaF(0.55 * fade)
        return colour

    def _fade(self) -> None:
        now = self._clock()
        rows = [
            row for id_ in self._flash if (row := self._row_of.get(id_)) is not None
        ]
        for id_, (at, _) in list(self._flash.items()):
            if now - at > FLASH_SECONDS:
                del self._flash[id_]
        if rows:
            self._repaint_rows(min(rows), max(rows), [Qt.ItemDataRole.BackgroundRole])
        if not self._flash:
            self._flash_timer.stop()


class DocumentTreeModel(QStandardItemModel):
    """One document's fields as a tree: key, value, type; objects and arrays open."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels(["field", "value", "type"])
        self.document_id: str | None = None

    def show_document(
        self,
        id_: str | None,
        fields: Mapping[str, Any] | None,
        changed: Iterable[str] = (),
    ) -> None:
        """Show ``fields`` (None: nothing); ``changed`` top-level keys are highlighted."""
        self.removeRows(0, self.rowCount())
        self.document_id = id_
        if id_ is None or fields is None:
            return
        flash = set(changed)
        root = self.invisibleRootItem()
        root.appendRow(_row("_id", id_))
        for key, value in fields.items():
            items = _row(key, value)
            if key in flash:
                for item in items:
                    item.setBackground(_FLASH)
            root.appendRow(items)


def _row(key: str, value: Any) -> list[QStandardItem]:
    items = [QStandardItem(key), QStandardItem(), QStandardItem(value_kind(value))]
    for item in items:
        item.setEditable(False)
    if isinstance(value, dict):
        items[1].setText(f"{{{len(value)} fields}}")
        for child_key, child in value.items():
            items[0].appendRow(_row(str(child_key), child))
    elif isinstance(value, list):
        items[1].setText(f"[{len(value)} items]")
        for at, child in enumerate(value):
            items[0].appendRow(_row(str(at), child))
    else:
        items[1].setText(cell_text(value))
    return items
