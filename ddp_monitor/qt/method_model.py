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
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.qt.cell_text import duration_text, short_json
from ddp_monitor.qt.table_model import Column, RowTableModel, TableState

__all__ = ["MethodQueueModel", "MethodRecord", "MethodState", "timing_notes"]


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
    wait: bool = False
    no_retry: bool = False
    #: the whole error as the server sent it (details, errorType, isClientSafe)
    error_object: dict[str, Any] | None = None
    result_at: float | None = None
    #: earlier calls still unanswered when this one was (last) sent
    sent_behind: tuple[str, ...] = ()
    offline_waits: int = 0  # times it went back to the queue with the link


def _clock(at: float | None) -> str:
    return "-" if at is None else time.strftime("%H:%M:%S", time.localtime(at))


def _took(record: MethodRecord) -> str:
    if record.sent_at is None or record.done_at is None:
        return "-"
    return duration_text(record.done_at - record.sent_at)


def _took_key(record: MethodRecord) -> float:
    # Unfinished calls (-1) sort before the fastest finished one.
    if record.sent_at is None or record.done_at is None:
        return -1.0
    return record.done_at - record.sent_at


def _id_key(record: MethodRecord) -> float | str:
    # This client numbers its calls 1, 2, 3... (livedata_connection.js
    # _nextMethodId): "10" must sort after "9".
    return int(record.method_id) if record.method_id.isdigit() else record.method_id


def _error_object(error: Exception) -> dict[str, Any]:
    """The error as the server sent it, or as Meteor would write ours (ConnectionLost...)."""
    if isinstance(error, MethodError):
        return error.wire if error.wire is not None else error.to_wire()
    return {"error": type(error).__name__, "reason": str(error)}


def _made_before(one: MethodRecord, other: MethodRecord) -> bool:
    first, second = _id_key(one), _id_key(other)
    return type(first) is type(second) and first < second  # type: ignore[operator]


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
        # Calls queued or sent, in the order they were made: what a send is
        # behind. Looking through every call at each send cost O(calls) a
        # send (a 1,000,000-item recording with 10,000 calls: ~20 s to read).
        self._waiting: dict[str, MethodRecord] = {}

    @property
    def queued(self) -> int:
        """Calls waiting for a connection (the tab title shows it)."""
        return sum(1 for r in self._waiting.values() if r.state is MethodState.QUEUED)

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
                    made = MethodRecord(
                        event.method_id,
                        event.name,
                        event.params,
                        MethodState.QUEUED,
                        now,
                        wait=event.wait,
                        no_retry=event.no_retry,
                    )
                    self._add(event.method_id, made)
                    self._waiting[event.method_id] = made
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
                self._waiting.setdefault(event.method_id, record)
                record.sent_behind = tuple(
                    other.method_id
                    for other in self._waiting.values()
                    if _made_before(other, record)
                )
            elif isinstance(event, MethodResultReceived | MethodCompleted):
                record = self.row(event.method_id)
                if record is None:
                    continue
                if record.result_at is None and isinstance(event, MethodResultReceived):
                    record.result_at = now
                if event.error is not None:
                    record.state = MethodState.FAILED
                    record.error = str(event.error)
                    record.error_object = _error_object(event.error)
                    record.done_at = now
                elif isinstance(event, MethodCompleted):
                    record.state = MethodState.UPDATED
                    record.result = event.result
                    record.done_at = now
                elif record.state is not MethodState.UPDATED:
                    record.state = MethodState.RESULT
                    record.result = event.result
                self._waiting.pop(event.method_id, None)  # answered
            else:
                continue
            touched.add(event.method_id)
        self._touched(touched)
        self.counts_changed.emit()

    def replay(
        self,
        events: Sequence[Event],
        times: Sequence[float],
        start: TableState[MethodRecord] | None = None,
    ) -> None:
        """The calls as at ``start`` (None: none), then ``events``, shown as one reset.

        A recording's cursor moved: the calls as they stood at that moment.
        """
        self._rebuild(lambda: self.apply_events(events, times), start)

    def _restore_extra(self, extra: object) -> None:
        waiting = (MethodState.SENT, MethodState.QUEUED)
        self._waiting = {k: r for k, r in self._records.items() if r.state in waiting}

    def _requeue(self) -> set[str]:
        """Sent calls without a result go back to the queue (Meteor re-sends them)."""
        touched = set()
        for record in self._waiting.values():
            if record.state is MethodState.SENT:
                record.state = MethodState.QUEUED
                record.offline_waits += 1
                touched.add(record.method_id)
        return touched


def timing_notes(record: MethodRecord, name_of: dict[str, str]) -> list[str]:
    """Where Meteor's rules explain a call's timing, in words (``name_of``: id -> method)."""
    notes = []
    if record.wait:
        notes.append(
            "A wait call: Meteor sends it alone, once every earlier call is done, "
            "and holds later calls until it is."
        )
    if record.no_retry:
        notes.append(
            "noRetry: if the connection drops before its result, it fails "
            "(invocation-failed) instead of being sent again."
        )
    if record.offline_waits:
        again = "sent again" if record.sends > 1 else "sent"
        notes.append(
            f"The connection went while it had no result: queued, then {again} at "
            "the reconnect (Meteor re-sends calls without a result)."
        )
    elif record.sent_at is not None and record.sent_at - record.called_at > 0.5:
        waited = record.sent_at - record.called_at
        notes.append(
            f"Sent {waited:.1f} s after it was made: offline meanwhile, or held "
            "behind a wait call."
        )
    if record.sent_behind and record.result_at is not None:
        first = record.sent_behind[0]
        notes.append(
            f"Sent while call {first} ('{name_of.get(first, '?')}') had no result: "
            "Meteor's server runs one client's methods one at a time, in order "
            "(unless a method calls this.unblock()), so this answer waited for it."
        )
    if record.state is MethodState.RESULT:
        notes.append(
            "The result is in; Meteor calls back once `updated` says the server's "
            "writes are visible (after a reconnect that can take a while)."
        )
    elif (
        record.result_at is not None
        and record.done_at is not None
        and record.done_at - record.result_at >= 0.05
    ):
        ms = (record.done_at - record.result_at) * 1000
        notes.append(
            f"The callback came {ms:,.0f} ms after the result: it waited for "
            "`updated` (the server's writes visible)."
        )
    return notes
