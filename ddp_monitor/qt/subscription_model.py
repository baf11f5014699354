"""Subscriptions: name, parameters, id, state, time to ready and documents.

Owns ``SubscriptionModel`` and ``SubscriptionRecord``; imports QtCore/QtGui,
``ddp.client.events`` and ``qt.cell_text.short_json``. DDP does not say which
subscription sent a document (Meteor's merge box shares documents), so only
what can be known is shown (issue 13 item 2): the documents that arrived
while a subscription waited for ``ready`` *alone* (a publication's initial
documents all come before its ``ready``, ``ddp-server/livedata_server.js``),
and the collections documents arrived in while it waited. When several
subscriptions waited at once there is no count, only those collections; a
stopped subscription's count is gone with its documents.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtGui import QColor

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentRemoved,
    Event,
    StatusChanged,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)
from ddp_monitor.qt.cell_text import short_json
from ddp_monitor.qt.ordered_table import DISPLAY, TOOLTIP
from ddp_monitor.qt.table_model import Column, Index, RowTableModel, TableState

__all__ = ["SubscriptionModel", "SubscriptionRecord", "SubscriptionState"]


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


def _state(record: SubscriptionRecord) -> str:
    if record.state is SubscriptionState.ERROR and record.reason:
        return f"error: {record.reason}"
    if record.state is SubscriptionState.READY and not record.live:
        return "ready (offline: not live)"
    if record.state is SubscriptionState.WAITING and record.documents:
        if record.alone:
            return f"waiting ({record.documents:,} so far)"
        return "waiting (documents coming)"
    return record.state.value


def _docs(record: SubscriptionRecord) -> str:
    known = record.known_documents
    if known is not None:
        return f"{known:,}"
    if record.state is SubscriptionState.READY:
        return "?"  # shared: see the tooltip and the collections
    return ""


def _docs_tip(record: SubscriptionRecord) -> str:
    if record.state is SubscriptionState.READY and not record.alone:
        return (
            "Other subscriptions waited for ready at the same time, and DDP does "
            "not say which one sent a document: no count is shown. Documents "
            "arrived in: " + (", ".join(sorted(record.collections)) or "none")
        )
    return "documents that arrived while this subscription alone waited for ready"


def _ready(record: SubscriptionRecord) -> str:
    if record.ready_after is None:
        return "-"
    ms = record.ready_after * 1000
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


_COLOURS = {
    SubscriptionState.WAITING: QColor("#c98500"),
    SubscriptionState.READY: QColor("#2e9d4f"),
    SubscriptionState.ERROR: QColor("#d2383f"),
    SubscriptionState.STOPPED: QColor("#7a7f87"),
}


_COLUMNS: list[Column[SubscriptionRecord]] = [
    Column("name", lambda r: r.name),
    Column("params", lambda r: short_json(list(r.params))),
    Column("id", lambda r: r.sub_id),
    Column("state", _state, colour=lambda r: _COLOURS[r.state]),
    Column(
        "time to ready",
        _ready,
        key=lambda r: -1.0 if r.ready_after is None else r.ready_after,
    ),
    Column(
        "docs",
        _docs,
        tip="documents that arrived while this subscription alone waited for "
        "ready (DDP does not say which subscription sent a document; ? when "
        "several waited at once)",
        key=lambda r: -1 if r.known_documents is None else r.known_documents,
    ),
    Column(
        "collections",
        lambda r: ", ".join(sorted(r.collections)),
        tip="collections documents arrived in while it waited for ready",
    ),
]


DOCS_COLUMN = next(n for n, c in enumerate(_COLUMNS) if c.header == "docs")

_SUBSCRIPTION_EVENTS = frozenset(
    {
        StatusChanged,
        SubscriptionRequested,
        DocumentAdded,
        DocumentRemoved,
        SubscriptionReady,
        SubscriptionStopped,
    }
)


class SubscriptionModel(RowTableModel[SubscriptionRecord]):
    """Subscriptions in the order they were made."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_COLUMNS, parent)
        self._connected = False  # a `sub` goes out only on a live connection

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == TOOLTIP and index.isValid() and index.column() == DOCS_COLUMN:
            return _docs_tip(self.record(index.row()))
        return super().data(index, role)

    @property
    def ready(self) -> int:
        return sum(
            1 for r in self._records.values() if r.state is SubscriptionState.READY
        )

    @property
    def live(self) -> int:
        """Subscriptions not stopped or failed (the tab title shows it)."""
        return sum(
            1
            for r in self._records.values()
            if r.state in (SubscriptionState.WAITING, SubscriptionState.READY)
        )

    def apply_events(
        self, events: Sequence[Event], times: Sequence[float] | None = None
    ) -> None:
        """Follow subscribe/ready/nosub/stop and count each subscription's documents.

        ``times`` are the monotonic times the events happened (default: now).
        """
        touched: set[str] = set()
        stamps = times or [time.monotonic()] * len(events)
        for event, at in zip(events, stamps, strict=True):
            if type(event) not in _SUBSCRIPTION_EVENTS:
                continue  # changed documents pass through here: one test each
            if isinstance(event, StatusChanged):
                touched |= self._follow_status(event, at)
            elif isinstance(event, SubscriptionRequested):
                if event.sub_id not in self._records:
                    self._add(
                        event.sub_id,
                        SubscriptionRecord(
                            event.sub_id,
                            event.name,
                            event.params,
                            at,
                            live=self._connected,
                        ),
                    )
            elif isinstance(event, DocumentAdded | DocumentRemoved):
                waiting = [
                    sub
                    for sub in self._records.values()
                    if sub.state is SubscriptionState.WAITING
                ]
                step = 1 if isinstance(event, DocumentAdded) else -1
                for sub in waiting:
                    sub.collections.add(event.collection)
                    sub.documents = max(sub.documents + step, 0)
                    sub.alone = sub.alone and len(waiting) == 1
                    touched.add(sub.sub_id)
            elif isinstance(event, SubscriptionReady):
                record = self.row(event.sub_id)
                if record is not None and record.state is SubscriptionState.WAITING:
                    record.state = SubscriptionState.READY
                    record.ready_after = at - record.started_at
                    touched.add(record.sub_id)
            elif isinstance(event, SubscriptionStopped):
                record = self.row(event.sub_id)
                if record is not None:
                    if event.error is not None:
                        # A failed subscription's documents are taken back
                        # before its nosub (livedata_server.js _stopSubscription:
                        # _removeAllDocuments, then nosub with the error), so
                        # what arrived while it waited was another's.
                        record.state = SubscriptionState.ERROR
                        record.reason = event.error.reason or str(event.error)
                        record.documents = 0
                        record.collections.clear()
                    else:
                        # Its documents went with it (or stay for another
                        # subscription): its count says nothing any more.
                        record.state = SubscriptionState.STOPPED
                    touched.add(record.sub_id)
        self._touched(touched)
        self.counts_changed.emit()

    def replay(
        self,
        events: Sequence[Event],
        times: Sequence[float],
        start: TableState[SubscriptionRecord] | None = None,
    ) -> None:
        """The subscriptions as at ``start`` (None: none), then ``events``, as one reset.

        A recording's cursor moved: the subscriptions as they stood at that moment.
        """
        self._rebuild(lambda: self.apply_events(events, times), start)

    def _copy_record(self, record: SubscriptionRecord) -> SubscriptionRecord:
        twin = super()._copy_record(record)
        twin.collections = set(record.collections)
        return twin

    def _extra_state(self) -> object:
        return self._connected

    def _restore_extra(self, extra: object) -> None:
        self._connected = bool(extra)

    def _follow_status(self, event: StatusChanged, at: float) -> set[str]:
        """Offline, ready data is not live; a sub made offline is timed from its send."""
        connected = event.status.connected
        if connected == self._connected:
            return set()
        self._connected = connected
        touched = set()
        for record in self._records.values():
            if (
                connected
                and not record.live
                and record.state is SubscriptionState.WAITING
            ):
                record.started_at = at  # its `sub` goes out now (LC onReset)
            record.live = connected
            touched.add(record.sub_id)
        return touched
