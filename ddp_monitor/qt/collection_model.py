"""Collections: their document counts, one collection's documents, one document's fields.

Owns ``CollectionListModel``, ``DocumentTableModel`` and ``DocumentTreeModel``;
imports QtCore/QtGui, ``ddp.client.store`` (read API only), ``ddp.client.events``
and the table parts in ``qt`` (``ordered_table``, ``cell_text``, ``flash``). The
models read documents from the client's ``Store`` at flush time (its documents
are copy-on-write, so nothing is copied here) and use the batch's events only
to learn what changed. Changed cells flash for ``FLASH_SECONDS``.

The document table sorts and filters itself (``OrderedTableModel``): 100,000
documents sort by one value per document and filter over one prepared text
per document, and keep their place as they change (a header click sorts
again), so a flood costs what its new and changed documents cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import methodcaller
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
)
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.cell_text import cell_text
from ddp_monitor.qt.flash import FLASH_COLOUR, FLASH_SECONDS, Flashes
from ddp_monitor.qt.ordered_table import (
    BACKGROUND,
    DISPLAY,
    TOOLTIP,
    Index,
    OrderedTableModel,
)
from ddp_monitor.qt.params import value_kind
from ddp_monitor.qt.table_model import Column, RowTableModel

__all__ = [
    "FLASH_SECONDS",
    "REPAINT_MS",
    "CollectionListModel",
    "DocumentTableModel",
    "DocumentTreeModel",
]

MAX_FIELD_COLUMNS = 24
REPAINT_MS = 100  # changed cells are repainted at most this often
_SAMPLE = 500  # documents read to find the first columns of a collection
_FEW_REMOVALS = 32  # more than this in one flush: reset instead of row removes


_DOCUMENT_EVENTS = frozenset(
    {DocumentAdded, DocumentChanged, DocumentRemoved, DocumentMoved}
)


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
        return sum(c.count for c in self._records.values())

    def set_store(self, store: Store) -> None:
        self._store = store
        self._clear()
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


class DocumentTableModel(OrderedTableModel):
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
        super().__init__(parent, dynamic=False)
        self._store = store
        self._clock = clock
        self.collection: str | None = None
        self._fields: list[str] = []
        self._flashes = Flashes()
        self._fading_shown = False  # a shown row was fading at the last fade()
        # Changed cells are repainted at most every REPAINT_MS: a flood
        # changing rows in view on every 60 ms flush repainted the table 16
        # times a second, each paint right after its flush (one long stall).
        self._pending: tuple[int, int] | None = None
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(REPAINT_MS)
        self._repaint_timer.timeout.connect(self._repaint_pending)

    # -- feeding ------------------------------------------------------------
    def set_collection(self, name: str | None, store: Store | None = None) -> None:
        """Show another collection (or none), sorted and filtered as before."""
        self.beginResetModel()
        if store is not None:
            self._store = store
        self.collection = name
        self._flashes.clear()
        self._pending = None
        docs = self._docs()
        ids = self._store.ordered(name) if name else []
        self._fields = []
        for id_ in ids[:_SAMPLE]:
            self._learn_fields(docs[id_])
        self._set_keys(ids)
        self.endResetModel()

    def apply_events(self, events: Iterable[Event]) -> None:
        """Apply one flush: new rows at the end, changed cells flash, removed rows go."""
        if self.collection is None:
            return
        added: list[str] = []
        removed: set[str] = set()
        changed: dict[str, set[str] | None] = {}
        moved = False
        name = self.collection
        for event in events:
            if type(event) not in _DOCUMENT_EVENTS:
                continue  # one test for every other kind of event
            if getattr(event, "collection", None) != name:
                continue
            if isinstance(event, DocumentAdded):
                removed.discard(event.id)
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
        for id_ in removed:
            self._flashes.forget(id_)
        self._remove_keys(removed)
        new = [i for i in dict.fromkeys(added) if i not in removed]
        self._learn_columns(new)
        self._append_keys(new)  # ids already held (read at set_collection) are skipped
        self._flash_rows(changed)

    # -- reading ------------------------------------------------------------
    def document_id(self, row: int) -> str:
        return self.key(row)

    def fields(self) -> list[str]:
        return list(self._fields)

    def current_documents(self) -> Mapping[str, Mapping[str, Any]]:
        """The shown collection's live documents, by id (read only)."""
        return self._docs()

    def changed_fields(self, id_: str) -> frozenset[str]:
        """Fields of ``id_`` that changed in the last flash (empty: all or none)."""
        return self._flashes.fields(id_)

    @property
    def flashing(self) -> int:
        """Documents whose change still shows."""
        return len(self._flashes)

    def fade(self, first: int, last: int) -> bool:
        """Move the flashes of rows ``first``..``last`` (the ones in view) on a step.

        The view calls this ~10 times a second while anything flashes; only
        those rows are repainted (and once more after their flash is over), so
        a flood's thousands of flashing rows out of view cost nothing; nor
        does a step whose rows a flush repainted since (a flood of changes
        in view repaints them anyway). Returns whether anything still flashes.
        """
        self._repaint_pending()
        self._flashes.prune(self._clock())
        first, last = max(first, 0), min(last, len(self._shown) - 1)
        flashes, shown = self._flashes, self._shown
        fading = any(shown[row] in flashes for row in range(first, last + 1))
        done = self._repainted
        fresh = done is not None and done[0] <= first and last <= done[1]
        if (fading or self._fading_shown) and first <= last and not fresh:
            self._repaint(first, last, [BACKGROUND])
        self._repainted = None
        self._fading_shown = fading
        return bool(flashes)

    # -- OrderedTableModel ----------------------------------------------------
    def sort_values(self, keys: Sequence[str], column: int) -> list[Any]:
        if column == 0:
            return list(keys)
        if column > len(self._fields):  # a column another collection had
            return [None] * len(keys)
        name, docs = self._fields[column - 1], self._docs()
        get = methodcaller("get", name)
        if len(keys) == len(docs) and keys == list(docs):
            # In step with the store (the usual case): read its documents in
            # the order they are stored, not through a million lookups.
            return list(map(get, docs.values()))
        try:  # every held document is in the store, but for a flush away
            return list(map(get, map(docs.__getitem__, keys)))
        except KeyError:
            return [
                doc.get(name) if (doc := docs.get(k)) is not None else None
                for k in keys
            ]

    def search_texts(self, keys: Sequence[str]) -> list[str]:
        docs, join = self._docs(), "\n".join
        return [
            join([key, *map(cell_text, doc.values())])
            if (doc := docs.get(key)) is not None
            else key
            for key in keys
        ]

    # -- Qt model -----------------------------------------------------------
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

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role in (DISPLAY, TOOLTIP):
            if not index.isValid():
                return None
            id_, column = self._shown[index.row()], index.column()
            if column == 0:
                return id_
            doc = self._docs().get(id_)
            name = self._fields[column - 1]
            if doc is None or name not in doc:
                return ""
            return cell_text(doc[name])
        if role == BACKGROUND and self._flashes and index.isValid():
            column = index.column()
            field = None if column == 0 else self._fields[column - 1]
            return self._flashes.colour(self._shown[index.row()], field, self._clock())
        return None

    # -- internals ----------------------------------------------------------
    def _repaint(
        self, first: int, last: int, roles: Sequence[int] | None = None
    ) -> None:
        if roles is not None:  # a fade step: now
            super()._repaint(first, last, roles)
            return
        if self._pending is not None:  # changed cells: with the next step
            first, last = min(first, self._pending[0]), max(last, self._pending[1])
        self._pending = (first, last)
        if not self._repaint_timer.isActive():
            self._repaint_timer.start()

    def _relayout(self, order: list[str]) -> None:
        self._pending = None  # a layout change repaints every row in view
        super()._relayout(order)

    def _repaint_pending(self) -> None:
        pending, self._pending = self._pending, None
        self._repaint_timer.stop()
        if pending is not None:
            last = min(pending[1], len(self._shown) - 1)
            if pending[0] <= last:
                super()._repaint(pending[0], last)

    def _docs(self) -> Mapping[str, dict[str, Any]]:
        return self._store.collection(self.collection) if self.collection else {}

    def _learn_fields(self, doc: Mapping[str, Any]) -> None:
        room = MAX_FIELD_COLUMNS - len(self._fields)
        self._fields.extend([k for k in doc if k not in self._fields][: max(room, 0)])

    def _learn_columns(self, ids: list[str]) -> None:
        """Fields the new documents bring become columns (up to MAX_FIELD_COLUMNS)."""
        docs = self._docs()
        for id_ in ids:
            if len(self._fields) >= MAX_FIELD_COLUMNS:
                return
            doc = docs.get(id_)
            new = [k for k in doc if k not in self._fields] if doc else []
            if new:
                first = 1 + len(self._fields)
                new = new[: MAX_FIELD_COLUMNS - len(self._fields)]
                self.beginInsertColumns(QModelIndex(), first, first + len(new) - 1)
                self._fields.extend(new)
                self.endInsertColumns()

    def _flash_rows(self, changed: dict[str, set[str] | None]) -> None:
        if not changed:
            return
        now, held = self._clock(), self._held
        for id_, fields in changed.items():
            if id_ in held:
                self._flashes.note(
                    id_, None if fields is None else frozenset(fields), now
                )
        self._keys_changed(changed.keys())
        self.documents_changed.emit(frozenset(changed))


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
                    item.setBackground(FLASH_COLOUR)
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
