"""Subscriptions: name, parameters, id, state, time to ready and documents.

Owns ``SubscriptionModel`` and ``SubscriptionRecord``; imports QtCore/QtGui,
``ddp.client.events`` and ``qt.cell_text.short_json``. DDP does not say which
subscription sent a document (Meteor's merge box shares documents), so the
document count is the documents added or removed in the collections a
subscription was fed while it waited for ``ready`` (a publication's initial
documents all come before its ``ready``, ``ddp-server/livedata_server.js``).
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
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)
from ddp_monitor.qt.cell_text import short_json
from ddp_monitor.qt.table_model import Column, RowTableModel

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
    documents: int = 0
    collections: set[str] = field(default_factory=set)
    reason: str | None = None


def _state(record: SubscriptionRecord) -> str:
    if record.state is SubscriptionState.ERROR and record.reason:
        return f"error: {record.reason}"
    if record.state is SubscriptionState.WAITING and record.documents:
        return f"waiting ({record.documents:,} so far)"
    return record.state.value


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

_COUNTING = (SubscriptionState.WAITING, SubscriptionState.READY)

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
        lambda r: f"{r.documents:,}",
        tip="documents in the collections this subscription fed before ready",
        key=lambda r: r.documents,
    ),
]


_SUBSCRIPTION_EVENTS = frozenset(
    {
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
            if isinstance(event, SubscriptionRequested):
                if event.sub_id not in self._records:
                    self._add(
                        event.sub_id,
                        SubscriptionRecord(event.sub_id, event.name, event.params, at),
                    )
            elif isinstance(event, DocumentAdded | DocumentRemoved):
                step = 1 if isinstance(event, DocumentAdded) else -1
                for sub in self._records.values():
                    if sub.state is SubscriptionState.WAITING and step > 0:
                        sub.collections.add(event.collection)
                    elif event.collection not in sub.collections:
                        continue
                    if sub.state in _COUNTING:
                        sub.documents = max(sub.documents + step, 0)
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
                        record.state = SubscriptionState.STOPPED
                    touched.add(record.sub_id)
        self._touched(touched)
        self.counts_changed.emit()
