"""Each subscription's life as the client's events tell it: state, time to ready, documents.

Owns ``SubscriptionLife``, ``SubscriptionRecord`` and ``SubscriptionState``;
imports the standard library and ``ddp.client.events``. The one place that
reads subscriptions out of the events, for the live table
(``qt.subscription_model``) and the per-name figures (``recording.figures``),
live or from a recording alike.

DDP does not say which subscription sent a document (Meteor's merge box
shares documents), so only what can be known is kept (issue 13 item 2): the
documents that arrived while a subscription waited for ``ready`` *alone* (a
publication's initial documents all come before its ``ready``,
``ddp-server/livedata_server.js``), and the collections documents arrived in
while it waited. When several subscriptions waited at once there is no
count, only those collections; a stopped subscription's count is gone with
its documents. Times are the caller's (monotonic seconds); a subscription
made offline is timed from the connect that sends its ``sub``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any, Final

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentRemoved,
    Event,
    StatusChanged,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)

__all__ = [
    "DOCUMENT_EVENTS",
    "EVENTS",
    "SubscriptionLife",
    "SubscriptionRecord",
    "SubscriptionState",
]


class SubscriptionState(enum.StrEnum):
    WAITING = "waiting"
    READY = "ready"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(slots=True)
class SubscriptionRecord:
    """One subscription; times are monotonic seconds (only differences are shown)."""

    sub_id: str
    name: str
    params: Sequence[Any]
    started_at: float
    state: SubscriptionState = SubscriptionState.WAITING
    ready_after: float | None = None
    #: documents added (less removed) while it waited for ready
    documents: int = 0
    #: no other subscription waited meanwhile: the count is this one's
    alone: bool = True
    collections: set[str] = field(default_factory=set)
    reason: str | None = None
    #: the connection is up: a ready subscription's data follows the server
    live: bool = True

    @property
    def known_documents(self) -> int | None:
        """Its initial documents, when that can be known (None: it cannot)."""
        if self.state is SubscriptionState.READY and self.alone:
            return self.documents
        if self.state is SubscriptionState.WAITING and self.alone:
            return self.documents
        return None


#: The document events: they count only for a subscription waiting for ready.
DOCUMENT_EVENTS: Final = frozenset({DocumentAdded, DocumentRemoved})
#: The events that move a subscription; every other kind passes by one test.
EVENTS: Final = frozenset(
    {
        StatusChanged,
        SubscriptionRequested,
        DocumentAdded,
        DocumentRemoved,
        SubscriptionReady,
        SubscriptionStopped,
    }
)


_NONE: Final[frozenset[str]] = frozenset()


class SubscriptionLife:
    """Subscriptions by id, in the order they were made, moved on by ``apply``."""

    def __init__(self) -> None:
        self.records: dict[str, SubscriptionRecord] = {}
        # The ones waiting for ready, kept apart: a document counts only for
        # them, and in a flood of 100,000 documents after every ready there
        # are none to look for (a scan of every record per document was 7 us).
        self._waiting: dict[str, SubscriptionRecord] = {}
        self._connected = False  # a `sub` goes out only on a live connection

    @property
    def waiting(self) -> bool:
        """Some subscription waits for ready (documents count for it)."""
        return bool(self._waiting)

    @property
    def connected(self) -> bool:
        """The connection is up (a ``sub`` goes out at once)."""
        return self._connected

    def restore(self, records: dict[str, SubscriptionRecord], connected: bool) -> None:
        """Go on from ``records`` (an earlier moment's, copied) and that connection state."""
        self.records = records
        self._waiting = {
            k: r for k, r in records.items() if r.state is SubscriptionState.WAITING
        }
        self._connected = connected

    def apply(self, event: Event, at: float) -> Set[str]:
        """Follow one event that happened at ``at``; the ids of the records it moved.

        The ids are good until the next call (read them, or copy them).
        A ``SubscriptionReady`` or ``SubscriptionStopped`` names its id only
        when it changed the state (a second ``ready`` after a reconnect does not).
        """
        if type(event) not in EVENTS:
            return _NONE
        if isinstance(event, DocumentAdded | DocumentRemoved):
            return self._count(event) if self._waiting else _NONE
        if isinstance(event, StatusChanged):
            return self._follow_status(event, at)
        if isinstance(event, SubscriptionRequested):
            if event.sub_id in self.records:
                return _NONE
            made = SubscriptionRecord(
                event.sub_id, event.name, event.params, at, live=self._connected
            )
            self.records[event.sub_id] = self._waiting[event.sub_id] = made
            return {event.sub_id}
        if not isinstance(event, SubscriptionReady | SubscriptionStopped):
            return _NONE
        record = self.records.get(event.sub_id)
        if record is None:
            return _NONE
        self._waiting.pop(event.sub_id, None)
        if isinstance(event, SubscriptionReady):
            if record.state is not SubscriptionState.WAITING:
                return _NONE
            record.state = SubscriptionState.READY
            record.ready_after = at - record.started_at
        elif event.error is not None:
            # A failed subscription's documents are taken back before its
            # nosub (livedata_server.js _stopSubscription:
            # _removeAllDocuments, then nosub with the error), so what
            # arrived while it waited was another's.
            record.state = SubscriptionState.ERROR
            record.reason = event.error.reason or str(event.error)
            record.documents = 0
            record.collections.clear()
        else:
            # Its documents went with it (or stay for another
            # subscription): its count says nothing any more.
            record.state = SubscriptionState.STOPPED
        return {record.sub_id}

    def _count(self, event: DocumentAdded | DocumentRemoved) -> Set[str]:
        # Per document of a flood: no list or set made, the ids as a view.
        waiting = self._waiting
        step = 1 if type(event) is DocumentAdded else -1
        alone = len(waiting) == 1
        collection = event.collection
        for sub in waiting.values():
            sub.collections.add(collection)
            documents = sub.documents + step
            sub.documents = documents if documents > 0 else 0
            if not alone:
                sub.alone = False
        return waiting.keys()

    def _follow_status(self, event: StatusChanged, at: float) -> Set[str]:
        """Offline, ready data is not live; a sub made offline is timed from its send."""
        connected = event.status.connected
        if connected == self._connected:
            return _NONE
        self._connected = connected
        for record in self.records.values():
            if (
                connected
                and not record.live
                and record.state is SubscriptionState.WAITING
            ):
                record.started_at = at  # its `sub` goes out now (LC onReset)
            record.live = connected
        return set(self.records)
