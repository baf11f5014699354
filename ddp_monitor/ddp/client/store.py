"""The client's local copy of published collections.

Owns documents, the ordered views and their change events; imports
``ddp.ejson`` and ``ddp.client.events``. Documents are the ``fields`` dicts decoded
from EJSON (no ``_id`` key: the id is the mapping key). A stored document is
never mutated: every change stores a new dict (copy on write), so a reader may
keep a reference, an event's ``fields`` stays what it was, and a stub's
snapshot of a document is just a reference to it.

Tolerance as Meteor's browser store (``packages/mongo/collection.js``
``wrappedStoreClient.update``): ``added`` for an existing id is applied as
``changed``; ``removed`` for a missing id is ignored; ``changed`` for a missing
id becomes ``added`` (cleared fields dropped). Each of these returns False,
so the connection can report the frame as Meteor's store reports it
("Expected not to find a document already present for an add").

Ordered publications: Meteor's client discards ``addedBefore``/``movedBefore``
as unknown messages, but DDP.md defines them, so here they are applied to an
ordered view of the collection (``ordered(name)``); ``before`` None means at
the end. A plain ``added`` appends to that view.

Read API: ``collection(name) -> Mapping[id, fields]``, ``get(name, id)``,
``ordered(name) -> list[id]``, ``names()``. A recording is read back with
``apply(event)`` (the store's own events, replayed) and ``copy()`` (one dict
per collection: the documents are shared, being copy on write).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
)
from ddp_monitor.ddp.ejson import equals

__all__ = ["Document", "Store", "diff_documents"]

Document = dict[str, Any]
_EMPTY: Mapping[str, Document] = {}


def _discard(event: Event) -> None:
    """The emit of a store built silently (the state after a reconnect)."""


def diff_documents(old: Document, new: Document) -> tuple[Document, list[str]]:
    """The ``changed`` that turns ``old`` into ``new``: (fields, cleared)."""
    # EJSON.equals, not ==: NaN equals NaN, True is not 1.
    fields = {k: v for k, v in new.items() if k not in old or not equals(old[k], v)}
    cleared = [k for k in old if k not in new]
    return fields, cleared


class Store:
    """Collections of documents; every write emits the matching event."""

    def __init__(self, emit: Callable[[Event], None] = _discard) -> None:
        self._emit = emit
        self._collections: dict[str, dict[str, Document]] = {}
        self._orders: dict[str, list[str]] = {}

    # -- reading -----------------------------------------------------------
    def names(self) -> list[str]:
        """Collections that hold at least one document."""
        return [name for name, docs in self._collections.items() if docs]

    def collection(self, name: str) -> Mapping[str, Document]:
        """The live documents of one collection, by id (read only)."""
        return self._collections.get(name, _EMPTY)

    def get(self, name: str, id_: str) -> Document | None:
        return self._collections.get(name, _EMPTY).get(id_)

    def ordered(self, name: str) -> list[str]:
        """Ids in the publication's order (arrival order without addedBefore)."""
        order = self._orders.get(name)
        return list(order) if order is not None else list(self.collection(name))

    def copy(self) -> Store:
        """A store with the same documents, changed apart from this one from now on.

        One dict per collection: the documents themselves are shared, which
        copy on write makes safe.
        """
        twin = Store(self._emit)
        twin._collections = {
            name: dict(docs) for name, docs in self._collections.items()
        }
        twin._orders = {name: list(order) for name, order in self._orders.items()}
        return twin

    def apply(self, event: Event) -> None:
        """Replay one of the store's own events (a recording read back); others are ignored."""
        # The most frequent first: a recording is mostly changed documents.
        if isinstance(event, DocumentChanged):
            self.changed(event.collection, event.id, event.fields, event.cleared)
        elif isinstance(event, DocumentAdded):
            self.added(event.collection, event.id, event.fields)
        elif isinstance(event, DocumentRemoved):
            self.removed(event.collection, event.id)
        elif isinstance(event, DocumentMoved):
            self.moved_before(event.collection, event.id, event.before)

    # -- writing (server data and stub writes) -----------------------------
    def added(self, name: str, id_: str, fields: Document) -> bool:
        """Add a document; False when it was there already (then it is changed)."""
        docs = self._collections.get(name)
        if docs is None:
            docs = self._collections[name] = {}
        old = docs.get(id_)
        if old is None:
            docs[id_] = fields
            order = self._orders.get(name)
            if order is not None:
                order.append(id_)
            self._emit(DocumentAdded(name, id_, fields))
            return True
        # browser store: an add for an existing document is a change
        self.changed(name, id_, fields, [])
        return False

    def changed(
        self, name: str, id_: str, fields: Document, cleared: Iterable[str]
    ) -> bool:
        """Change a document; False when there was none (then it is added)."""
        docs = self._collections.get(name)
        old = docs.get(id_) if docs is not None else None
        if docs is None or old is None:  # browser store: change of nothing = add
            self.added(name, id_, fields)
            return False
        new = {**old, **fields}
        gone = [k for k in cleared if k in new]
        for key in gone:
            del new[key]
        docs[id_] = new
        self._emit(DocumentChanged(name, id_, fields, gone))
        return True

    def removed(self, name: str, id_: str) -> bool:
        """Remove a document; False when there was none (nothing happens)."""
        docs = self._collections.get(name)
        if docs is None or docs.pop(id_, None) is None:
            return False  # browser store: removing a missing document is ignored
        order = self._orders.get(name)
        if order is not None:
            order.remove(id_)
        self._emit(DocumentRemoved(name, id_))
        return True

    def added_before(
        self, name: str, id_: str, fields: Document, before: str | None
    ) -> bool:
        new = self.added(name, id_, fields)
        self.moved_before(name, id_, before)
        return new

    def moved_before(self, name: str, id_: str, before: str | None) -> None:
        if id_ not in self.collection(name):
            return  # nothing to move, as removing nothing
        order = self._orders.get(name)
        if order is None:
            order = self._orders[name] = list(self.collection(name))
        order.remove(id_)
        order.insert(order.index(before) if before in order else len(order), id_)
        self._emit(DocumentMoved(name, id_, before))

    def replace(self, name: str, id_: str, document: Document | None) -> None:
        """Meteor's synthetic ``replace`` (a stub's document gets the server's)."""
        old = self.get(name, id_)
        if document is None:
            self.removed(name, id_)
        elif old is None:
            self.added(name, id_, document)
        elif old is not document:
            fields, cleared = diff_documents(old, document)
            if fields or cleared:
                self._collections[name][id_] = document
                self._emit(DocumentChanged(name, id_, fields, cleared))

    def reconcile(self, new: Store) -> None:
        """Become ``new``, emitting only the differences (no flicker to empty).

        Used for Meteor's store reset after a reconnect: documents that came
        back unchanged emit nothing.
        """
        names = [
            *self._collections,
            *(n for n in new._collections if n not in self._collections),
        ]
        for name in names:
            old_docs = self._collections.get(name, {})
            new_docs = new._collections.get(name, {})
            for id_ in [i for i in old_docs if i not in new_docs]:
                self.removed(name, id_)
            for id_, doc in new_docs.items():
                self.replace(name, id_, doc)
            self._reconcile_order(name, new._orders.get(name))

    def _reconcile_order(self, name: str, new_order: list[str] | None) -> None:
        old_order = self._orders.pop(name, None)
        if new_order is None:
            return
        self._orders[name] = list(new_order)
        old = old_order or []
        old_next = dict(zip(old, [*old[1:], None], strict=True))
        for index, id_ in enumerate(new_order):
            before = new_order[index + 1] if index + 1 < len(new_order) else None
            if old_next.get(id_, "") != before:
                self._emit(DocumentMoved(name, id_, before))
