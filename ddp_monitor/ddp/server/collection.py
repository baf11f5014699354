"""An in-memory reactive collection, so a publication can publish a live query.

Owns ``Collection`` (insert / update / remove, observable) and ``Cursor`` (a
filtered live view with ``observe_changes`` and ``publish_to``), a tiny
stand-in for Mongo.Collection + ``observeChanges``; imports ``ddp.ejson`` and
``ddp.ids``. Observers are called synchronously, inside the write: that is
what lets a method's ``updated`` go out after its writes reached every client.

Documents are dicts with a string ``_id``; values are cloned in and out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ddp_monitor.ddp.ejson import clone, equals
from ddp_monitor.ddp.ids import random_id

__all__ = ["Collection", "Cursor", "ObserveHandle", "Publisher"]

Selector = Callable[[Mapping[str, Any]], bool]


class Publisher(Protocol):
    """The publication side ``Cursor.publish_to`` talks to (a Subscription)."""

    def added(self, collection: str, id_: Any, fields: Mapping[str, Any]) -> None: ...

    def changed(
        self,
        collection: str,
        id_: Any,
        fields: Mapping[str, Any],
        cleared: Iterable[str] = (),
    ) -> None: ...

    def removed(self, collection: str, id_: Any) -> None: ...

    def on_stop(self, fn: Callable[[], Any]) -> None: ...


class _Observer:
    __slots__ = ("added", "changed", "removed", "selector")

    def __init__(
        self,
        selector: Selector | None,
        added: Callable[[str, dict[str, Any]], None],
        changed: Callable[[str, dict[str, Any], list[str]], None],
        removed: Callable[[str], None],
    ) -> None:
        self.selector = selector
        self.added, self.changed, self.removed = added, changed, removed

    def matches(self, doc: Mapping[str, Any]) -> bool:
        return self.selector is None or self.selector(doc)


class ObserveHandle:
    def __init__(self, observers: list[_Observer], observer: _Observer) -> None:
        self._observers, self._observer = observers, observer

    def stop(self) -> None:
        if self._observer in self._observers:
            self._observers.remove(self._observer)


class Collection:
    """A named set of documents; every write tells the live observers at once."""

    def __init__(self, name: str, new_id: Callable[[], str] = random_id) -> None:
        self.name = name
        self._docs: dict[str, dict[str, Any]] = {}
        self._observers: list[_Observer] = []
        self._new_id = new_id

    def __len__(self) -> int:
        return len(self._docs)

    def find(self, selector: Selector | None = None) -> Cursor:
        return Cursor(self, selector)

    def find_one(self, id_: str) -> dict[str, Any] | None:
        doc = self._docs.get(id_)
        return None if doc is None else {"_id": id_, **clone(doc)}

    def insert(self, doc: Mapping[str, Any]) -> str:
        """Add a document; returns its ``_id`` (made up when missing)."""
        id_ = doc.get("_id") or self._new_id()
        if not isinstance(id_, str):
            raise TypeError("_id must be a string")
        if id_ in self._docs:
            raise KeyError(f"Duplicate _id {id_!r}")
        fields = {k: clone(v) for k, v in doc.items() if k != "_id"}
        self._docs[id_] = fields
        whole = {"_id": id_, **fields}
        shared = clone(fields)  # one copy for all observers (see observe_changes)
        for obs in list(self._observers):
            if obs.matches(whole):
                obs.added(id_, shared)
        return id_

    def update(
        self, id_: str, set: Mapping[str, Any] | None = None, unset: Iterable[str] = ()
    ) -> bool:
        """``$set`` and ``$unset`` on one document; False if there is none."""
        fields = self._docs.get(id_)
        if fields is None:
            return False
        before = {"_id": id_, **fields}
        changed = {
            k: clone(v)
            for k, v in (set or {}).items()
            if k != "_id" and (k not in fields or not equals(fields[k], v))
        }
        cleared = [k for k in unset if k in fields and k not in changed]
        fields.update(changed)
        for k in cleared:
            del fields[k]
        if changed or cleared:
            self._notify_change(id_, before, fields, changed, cleared)
        return True

    def remove(self, id_: str) -> bool:
        fields = self._docs.pop(id_, None)
        if fields is None:
            return False
        for obs in list(self._observers):
            if obs.matches({"_id": id_, **fields}):
                obs.removed(id_)
        return True

    def _notify_change(
        self,
        id_: str,
        before: Mapping[str, Any],
        fields: dict[str, Any],
        changed: dict[str, Any],
        cleared: list[str],
    ) -> None:
        after = {"_id": id_, **fields}
        # One copy for all observers (see observe_changes), made on first use.
        shared_changed: dict[str, Any] | None = None
        shared_fields: dict[str, Any] | None = None
        for obs in list(self._observers):
            was, now = obs.matches(before), obs.matches(after)
            if was and now:
                if shared_changed is None:
                    shared_changed = clone(changed)
                obs.changed(id_, shared_changed, list(cleared))
            elif now:  # the document entered this live query
                if shared_fields is None:
                    shared_fields = clone(fields)
                obs.added(id_, shared_fields)
            elif was:
                obs.removed(id_)

    def _observe(self, observer: _Observer) -> ObserveHandle:
        for id_, fields in list(self._docs.items()):
            if observer.matches({"_id": id_, **fields}):
                observer.added(id_, clone(fields))
        self._observers.append(observer)
        return ObserveHandle(self._observers, observer)


class Cursor:
    """A live query: the documents of ``collection`` that ``selector`` accepts."""

    def __init__(self, collection: Collection, selector: Selector | None) -> None:
        self.collection = collection
        self.selector = selector

    @property
    def collection_name(self) -> str:
        """``_getCollectionName``: a publication may return one cursor per collection."""
        return self.collection.name

    def fetch(self) -> list[dict[str, Any]]:
        docs = (self.collection.find_one(id_) for id_ in list(self.collection._docs))
        return [
            d
            for d in docs
            if d is not None and (self.selector is None or self.selector(d))
        ]

    def observe_changes(
        self,
        added: Callable[[str, dict[str, Any]], None],
        changed: Callable[[str, dict[str, Any], list[str]], None],
        removed: Callable[[str], None],
    ) -> ObserveHandle:
        """Calls ``added`` for every current match now, then reports every change.

        The ``fields`` of one change are a single copy handed to every observer
        (a change fans out to every subscriber unencoded and uncopied per
        subscriber): read them, never change them.
        """
        return self.collection._observe(
            _Observer(self.selector, added, changed, removed)
        )

    def publish_to(self, sub: Publisher) -> None:
        """``_publishCursor``: mirror this query into a subscription until it stops."""
        name = self.collection.name
        handle = self.observe_changes(
            lambda id_, fields: sub.added(name, id_, fields),
            lambda id_, fields, cleared: sub.changed(name, id_, fields, cleared),
            lambda id_: sub.removed(name, id_),
        )
        sub.on_stop(handle.stop)
