"""The History view's table: every change of the selected document, read from the recorder.

Owns ``HistoryModel`` and ``HistorySource`` (what it reads: a live
``Recorder``, or ``recording.history.RecordingItems`` for a recording opened
in the window); imports QtCore/QtGui, ``recording.history`` and the table parts
in ``qt``. Choosing a document reads the kept items once
(``recording.history.HistoryReader``); after that ``follow`` reads only what
was recorded since, so a document that ticks costs its new items, not the
whole ring (issue 16).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from PySide6.QtCore import Signal

from ddp_monitor.qt.cell_text import PREVIEW
from ddp_monitor.qt.ordered_table import DISPLAY, TOOLTIP, Index
from ddp_monitor.qt.table_model import Column, RowTableModel
from ddp_monitor.recording.history import DocumentChange, HistoryReader

__all__ = ["FRAME_COLUMN", "HistoryModel", "HistorySource"]

#: The column of the frame that caused a change (its tooltip: the whole frame, or why none).
FRAME_COLUMN = 3


class HistorySource(Protocol):
    """Recorded items in order, read from a place that stays put (``Recorder`` has this)."""

    @property
    def dropped(self) -> int: ...

    @property
    def origin(self) -> float: ...

    @property
    def started(self) -> datetime: ...

    @property
    def total(self) -> int: ...

    def since(self, total: int) -> Sequence[tuple[float, Any]]: ...


def _fields(change: DocumentChange) -> str:
    if change.kind == "moved":
        return f"before {change.moved_before}" if change.moved_before else "to the end"
    cleared = [f"\u2212{name}" for name in change.cleared]  # minus: cleared
    return ", ".join([*change.fields, *cleared]) or "-"


def _frame(change: DocumentChange) -> str:
    frame = change.frame
    if frame is None:
        return "none"
    return frame if len(frame) <= PREVIEW else frame[:PREVIEW] + "\u2026"


class HistoryModel(RowTableModel[DocumentChange]):
    """The changes of one document, oldest first (keys are their positions).

    Signals:
        document_changed(): another document (or none) is shown.
    """

    document_changed = Signal()

    def __init__(self, source: HistorySource, parent: Any = None) -> None:
        super().__init__(
            [
                Column[DocumentChange](
                    "time",
                    lambda c: self.clock(c),
                    key=lambda c: c.at,
                    tip="when the store changed",
                ),
                Column[DocumentChange]("change", lambda c: c.kind),
                Column[DocumentChange](
                    "fields", _fields, tip="fields set, and \u2212 cleared"
                ),
                Column[DocumentChange](
                    "frame",
                    _frame,
                    tip="the frame from the server that caused it (none: a client "
                    "stub, or the store's reconciliation after a reconnect)",
                ),
            ],
            parent,
        )
        self.source = source
        self.collection: str | None = None
        self.document_id: str | None = None
        self._reader: HistoryReader | None = None
        self._read = 0  # the source's total when last read

    # -- reading ---------------------------------------------------------------------
    def clock(self, change: DocumentChange | float) -> str:
        """A change's (or a time's) local wall-clock time, to the millisecond."""
        at = change.at if isinstance(change, DocumentChange) else change
        wall = self.source.started + timedelta(seconds=at - self.source.origin)
        return wall.astimezone().strftime("%H:%M:%S.%f")[:-3]

    def change(self, row: int) -> DocumentChange:
        return self.record(row)

    @property
    def starts_at(self) -> float | None:
        """Set when the kept items begin after the connection did (older ones let go)."""
        reader = self._reader
        return reader.history.starts_at if reader is not None else None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == TOOLTIP and index.isValid() and index.column() == FRAME_COLUMN:
            change = self.record(index.row())
            return change.frame or change.why_no_frame
        return super().data(index, role)

    # -- feeding ---------------------------------------------------------------------
    def show_document(self, collection: str | None, id_: str | None) -> None:
        """Read every kept change of this document (None: show nothing)."""
        self._clear()
        self.collection, self.document_id = collection, id_
        self._reader = None
        if collection is not None and id_ is not None:
            source = self.source
            self._reader = HistoryReader(collection, id_, dropped=source.dropped)
            self._read = source.total
            self._append(self._reader.feed(source.since(0)))
        self.document_changed.emit()

    def follow(self) -> None:
        """Read what was recorded since the last read (the shown document changed)."""
        if self._reader is None:
            return
        source = self.source
        since, self._read = self._read, source.total
        self._append(self._reader.feed(source.since(since)))

    def _append(self, changes: list[DocumentChange]) -> None:
        first = len(self._records)
        self._add_many([(str(at), c) for at, c in enumerate(changes, first)])
