"""Client-side method stubs and the snapshots that undo their writes.

Owns ``MethodInvocation`` (what a stub receives), its write API on the local
collections, and ``ServerDocuments`` (``livedata_connection.js``
``_serverDocuments`` / ``_documentsWrittenByStub``, docs/meteor-ddp.md section 5.4):
before a stub first writes a document its server version is kept; incoming
data for that document then updates only the snapshot; on ``updated`` for the
last method whose stub wrote it, the snapshot replaces the document (or
removes it). Imports ``ddp.errors``, ``ddp.ids`` and ``ddp.client.store``.

Differences from Meteor, on purpose: the write API is a small
insert/update($set, $unset)/remove, not minimongo; an ``insert`` without an id
draws a ``new_id()`` (and asks for the random seed, so the seed goes out as in
Meteor) but not from the seed's Alea stream, so the server's id differs and
the stub's document is replaced at ``updated``. Where Meteor throws on data
it cannot match to a snapshot ("Server sent add for existing id"), the
browser-store tolerance rules are applied to the snapshot instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ddp_monitor.ddp.client.store import Document, Store
from ddp_monitor.ddp.errors import MethodError

__all__ = ["MethodInvocation", "ServerDocuments", "StubCollection"]

Key = tuple[str, str]


class StubCollection:
    """A stub's writes to one local collection; each one is undone later."""

    def __init__(self, invocation: MethodInvocation, name: str) -> None:
        self._invocation = invocation
        self._name = name

    def find_one(self, id_: str) -> Document | None:
        return self._invocation.store.get(self._name, id_)

    def insert(self, fields: Mapping[str, Any], id_: str | None = None) -> str:
        if id_ is None:
            self._invocation.random_seed()  # Meteor's ids come from the seed
            id_ = self._invocation.new_id()
        if self.find_one(id_) is not None:
            raise MethodError(409, f"Duplicate key {id_!r} in {self._name!r}")
        self._invocation.touch(self._name, id_)
        self._invocation.store.added(self._name, id_, dict(fields))
        return id_

    def update(
        self,
        id_: str,
        fields: Mapping[str, Any] | None = None,
        unset: Iterable[str] = (),
    ) -> int:
        """``$set`` / ``$unset`` on one document; returns how many matched."""
        if self.find_one(id_) is None:
            return 0
        self._invocation.touch(self._name, id_)
        self._invocation.store.changed(self._name, id_, dict(fields or {}), list(unset))
        return 1

    def remove(self, id_: str) -> int:
        if self.find_one(id_) is None:
            return 0
        self._invocation.touch(self._name, id_)
        self._invocation.store.removed(self._name, id_)
        return 1


class MethodInvocation:
    """``this`` inside a stub: ``is_simulation``, ``random_seed()``, writes.

    ``apply``/``call`` inside a stub run only the nested stub and send
    nothing (Meteor's ``alreadyInSimulation``).
    """

    is_simulation = True

    def __init__(
        self,
        name: str,
        store: Store,
        *,
        new_id: Callable[[], str],
        new_seed: Callable[[], str],
        apply: Callable[[str, list[Any]], Any],
    ) -> None:
        self.name = name
        self.store = store
        self.new_id = new_id
        self._new_seed = new_seed
        self._apply = apply
        self.seed: str | None = None
        #: server versions of the documents this stub wrote, first write wins
        self.originals: dict[Key, Document | None] = {}

    def unblock(self) -> None:
        """Meteor's ``this.unblock()`` in a simulation: nothing to unblock."""

    def random_seed(self) -> str:
        """Created on first use only; only then is ``randomSeed`` sent."""
        if self.seed is None:
            self.seed = self._new_seed()
        return self.seed

    def collection(self, name: str) -> StubCollection:
        return StubCollection(self, name)

    def touch(self, name: str, id_: str) -> None:
        # Documents are never mutated in place, so a reference is a snapshot.
        self.originals.setdefault((name, id_), self.store.get(name, id_))

    def apply(self, name: str, params: list[Any]) -> Any:
        return self._apply(name, params)

    def call(self, name: str, *params: Any) -> Any:
        return self._apply(name, list(params))


@dataclass(slots=True)
class ServerDoc:
    document: Document | None
    written_by_stubs: set[str]
    flush_callbacks: list[Callable[[], None]] = field(default_factory=list)


class ServerDocuments:
    """The server's version of every document a pending stub wrote."""

    def __init__(self) -> None:
        self.docs: dict[Key, ServerDoc] = {}
        self.written_by_stub: dict[str, list[Key]] = {}

    def store_originals(
        self, method_id: str, originals: dict[Key, Document | None]
    ) -> None:
        """``_retrieveAndStoreOriginals`` after a stub ran."""
        if not originals:
            return
        for key, document in originals.items():
            doc = self.docs.get(key)
            if doc is None:
                self.docs[key] = ServerDoc(document, {method_id})
            else:
                doc.written_by_stubs.add(method_id)
        self.written_by_stub[method_id] = list(originals)

    def added(self, key: Key, fields: Document) -> bool:
        """Data for a stub-written doc updates the snapshot only (True then)."""
        doc = self.docs.get(key)
        if doc is None:
            return False
        doc.document = fields if doc.document is None else {**doc.document, **fields}
        return True

    def changed(self, key: Key, fields: Document, cleared: list[str]) -> bool:
        doc = self.docs.get(key)
        if doc is None:
            return False
        new = {**(doc.document or {}), **fields}
        for name in cleared:
            new.pop(name, None)
        doc.document = new
        return True

    def removed(self, key: Key) -> bool:
        doc = self.docs.get(key)
        if doc is None:
            return False
        doc.document = None
        return True

    def updated(self, method_id: str, store: Store) -> None:
        """``_process_updated``: replace every doc no stub holds any more."""
        for key in self.written_by_stub.pop(method_id, []):
            doc = self.docs.get(key)
            if doc is None:
                continue
            doc.written_by_stubs.discard(method_id)
            if not doc.written_by_stubs:
                store.replace(key[0], key[1], doc.document)
                del self.docs[key]
                for callback in doc.flush_callbacks:
                    callback()

    def forget(self, method_id: str, store: Store) -> None:
        """A call that never went out (its stub threw): undo its writes now.

        Meteor keeps the snapshots of such a call forever, so the documents
        would never take server data again; undoing at once avoids that.
        """
        self.updated(method_id, store)

    def run_when_flushed(
        self,
        f: Callable[[], None],
        was_sent: Callable[[str], bool],
        after_update: list[Callable[[], None]],
    ) -> None:
        """``_runWhenAllServerDocsAreFlushed``: ``f`` after the next update,
        once every doc written by a stub of a sent method is flushed."""
        waiting = [
            doc
            for doc in self.docs.values()
            if any(was_sent(m) for m in doc.written_by_stubs)
        ]
        if not waiting:
            after_update.append(f)
            return
        left = [len(waiting)]

        def flushed() -> None:
            left[0] -= 1
            if left[0] == 0:
                after_update.append(f)

        for doc in waiting:
            doc.flush_callbacks.append(flushed)

    def reset(self) -> None:
        """A new session: the stores are reset, stub effects forgotten."""
        self.docs.clear()
        self.written_by_stub.clear()
