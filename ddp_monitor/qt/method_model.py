"""The method queue: every call with its state, timing and result or error.

Owns ``MethodQueueModel`` and the ``MethodRecord`` it keeps per call; imports
QtGui, ``ddp.client.events``, ``qt.cell_text`` and ``qt.table_model``. States follow Meteor's method
life (``livedata_connection.js`` MethodInvoker): queued while offline, sent,
result received, data updated (``updated`` came too: the callback fires), or
failed. A sent call whose connection drops goes back to queued: Meteor sends
it again on reconnect (``_sendOutstandingMethods``).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

from ddp_monitor.ddp.client.events import (
    Event,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
    StatusChanged,
)
from ddp_monitor.qt.cell_text import short_json
from ddp_monitor.qt.table_model import Column, RowTableModel

__all__ = ["MethodQueueModel", "MethodRecord", "MethodState"]


class MethodState(enum.StrEnum):
    QUEUED = "queued (offline)"
    SENT = "sent"
    RESULT = "result received"
    UPDATED = "data updated"
    FAILED = "failed"


@dataclass(slots=True)
class MethodRecord:
    """One call; times are ``time.time()`` wall seconds for display."""

    method_id: str
    name: str
    params: Sequence[Any]
    state: MethodState
    called_at: float
    sent_at: float | None = None
    done_at: float | None = None
    result: Any = None
    error: str | None = None
    sends: int = 0


def _clock(at: float | None) -> str:
    return "-" if at is None else time.strftime("%H:%M:%S", time.localtime(at))


def _took(record: MethodRecord) -> str:
    if record.sent_at is None or record.done_at is None:
        return "-"
    ms = (record.done_at - record.sent_at) * 1000
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _took_key(record: MethodRecord) -> float:
    # Unfinished calls (-1) sort before the fastest finished one.
    if record.sent_at is None or record.done_at is None:
        return -1.0
    return record.done_at - record.sent_at


def _id_key(record: MethodRecord) -> float | str:
    # This client numbers its calls 1, 2, 3... (livedata_connection.js
    # _nextMethodId): "10" must sort after "9".
    return int(record.method_id) if record.method_id.isdigit() else record.method_id


def _outcome(record: MethodRecord) -> str:
    if record.error is not None:
        return record.error
    if record.state in (MethodState.RESULT, MethodState.UPDATED):
        return short_json(record.result)
    return "-"


_STATE_COLOURS = {
    MethodState.QUEUED: QColor("#c98500"),
    MethodState.SENT: QColor("#2f7fd8"),
    MethodState.RESULT: QColor("#2f7fd8"),
    MethodState.UPDATED: QColor("#2e9d4f"),
    MethodState.FAILED: QColor("#d2383f"),
}

_COLUMNS: list[Column[MethodRecord]] = [
    Column("id", lambda r: r.method_id, key=_id_key),
    Column("method", lambda r: r.name),
    Column("params", lambda r: short_json(list(r.params))),
    Column(
        "state",
        lambda r: (
            r.state.value if r.sends <= 1 else f"{r.state.value} (sent {r.sends}x)"
        ),
        tip="queued (offline) / sent / result received / data updated / failed",
        colour=lambda r: _STATE_COLOURS[r.state],
    ),
    Column(
        "sent",
        lambda r: _clock(r.sent_at),
        key=lambda r: -1.0 if r.sent_at is None else r.sent_at,
    ),
    Column("took", _took, tip="from the last send to the callback", key=_took_key),
    Column(
        "result / error",
        _outcome,
        colour=lambda r: _STATE_COLOURS[MethodState.FAILED] if r.error else None,
    ),
]


_METHOD_EVENTS = frozenset(
    {MethodCalled, StatusChanged, MethodSent, MethodResultReceived, MethodCompleted}
)


class MethodQueueModel(RowTableModel[MethodRecord]):
    """Calls in the order they were made, newest last."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_COLUMNS, parent)

    @property
    def queued(self) -> int:
        """Calls waiting for a connection (the tab title shows it)."""
        return sum(1 for r in self._records.values() if r.state is MethodState.QUEUED)

    def apply_events(
        self, events: Sequence[Event], times: Sequence[float] | None = None
    ) -> None:
        """Follow calls, sends, results and completions; a lost link re-queues sent calls.

        ``times`` are the monotonic times the events happened (default: now).
        """
        touched: set[str] = set()
        # Monotonic event times become wall times for display here, in one place.
        offset = time.time() - time.monotonic()
        stamps = times or [time.monotonic()] * len(events)
        for event, at in zip(events, stamps, strict=True):
            if type(event) not in _METHOD_EVENTS:
                continue  # a flood of documents passes through here: one test each
            now = at + offset
            if isinstance(event, MethodCalled):
                # Queued until its MethodSent, which follows at once when the
                # connection can take it.
                if event.method_id not in self._records:
                    self._add(
                        event.method_id,
                        MethodRecord(
                            event.method_id,
                            event.name,
                            event.params,
                            MethodState.QUEUED,
                            now,
                        ),
                    )
                continue
            if isinstance(event, StatusChanged):
                if not event.status.connected:
                    touched |= self._requeue()
                continue
            if isinstance(event, MethodSent):
                record = self.row(event.method_id)
                if record is None:  # called by code other than this window
                    record = MethodRecord(
                        event.method_id, event.name, event.params, MethodState.SENT, now
                    )
                    self._add(event.method_id, record)
                record.state = MethodState.SENT
                record.sent_at = now
                record.sends += 1
            elif isinstance(event, MethodResultReceived | MethodCompleted):
                record = self.row(event.method_id)
                if record is None:
                    continue
                if event.error is not None:
                    record.state = MethodState.FAILED
                    record.error = str(event.error)
                    record.done_at = now
                elif isinstance(event, MethodCompleted):
                    record.state = MethodState.UPDATED
                    record.result = event.result
                    record.done_at = now
                elif record.state is not MethodState.UPDATED:
                    record.state = MethodState.RESULT
                    record.result = event.result
            else:
                continue
            touched.add(event.method_id)
        self._touched(touched)
        self.counts_changed.emit()

    def _requeue(self) -> set[str]:
        """Sent calls without a result go back to the queue (Meteor re-sends them)."""
        touched = set()
        for record in self._records.values():
            if record.state is MethodState.SENT:
                record.state = MethodState.QUEUED
                touched.add(record.method_id)
        return touched
