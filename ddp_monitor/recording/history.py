"""One document's history: every change it went through, the frame that caused it, when.

Owns ``document_history``, ``HistoryReader`` (the same, fed a piece at a time,
so a live view reads only what is new), ``DocumentChange`` and
``DocumentHistory``, and ``RecordingItems`` (a read-back recording read as a
live ring is); imports the standard library, ``ddp.client.events``, the
wiretap's ``Frame``, ``recording.format`` and ``recording.recorder``. Issue 16.

Items are ``(time, item)`` pairs in the order they happened: a live
``Recorder``'s ring or a read-back ``Recording`` (``pairs``), frames and the
client's events alike, so the live window and a recording show the same
history. The changes are the client store's own events (``DocumentAdded``,
``DocumentChanged``, ``DocumentRemoved``, ``DocumentMoved``), so they hold
what no frame says: the writes of a client stub and the store's
reconciliation after a reconnect.

The frame of a change is the nearest ``in`` frame naming that collection and
id since the document's previous change (Meteor buffers data frames while a
method's writes are pending or after a reconnect, so the frame can come a
few frames before its change; older unclaimed frames of the same document
changed nothing). A change with no such frame says why there can be none.
The document's value before and after each change is rebuilt by replaying
its changes; when the kept items start after the document was added (the
ring let older items go) the values hold only the fields seen since, and the
change says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    HandshakeCompleted,
)
from ddp_monitor.recording.format import Item, Recorded, RecordedFrame
from ddp_monitor.recording.recorder import Recording
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = [
    "NO_FRAME",
    "RESET",
    "DocumentChange",
    "DocumentHistory",
    "HistoryReader",
    "RecordingItems",
    "document_history",
    "pairs",
]

#: Why a change has no frame, in words.
NO_FRAME: Final = (
    "no frame names it: a client stub's write, or the stub's write undone "
    "when the server's own data came"
)
RESET: Final = (
    "no frame names it: the store's reconciliation after a reconnect (the "
    "new session did not send it again)"
)

#: DDP messages that name one document.
_DOCUMENT_MESSAGES: Final = frozenset(
    {"added", "changed", "removed", "addedBefore", "movedBefore"}
)


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """One change. ``before``/``after`` are the document's fields (None: absent).

    ``whole`` is False when the history started after the document was added:
    then ``before`` and ``after`` hold only the fields seen since.
    """

    at: float
    kind: str  # added, changed, removed, moved
    fields: dict[str, Any]  # set, with their new values
    cleared: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    frame: str | None  # the in frame's text that caused it
    frame_at: float | None
    why_no_frame: str | None = None
    moved_before: str | None = None  # for a move: the id it now precedes (None: last)
    whole: bool = True

    @property
    def touched(self) -> tuple[str, ...]:
        """The fields this change set or cleared."""
        return (*self.fields, *self.cleared)


@dataclass(slots=True)
class DocumentHistory:
    """Every kept change of one document; ``starts_at`` is set when older items were let go."""

    collection: str
    id: str
    changes: list[DocumentChange] = field(default_factory=list)
    starts_at: float | None = (
        None  # the first kept item's time, when items were dropped
    )


class HistoryReader:
    """Reads one document's history from items fed in order (``feed``, any number of times)."""

    def __init__(self, collection: str, id_: str, *, dropped: int = 0) -> None:
        self.history = DocumentHistory(collection, id_)
        self._dropped = dropped
        # Cheap tests before a frame is parsed: its text must hold both, quoted.
        self._quoted_id = json.dumps(id_, ensure_ascii=False)
        self._quoted_collection = json.dumps(collection, ensure_ascii=False)
        self._state: dict[str, Any] | None = None
        self._whole = False  # _state is the whole document (its add was kept)
        self._seen = False  # any item at all
        self._frame: tuple[float, str, str] | None = None  # (at, text, msg)
        self._frame_used = False
        self._reset = False  # a new session since the last change

    def feed(self, items: Iterable[tuple[float, Item | Frame]]) -> list[DocumentChange]:
        """Read more items; returns the changes they added.

        The loop is the cost of choosing a document (every kept item, 200,000
        in a full ring): one type test per item, and a frame is parsed only
        when its text holds the quoted id and collection.
        """
        history = self.history
        first_change = len(history.changes)
        collection, id_ = history.collection, history.id
        quoted_id, quoted_collection = self._quoted_id, self._quoted_collection
        inbound = Direction.IN
        for at, item in items:
            if not self._seen:
                self._seen = True
                if self._dropped:
                    history.starts_at = at
            if type(item) is Frame:
                data = item.data
                if (
                    item.direction is inbound
                    and type(data) is str
                    and quoted_id in data
                    and quoted_collection in data
                ):
                    self._frame_seen(at, data)
            elif isinstance(item, _DOCUMENT_EVENTS):
                if item.id == id_ and item.collection == collection:
                    history.changes.append(self._change(at, item))
            elif type(item) is RecordedFrame:
                data = item.data
                if (
                    item.inbound
                    and type(data) is str
                    and quoted_id in data
                    and quoted_collection in data
                ):
                    self._frame_seen(at, data)
            elif type(item) is HandshakeCompleted:
                self._reset = self._reset or not item.resumed
        return history.changes[first_change:]

    def _frame_seen(self, at: float, data: str) -> None:
        """An in frame whose text names the document: is it a message about it?"""
        try:
            message = json.loads(data)
        except ValueError:
            return
        if (
            isinstance(message, dict)
            and message.get("msg") in _DOCUMENT_MESSAGES
            and message.get("id") == self.history.id
            and message.get("collection") == self.history.collection
        ):
            self._frame = (at, data, str(message["msg"]))
            self._frame_used = False

    def _change(
        self,
        at: float,
        event: DocumentAdded | DocumentChanged | DocumentRemoved | DocumentMoved,
    ) -> DocumentChange:
        frame = self._frame
        # addedBefore makes two changes (added, then moved) of one frame.
        second_of_one = isinstance(event, DocumentMoved) and (
            frame is not None and frame[2] == "addedBefore"
        )
        if self._frame_used and not second_of_one:
            frame = None
        why = None if frame is not None else (RESET if self._reset else NO_FRAME)
        self._frame_used = True
        self._reset = False
        before = self._state
        fields: dict[str, Any] = {}
        cleared: tuple[str, ...] = ()
        moved_before = None
        if isinstance(event, DocumentAdded):
            fields = dict(event.fields)
            self._state = dict(event.fields)
            self._whole = True
        elif isinstance(event, DocumentChanged):
            if before is None and not self._whole:
                before = {}  # its add was let go: only the fields seen since
            fields = dict(event.fields)
            cleared = tuple(event.cleared)
            after = dict(before or {})
            after.update(event.fields)
            for name in event.cleared:
                after.pop(name, None)
            self._state = after
        elif isinstance(event, DocumentRemoved):
            self._state = None
        else:
            moved_before = event.before
        whole = self._whole
        if isinstance(event, DocumentRemoved):
            self._whole = True  # from here on the document's life is all seen
        return DocumentChange(
            at=at,
            kind=_KIND[type(event)],
            fields=fields,
            cleared=cleared,
            before=before,
            after=self._state,
            frame=frame[1] if frame is not None else None,
            frame_at=frame[0] if frame is not None else None,
            why_no_frame=why,
            moved_before=moved_before,
            whole=whole or isinstance(event, DocumentAdded),
        )


_DOCUMENT_EVENTS: Final = (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    DocumentMoved,
)
_KIND: Final[dict[type, str]] = {
    DocumentAdded: "added",
    DocumentChanged: "changed",
    DocumentRemoved: "removed",
    DocumentMoved: "moved",
}


def document_history(
    items: Iterable[tuple[float, Item | Frame]],
    collection: str,
    id_: str,
    *,
    dropped: int = 0,
) -> DocumentHistory:
    """Every kept change of ``collection``/``id_`` in ``items`` (``dropped``: items let go before)."""
    reader = HistoryReader(collection, id_, dropped=dropped)
    reader.feed(items)
    return reader.history


def pairs(items: Iterable[Recorded]) -> Iterable[tuple[float, Item]]:
    """A read-back recording's items as ``(t, item)`` pairs, as the live ring holds them."""
    return ((recorded.t, recorded.item) for recorded in items)


class RecordingItems:
    """A read-back ``Recording`` as a history's source, as a live ``Recorder`` is one.

    The same reading surface: ``since(total)``, ``total``, ``dropped`` (what
    the ring had let go before the file began), ``origin`` (t = 0) and
    ``started`` (its wall time).
    """

    def __init__(self, recording: Recording) -> None:
        self._items = recording.items
        self.dropped = recording.header.dropped
        self.origin = 0.0
        self.started: datetime = recording.header.started

    @property
    def total(self) -> int:
        return self.dropped + len(self._items)

    def since(self, total: int) -> list[tuple[float, Item]]:
        return list(pairs(self._items[max(total - self.dropped, 0) :]))
