"""Recording a live connection: a bounded ring in memory, and a file stream.

Owns ``Recorder``, ``RecordingWriter``, ``Reader`` (a few lines at a time),
``load``, ``read`` and ``read_header``; imports the
standard library, ``recording.format`` and the transport's listener values.
The recorder listens to a ``DDPClient``'s core events and its wiretap and
keeps ``(time, item)`` pairs: no encoding on the hot path (an append to a
deque), the JSON is made when a span is saved. Document events carry the
store's own field dicts, which the store never mutates (it replaces them on a
change), so keeping the reference keeps the value of that moment.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from ddp_monitor.ddp.client.events import Event
from ddp_monitor.recording.format import (
    Header,
    Item,
    Recorded,
    RecordingError,
    header_line,
    item_line,
    parse_header,
    parse_item,
)
from ddp_monitor.transport.wiretap import Frame

__all__ = [
    "DEFAULT_LIMIT",
    "Reader",
    "Recorder",
    "Recording",
    "RecordingWriter",
    "load",
    "read",
    "read_header",
    "save_items",
    "spanned",
]

#: Items the ring keeps per connection (frames and events; ~25-60 MB at most).
DEFAULT_LIMIT = 200_000


class Recordable(Protocol):
    """What can be recorded: ``DDPClient`` (its events and its wiretap)."""

    wiretap: Any

    def add_listener(self, listener: Callable[[Event], None]) -> Callable[[], None]: ...


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class RecordingWriter:
    """Writes a recording as it happens (``watch --record``): a header, then lines.

    Lines are buffered by the file object and flushed every ``flush_every``
    items and at ``close``, so a crash loses at most that many.
    """

    def __init__(
        self, out: IO[str], header: Header, origin: float, *, flush_every: int = 256
    ) -> None:
        self._out = out
        self._origin = origin
        self._flush_every = flush_every
        self._pending = 0
        self.written = 0
        out.write(_dumps(header_line(header)) + "\n")
        out.flush()

    @classmethod
    def open(cls, path: Path, header: Header, origin: float) -> RecordingWriter:
        return cls(path.open("w", encoding="utf-8"), header, origin)

    def write(self, when: float, item: Item | Frame | Event) -> None:
        self._out.write(_dumps(item_line(when, item, self._origin)) + "\n")
        self.written += 1
        self._pending += 1
        if self._pending >= self._flush_every:
            self._out.flush()
            self._pending = 0

    def close(self) -> None:
        self._out.close()


class Recorder:
    """Everything one connection did, bounded to the last ``limit`` items.

    ``attach(client)`` starts listening; the function it returns stops. With a
    ``writer`` every item also goes to that file at once.
    """

    def __init__(
        self,
        url: str,
        *,
        profile: str | None = None,
        limit: int = DEFAULT_LIMIT,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        writer: RecordingWriter | None = None,
    ) -> None:
        self.url = url
        self.profile = profile
        self._clock = clock
        self.origin = clock()  # t = 0 on the monotonic clock ...
        self.started = wall()  # ... and on the wall clock
        self._items: deque[tuple[float, Item | Frame | Event]] = deque(maxlen=limit)
        self.dropped = 0
        self.writer = writer

    def header(self, **extra: Any) -> Header:
        return Header(
            url=self.url,
            started=self.started,
            profile=self.profile,
            dropped=self.dropped,
            extra=extra,
        )

    def attach(self, client: Recordable) -> Callable[[], None]:
        remove_events = client.add_listener(self.event)
        remove_frames = client.wiretap.add(self.frame)

        def detach() -> None:
            remove_events()
            remove_frames()

        return detach

    def event(self, event: Event) -> None:
        self._add(self._clock(), event)

    def event_at(self, when: float, event: Event) -> None:
        """An event at a known time (the frame that caused it)."""
        self._add(when, event)

    def frame(self, frame: Frame) -> None:
        self._add(frame.time, frame)

    def _add(self, when: float, item: Item | Frame | Event) -> None:
        items = self._items
        if len(items) == items.maxlen and items.maxlen:  # 0: no ring, a writer only
            self.dropped += 1
        items.append((when, item))
        if self.writer is not None:
            self.writer.write(when, item)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total(self) -> int:
        """Items ever recorded (kept and let go): a reader's place that stays put."""
        return self.dropped + len(self._items)

    def since(self, total: int) -> list[tuple[float, Item | Frame | Event]]:
        """The kept items recorded after the first ``total`` (a reader that has those)."""
        skip = max(total - self.dropped, 0)
        items = self._items
        if skip >= len(items):
            return []
        return list(itertools.islice(items, skip, None))

    @property
    def duration(self) -> float:
        return self._items[-1][0] - self.origin if self._items else 0.0

    def items(
        self, start: float | None = None, end: float | None = None
    ) -> Iterator[tuple[float, Item | Frame | Event]]:
        """Kept items, optionally those with ``start <= t <= end`` (seconds since the start)."""
        lo = -float("inf") if start is None else self.origin + start
        hi = float("inf") if end is None else self.origin + end
        return ((w, i) for w, i in list(self._items) if lo <= w <= hi)

    def save(
        self, path: Path, start: float | None = None, end: float | None = None
    ) -> int:
        """Write the kept items (or a span of them) to ``path``; returns how many."""
        header = spanned(self.header(), start, end, self.duration)
        return save_items(path, header, self.origin, self.items(start, end))


def spanned(
    header: Header, start: float | None, end: float | None, duration: float
) -> Header:
    """``header`` of a file that holds ``start`` to ``end`` only (None, None: all)."""
    if start is None and end is None:
        return header
    return replace(header, span=(start or 0.0, end if end is not None else duration))


def save_items(
    path: Path,
    header: Header,
    origin: float,
    items: Iterable[tuple[float, Item | Frame | Event]],
) -> int:
    """Write a recording: ``header``, then ``items`` (time on ``origin``'s clock, item).

    Written to a temporary file first and moved into place, so a failed
    save never leaves half a file under the chosen name (nor the temporary
    one). Returns how many items were written.
    """
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8") as out:
            writer = RecordingWriter(out, header, origin, flush_every=1 << 30)
            for when, item in items:
                writer.write(when, item)
            count = writer.written
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)  # a full disk keeps no half file either
        raise
    return count


@dataclass
class Recording:
    """A recording read back: its header and every item, in order."""

    header: Header
    items: list[Recorded]
    skipped: int = 0  # lines of kinds this version does not know

    @property
    def duration(self) -> float:
        return self.items[-1].t if self.items else 0.0

    def wall(self, t: float) -> datetime:
        return self.header.started + timedelta(seconds=t)


class Reader:
    """A recording read a few lines at a time (the window keeps painting meanwhile).

    ``feed(lines)`` parses the next lines and returns their items; the header
    is the first line that is not blank. ``RecordingError`` says which line is
    wrong and why; ``finish()`` refuses a file with no header.
    """

    def __init__(self) -> None:
        self.header: Header | None = None
        self.line = 0  # lines read so far
        self.skipped = 0  # lines of kinds this version does not know

    def feed(
        self, lines: Iterable[str], items: list[Recorded] | None = None
    ) -> list[Recorded]:
        """The items of ``lines``, appended to ``items`` (a new list when None).

        On a bad line ``items`` keeps every item before it.
        """
        if items is None:
            items = []
        number = self.line
        for number, text in enumerate(lines, start=self.line + 1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                if self.header is None:
                    raise RecordingError(
                        "not a recording: the first line is not JSON", number
                    ) from None
                raise RecordingError(f"not JSON ({exc})", number) from None
            if self.header is None:
                try:
                    self.header = parse_header(obj)
                except RecordingError as exc:  # the header may follow blank lines
                    raise RecordingError(exc.why, number) from None
                continue
            recorded = parse_item(obj, number, text.rstrip("\r\n"))
            if recorded is None:
                self.skipped += 1
            else:
                items.append(recorded)
        self.line = number
        return items

    def finish(self) -> Header:
        """The header, once every line was fed (``RecordingError`` if there was none)."""
        if self.header is None:
            raise RecordingError("the file is empty")
        return self.header


def read(lines: Iterable[str]) -> Recording:
    """Parse a recording's lines; ``RecordingError`` says which line is wrong and why."""
    reader = Reader()
    items = reader.feed(lines)
    return Recording(reader.finish(), items, reader.skipped)


def read_header(path: Path) -> Header:
    """The header of a recording file, read alone (the command line checks it).

    Raises:
        RecordingError: not a recording this version reads (the line and why).
        OSError: the file cannot be read.
    """
    reader = Reader()
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                reader.feed([line])
                if reader.header is not None:
                    break
    except UnicodeDecodeError:
        raise RecordingError("not a recording: the file is not UTF-8 text") from None
    return reader.finish()


def load(path: Path) -> Recording:
    """Read a recording file (``OSError`` when it cannot be opened)."""
    with path.open(encoding="utf-8") as lines:
        try:
            return read(lines)
        except UnicodeDecodeError:
            raise RecordingError(
                "not a recording: the file is not UTF-8 text"
            ) from None
