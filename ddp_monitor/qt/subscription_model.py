"""Subscriptions: name, parameters, id, state, time to ready and documents.

Owns ``SubscriptionModel``; imports QtGui, ``ddp.client.events``,
``recording.subscriptions`` (what the events say of each subscription, and
what can be known of its documents, shared with the per-name figures) and
``qt.cell_text.short_json``. ``SubscriptionRecord`` and ``SubscriptionState``
are re-exported from there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QColor

from ddp_monitor.ddp.client.events import Event
from ddp_monitor.qt.cell_text import duration_text, short_json
from ddp_monitor.qt.ordered_table import DISPLAY, TOOLTIP
from ddp_monitor.qt.table_model import Column, Index, RowTableModel, TableState
from ddp_monitor.recording.subscriptions import (
    DOCUMENT_EVENTS,
    EVENTS,
    SubscriptionLife,
    SubscriptionRecord,
    SubscriptionState,
)

__all__ = ["SubscriptionModel", "SubscriptionRecord", "SubscriptionState"]


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
        lambda r: duration_text(r.ready_after),
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


class SubscriptionModel(RowTableModel[SubscriptionRecord]):
    """Subscriptions in the order they were made."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_COLUMNS, parent)
        self._life = SubscriptionLife()

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
        life, records = self._life, self._records
        stamps = times or [time.monotonic()] * len(events)
        for event, at in zip(events, stamps, strict=True):
            kind = type(event)
            if kind not in EVENTS:
                continue  # changed documents pass through here: one test each
            if kind in DOCUMENT_EVENTS:
                if life.waiting:  # a flood after every ready: nothing to count
                    touched |= life.apply(event, at)
                continue
            moved = life.apply(event, at)
            fresh = [(k, life.records[k]) for k in moved if k not in records]
            if fresh:
                self._add_many(fresh)
            touched |= moved
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
        return self._life.connected

    def _restore_extra(self, extra: object) -> None:
        # Its own dict: the model adds a record as a row when its life has it
        # and the model does not yet.
        self._life.restore(dict(self._records), bool(extra))
