"""The message log: every DDP frame that crossed the socket, bounded, filterable.

Owns ``MessageLogModel`` (a ``QAbstractTableModel`` over ``transport.wiretap.Frame``
values) and the JSON Lines export; imports QtCore/QtGui and the frame value.
Memory is bounded: past ``limit`` frames the oldest drop and ``dropped`` counts
them. Rows are kept as plain tuples of atoms, which CPython's garbage collector
stops tracking: 50,000 kept frames then add nothing to a full collection's
pause (a full collection over tracked rows stalled the window ~40 ms). Filtering happens here rather than in a ``QSortFilterProxyModel`` so a
flush of thousands of frames costs one row insert, not a proxy remap.
A frame can carry a note (``annotate_last``): after a reconnect the
``connected`` row says whether the session was resumed or new. The
connection's own events (status changes, drops) are rows too, merged by time
with the frames (``append(frames, events)``), so the log and its export tell
the whole story in order.
"""

from __future__ import annotations

import bisect
import heapq
import json
import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from ddp_monitor.ddp.client.connection import PROBE_ID_PREFIX
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = [
    "DEFAULT_LIMIT",
    "EVENT_KINDS",
    "LogEntry",
    "LogEvent",
    "MessageLogModel",
    "frame_kind",
    "pretty",
]

#: Frames kept in memory; at ~300 bytes a frame this is about 15 MB.
DEFAULT_LIMIT = 50_000

COLUMNS = ("Time", "Dir", "Type", "Size", "Frame")
_PREVIEW = 300
# Meteor writes "msg" first, so the common case is a cheap prefix match.
_MSG_FIRST = re.compile(r'\s*\{\s*"msg"\s*:\s*"([^"\\]{1,40})"')
_Index = QModelIndex | QPersistentModelIndex
# The RTT probe's ping and its pong: traffic the monitor added.
_PROBE = re.compile(r'"id"\s*:\s*"' + PROBE_ID_PREFIX + r'\d+"')


#: The kinds of the connection's own events (never a DDP ``msg``).
EVENT_KINDS = frozenset({"status", "lost"})


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One of the connection's own events, for the log: when, kind, fields."""

    time: float
    kind: str  # in EVENT_KINDS
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A frame (or an event: ``event`` true, ``frame.data`` its JSON) with its place and type."""

    seq: int
    frame: Frame
    kind: str
    event: bool = False


# (seq, inbound, time, data, kind): a tuple of atoms, untracked by the GC.
# ``inbound`` is None for an event row.
_Row = tuple[int, bool | None, float, str | bytes, str]
_Unnumbered = tuple[bool | None, float, str | bytes, str]  # a row before its seq
_SEQ: Final = 0
_INBOUND: Final = 1
_TIME: Final = 2
_DATA: Final = 3
_KIND: Final = 4


def _entry(row: _Row) -> LogEntry:
    direction = Direction.IN if row[_INBOUND] else Direction.OUT
    frame = Frame(direction, row[_TIME], row[_DATA])
    return LogEntry(row[_SEQ], frame, row[_KIND], row[_INBOUND] is None)


def frame_kind(data: str | bytes) -> str:
    """The frame's ``msg`` (``added``, ``ping``...), ``server_id``, ``binary`` or ``invalid``."""
    if isinstance(data, bytes):
        return "binary"
    match = _MSG_FIRST.match(data)
    if match:
        return match.group(1)
    try:
        raw = json.loads(data)
    except ValueError:
        return "invalid"
    if isinstance(raw, dict):
        kind = raw.get("msg")
        if isinstance(kind, str):
            return kind
        if "server_id" in raw:
            return "server_id"
    return "invalid"


def pretty(data: str | bytes) -> str:
    """Indented JSON for the detail pane; text that is not JSON is shown as it is."""
    if isinstance(data, bytes):
        return f"<{len(data)} bytes binary frame>\n{data.hex(' ')}"
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except ValueError:
        return data


class MessageLogModel(QAbstractTableModel):
    """Frames in arrival order; ``append`` takes a whole flush at once.

    Signals:
        counts_changed(): ``total``, ``dropped`` or ``held`` changed.
    """

    counts_changed = Signal()

    def __init__(self, limit: int = DEFAULT_LIMIT, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: deque[_Row] = deque(maxlen=limit)
        self._rows: list[_Row] = []
        self._seq = 0
        self.limit = limit
        self.dropped = 0
        self.held = 0  # frames that arrived while paused
        self._paused = False
        self._kinds: frozenset[str] | None = None
        self._hidden: frozenset[str] = frozenset()
        self._text = ""
        self._bad: set[str | bytes] = set()
        self._notes: dict[int, tuple[str, str]] = {}  # seq -> (words, sentence)
        # Frames carry the monotonic clock; wall time is for people only.
        self._wall_offset = time.time() - time.monotonic()

    # -- feeding ------------------------------------------------------------
    def append(self, frames: Iterable[Frame], events: Sequence[LogEvent] = ()) -> None:
        """Add a batch of frames and events, merged by time (one model update)."""
        inbound = Direction.IN
        rows: list[_Unnumbered] = [
            (frame.direction is inbound, frame.time, frame.data, frame_kind(frame.data))
            for frame in frames
        ]
        if events:
            happened = [
                (None, e.time, json.dumps(e.fields, ensure_ascii=False), e.kind)
                for e in events
            ]
            rows = _merged(rows, happened)
        seq = self._seq
        new: list[_Row] = [(seq + at, *row) for at, row in enumerate(rows, start=1)]
        self._seq = seq + len(new)
        if not new:
            return
        overflow = len(self._all) + len(new) - self.limit
        if overflow > 0:
            self.dropped += overflow
        self._all.extend(new)
        if self._paused:
            self.held += len(new)
        else:
            self._trim_rows()
            self._insert([entry for entry in new if self._matches(entry)])
        self.counts_changed.emit()

    def mark_bad(self, data: str | bytes) -> None:
        """Show frames with this text in red (the core dropped them as bad)."""
        self._bad.add(data)

    def annotate_last(self, kind: str, words: str, detail: str) -> bool:
        """Note on the newest frame of ``kind``: ``words`` in its Type cell, ``detail`` in its tooltip.

        False when no such frame is held (nothing is noted).
        """
        for row in reversed(self._all):
            if row[_KIND] == kind:
                self._notes[row[_SEQ]] = (words, detail)
                at = bisect.bisect_left(self._rows, row[_SEQ], key=lambda r: r[_SEQ])
                if at < len(self._rows) and self._rows[at][_SEQ] == row[_SEQ]:
                    cell = self.index(at, 2)
                    self.dataChanged.emit(cell, cell)
                return True
        return False

    def note(self, entry: LogEntry) -> str | None:
        """The sentence noted on this frame, if any."""
        noted = self._notes.get(entry.seq)
        return noted[1] if noted else None

    def clear(self) -> None:
        """Forget every frame and reset the counters."""
        self.beginResetModel()
        self._all.clear()
        self._rows.clear()
        self._bad.clear()
        self._notes.clear()
        self.dropped = self.held = 0
        self.endResetModel()
        self.counts_changed.emit()

    def set_paused(self, paused: bool) -> None:
        """While paused the rows stay still; frames are kept and shown on resume."""
        if paused == self._paused:
            return
        self._paused = paused
        if not paused:
            self.held = 0
            self._rebuild()
        self.counts_changed.emit()

    @property
    def paused(self) -> bool:
        return self._paused

    def set_filter(
        self,
        kinds: Iterable[str] | None = None,
        text: str = "",
        hidden: Iterable[str] = (),
    ) -> None:
        """Show only rows of these types (None: all) but ``hidden`` ones, containing ``text`` (any case)."""
        self._kinds = None if kinds is None else frozenset(kinds)
        self._hidden = frozenset(hidden)
        self._text = text.casefold()
        self._rebuild()

    def answers(self, entry: LogEntry) -> list[LogEntry]:
        """A ``method`` frame's ``result`` and ``updated`` among the kept frames, in order."""
        if entry.kind != "method" or entry.event:
            return []
        try:
            method_id = json.loads(entry.frame.data).get("id")
        except (ValueError, AttributeError):
            return []
        found: list[LogEntry] = []
        start = bisect.bisect_right(self._all, entry.seq, key=lambda row: row[_SEQ])
        for at in range(start, len(self._all)):
            row = self._all[at]
            if row[_KIND] not in ("result", "updated") or not row[_INBOUND]:
                continue
            message = _fields(row[_DATA])
            if (row[_KIND] == "result" and message.get("id") == method_id) or (
                row[_KIND] == "updated" and method_id in (message.get("methods") or ())
            ):
                found.append(_entry(row))
                if len(found) == 2:
                    break
        return found

    # -- reading ------------------------------------------------------------
    @property
    def total(self) -> int:
        """Frames held in memory (shown or filtered out)."""
        return len(self._all)

    def kinds_seen(self) -> list[str]:
        return sorted({row[_KIND] for row in self._all})

    def entry(self, row: int) -> LogEntry:
        return _entry(self._rows[row])

    def visible_entries(self) -> Sequence[LogEntry]:
        return [_entry(row) for row in self._rows]

    def wall_time(self, entry: LogEntry) -> datetime:
        return self._wall(entry.frame.time)

    def _wall(self, monotonic: float) -> datetime:
        return datetime.fromtimestamp(monotonic + self._wall_offset, UTC)

    def export(self, path: Path, *, shown: bool = True) -> int:
        """Write the shown rows (or every kept one) as JSON Lines; returns how many.

        The first line says what the file holds: ``{"export": "ddp-monitor
        message log", "rows": "shown" | "all kept", "count", "kept",
        "filter"}``. Then, in order, a frame as ``{"time": ISO-8601 UTC,
        "direction": "in" | "out", "type": msg, "frame": the message}``
        (``"text"`` instead for one that is not JSON, ``"binary"`` as hex),
        with ``"note"`` when it has one; an event as ``{"time", "event": kind,
        ...its fields}``.
        """
        rows = self._rows if shown else list(self._all)
        header = {
            "export": "ddp-monitor message log",
            "rows": "shown" if shown else "all kept",
            "count": len(rows),
            "kept": len(self._all),
            "filter": {
                "types": None if self._kinds is None else sorted(self._kinds),
                "hidden": sorted(self._hidden),
                "text": self._text,
            }
            if shown
            else None,
        }
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for row in rows:
                out.write(json.dumps(self._line(row), ensure_ascii=False) + "\n")
        return len(rows)

    def _line(self, row: _Row) -> dict[str, Any]:
        data = row[_DATA]
        line: dict[str, Any] = {
            "time": self._wall(row[_TIME]).isoformat(timespec="milliseconds")
        }
        if row[_INBOUND] is None:
            return {**line, "event": row[_KIND], **_fields(data)}
        line["direction"] = "in" if row[_INBOUND] else "out"
        line["type"] = row[_KIND]
        if isinstance(data, bytes):
            line["binary"] = data.hex()
        else:
            try:
                line["frame"] = json.loads(data)
            except ValueError:
                line["text"] = data
        noted = self._notes.get(row[_SEQ])
        if noted is not None:
            line["note"] = noted[1]
        return line

    # -- Qt model -----------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row[_INBOUND] is None:
                return QColor("#7a7f87")  # the connection's own events
            if row[_DATA] in self._bad or row[_KIND] in ("invalid", "error"):
                return QColor("#d2383f")
            if column == 1:
                return QColor("#2e9d4f" if row[_INBOUND] else "#2f7fd8")
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return self._display(row, 4)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            noted = self._notes.get(row[_SEQ])
            return noted[1] if noted else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: _Row, column: int) -> str:
        data = row[_DATA]
        if column == 0:
            return self._wall(row[_TIME]).astimezone().strftime("%H:%M:%S.%f")[:-3]
        if column == 1:
            if row[_INBOUND] is None:
                return "\u2022 event"
            return "\u2190 in" if row[_INBOUND] else "out \u2192"
        if column == 2:
            kind = row[_KIND]
            if (
                kind in ("ping", "pong")
                and isinstance(data, str)
                and _PROBE.search(data)
            ):
                return f"{kind} · ddp-monitor's probe"
            noted = self._notes.get(row[_SEQ]) if self._notes else None
            return f"{kind} · {noted[0]}" if noted else kind
        if column == 3:
            return f"{len(data):,}"
        text = data if isinstance(data, str) else f"<{len(data)} bytes>"
        return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "\u2026"

    # -- internals ----------------------------------------------------------
    def _matches(self, row: _Row) -> bool:
        if self._kinds is not None and row[_KIND] not in self._kinds:
            return False
        if row[_KIND] in self._hidden:
            return False
        if not self._text:
            return True
        data = row[_DATA]
        text = data if isinstance(data, str) else data.hex()
        return self._text in text.casefold()

    def _trim_rows(self) -> None:
        """Drop shown rows whose frame fell out of the bounded buffer."""
        if not self._rows:
            return
        oldest = self._all[0][_SEQ] if self._all else self._seq + 1
        gone = bisect.bisect_left(self._rows, oldest, key=lambda row: row[_SEQ])
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            del self._rows[:gone]
            self.endRemoveRows()

    def _insert(self, entries: list[_Row]) -> None:
        if not entries:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._rows = [row for row in self._all if self._matches(row)]
        self.endResetModel()


_MERGE_BY_INSERTING = 64  # events among the frames, at most, to insert them one by one


def _merged(
    frames: list[_Unnumbered], events: Sequence[_Unnumbered]
) -> list[_Unnumbered]:
    """Frames and events (each in time order) in one time order; a frame first on a tie.

    A batch has few events among many frames (a recording's log: a handful
    among 50,000), so each is put in its place by bisection; a merge calls
    Python per row (a third of the time of making a recording's log again).
    """
    if len(events) > _MERGE_BY_INSERTING:
        return list(heapq.merge(frames, events, key=itemgetter(1)))
    places = [bisect.bisect_right(frames, e[1], key=itemgetter(1)) for e in events]
    for place, event in zip(reversed(places), reversed(events), strict=True):
        frames.insert(place, event)
    return frames


def _fields(data: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(data)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
