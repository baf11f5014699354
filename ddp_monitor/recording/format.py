"""The recording format: JSON Lines, a header, then frames and events in order.

Owns the conversion of a recorded item (a wiretap ``Frame`` or a client core
``Event``) to one line and back, and the header; imports the standard library,
``ddp`` values and ``recording.masking``. ``docs/recording-format.md`` is the
reference; this module is its one implementation, so writing and reading
cannot drift apart.

Every line after the header is ``{"t": seconds since the start, "k": kind,
...}``: ``"in"``/``"out"`` for a frame (``"frame"`` the message as a JSON
object; ``"text"`` or ``"binary"`` for one that is not JSON), an event's name
otherwise (``KINDS``). Values are EJSON (``{"$date": ms}``), as on the wire.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ddp_monitor import __version__
from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
    HandshakeCompleted,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
    PongReceived,
    ServerErrorReceived,
    StatusChanged,
    StubFailed,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.ejson import from_json_value, to_json_value
from ddp_monitor.ddp.errors import (
    ConnectionLost,
    DDPError,
    MethodError,
    SubscriptionError,
)
from ddp_monitor.recording.masking import (
    mask_document,
    mask_message,
    mask_params,
    mask_result,
    rules,
)
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = [
    "FORMAT",
    "FRAME_KINDS",
    "KINDS",
    "VERSION",
    "Header",
    "Item",
    "Recorded",
    "RecordingError",
    "header_line",
    "item_line",
    "parse_header",
    "parse_item",
]

FORMAT: Final = "ddp-monitor recording"
VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """A frame read back: ``inbound`` and its text (JSON re-encoded) or bytes."""

    inbound: bool
    data: str | bytes


Item = RecordedFrame | Event


@dataclass(frozen=True, slots=True)
class Recorded:
    """One line read back: ``t`` seconds since the start, its item, what was masked."""

    t: float
    item: Item
    masked: tuple[str, ...] = ()


class RecordingError(ValueError):
    """The file is not a recording this version can read; ``line`` is 1-based."""

    def __init__(self, why: str, line: int | None = None) -> None:
        self.why = why
        self.line = line
        super().__init__(why if line is None else f"line {line}: {why}")


@dataclass(frozen=True, slots=True)
class Header:
    """The first line: what was recorded, where, by which version, from when."""

    url: str
    started: datetime  # the wall time of t = 0, UTC
    profile: str | None = None
    ddp_monitor: str = __version__
    dropped: int = 0  # items the ring had let go before the first one here
    span: tuple[float, float] | None = None  # a saved part: [from, to] seconds
    extra: dict[str, Any] = field(default_factory=dict)  # other fields, kept


def header_line(header: Header) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "connection": {"url": header.url, "profile": header.profile},
        "ddp_monitor": header.ddp_monitor,
        "started": header.started.isoformat(timespec="milliseconds"),
        "dropped": header.dropped,
        "span": list(header.span) if header.span is not None else None,
        "masked": rules(),
        **header.extra,
    }


def parse_header(obj: Any) -> Header:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise RecordingError(f"not a {FORMAT} (its first line names no such format)", 1)
    version = obj.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise RecordingError(
            f"written in format version {version!r}; this ddp-monitor reads up to {VERSION}",
            1,
        )
    connection = obj.get("connection") or {}
    try:
        started = datetime.fromisoformat(str(obj["started"]))
    except (KeyError, ValueError) as exc:
        raise RecordingError(
            f"the header's start time is unreadable ({exc})", 1
        ) from None
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    span = obj.get("span")
    known = {
        "format",
        "version",
        "connection",
        "ddp_monitor",
        "started",
        "dropped",
        "span",
        "masked",
    }
    return Header(
        url=str(connection.get("url", "")),
        started=started,
        profile=connection.get("profile"),
        ddp_monitor=str(obj.get("ddp_monitor", "")),
        dropped=int(obj.get("dropped") or 0),
        span=(float(span[0]), float(span[1]))
        if isinstance(span, list) and len(span) == 2
        else None,
        extra={k: v for k, v in obj.items() if k not in known},
    )


# -- writing -------------------------------------------------------------------
def item_line(time: float, item: Item | Frame, origin: float = 0.0) -> dict[str, Any]:
    """The line of one recorded item (a wiretap ``Frame``, a ``RecordedFrame`` or an ``Event``).

    ``time`` is on the recorder's monotonic clock and ``origin`` its t = 0 there
    (a status's ``retryTime`` is moved to the same scale).
    """
    line: dict[str, Any] = {"t": round(time - origin, 6)}
    masked: list[str] = []
    if isinstance(item, Frame):
        line["k"] = "in" if item.direction is Direction.IN else "out"
        _frame_fields(line, item.data, masked)
    elif isinstance(item, RecordedFrame):
        line["k"] = "in" if item.inbound else "out"
        _frame_fields(line, item.data, masked)
    else:
        write = _WRITERS.get(type(item))
        if write is None:
            raise TypeError(f"not a recordable item: {item!r}")
        line["k"] = _KIND_OF[type(item)]
        write(line, item, masked)
        if "retryTime" in line:
            line["retryTime"] = round(line["retryTime"] - origin, 6)
    if masked:
        line["masked"] = masked
    return line


def _frame_fields(line: dict[str, Any], data: str | bytes, masked: list[str]) -> None:
    if isinstance(data, bytes):
        line["binary"] = data.hex()
        return
    try:
        message = json.loads(data)
    except ValueError:
        line["text"] = data
        return
    line["frame"] = (
        mask_message(message, masked) if isinstance(message, dict) else message
    )


def _error(error: BaseException | None) -> Any:
    if error is None:
        return None
    if isinstance(error, MethodError):
        return error.wire if error.wire is not None else error.to_wire()
    # Not from the server: ConnectionLost after close(), or a stub's exception.
    return {"local": type(error).__name__, "message": str(error)}


def _status(line: dict[str, Any], e: StatusChanged, _: list[str]) -> None:
    s = e.status
    line.update(status=str(s.status), connected=s.connected, retryCount=s.retry_count)
    if s.retry_time is not None:
        line["retryTime"] = s.retry_time  # item_line moves it to the file's clock
    if s.reason is not None:
        line["reason"] = s.reason


def _lost(line: dict[str, Any], e: TransportLost, _: list[str]) -> None:
    line.update(reason=e.reason, local=e.local)


def _handshake(line: dict[str, Any], e: HandshakeCompleted, _: list[str]) -> None:
    line.update(
        session=e.session,
        version=e.version,
        resumed=e.resumed,
        previous_session=e.previous_session,
        received_count=e.received_count,
    )


def _pong(line: dict[str, Any], e: PongReceived, _: list[str]) -> None:
    line.update(id=e.ping_id, round_trip=e.round_trip)


def _bad(line: dict[str, Any], e: BadMessageReceived, _: list[str]) -> None:
    line.update(text=e.text, reason=e.reason)


def _server_error(line: dict[str, Any], e: ServerErrorReceived, _: list[str]) -> None:
    line.update(reason=e.reason, offending=e.offending_message)


def _called(line: dict[str, Any], e: MethodCalled, masked: list[str]) -> None:
    params = mask_params(e.name, to_json_value(e.params), masked)
    line.update(
        id=e.method_id, name=e.name, params=params, wait=e.wait, noRetry=e.no_retry
    )


def _sent(line: dict[str, Any], e: MethodSent, masked: list[str]) -> None:
    params = mask_params(e.name, to_json_value(e.params), masked)
    line.update(id=e.method_id, name=e.name, params=params)


def _answer(
    line: dict[str, Any], e: MethodResultReceived | MethodCompleted, masked: list[str]
) -> None:
    line["id"] = e.method_id
    if e.error is not None:
        line["error"] = _error(e.error)
    else:
        line["result"] = mask_result(to_json_value(e.result), masked)


def _stub_failed(line: dict[str, Any], e: StubFailed, _: list[str]) -> None:
    line.update(id=e.method_id, name=e.name, error=_error(e.error))


def _sub(line: dict[str, Any], e: SubscriptionRequested, _: list[str]) -> None:
    line.update(id=e.sub_id, name=e.name, params=to_json_value(e.params))


def _ready(line: dict[str, Any], e: SubscriptionReady, _: list[str]) -> None:
    line["id"] = e.sub_id


def _stopped(line: dict[str, Any], e: SubscriptionStopped, _: list[str]) -> None:
    line.update(id=e.sub_id, error=_error(e.error))


def _added(line: dict[str, Any], e: DocumentAdded, masked: list[str]) -> None:
    fields = mask_document(e.collection, to_json_value(e.fields), masked)
    line.update(collection=e.collection, id=e.id, fields=fields)


def _changed(line: dict[str, Any], e: DocumentChanged, masked: list[str]) -> None:
    fields = mask_document(e.collection, to_json_value(e.fields), masked)
    line.update(collection=e.collection, id=e.id, fields=fields, cleared=e.cleared)


def _removed(line: dict[str, Any], e: DocumentRemoved, _: list[str]) -> None:
    line.update(collection=e.collection, id=e.id)


def _moved(line: dict[str, Any], e: DocumentMoved, _: list[str]) -> None:
    line.update(collection=e.collection, id=e.id, before=e.before)


_Writer = Callable[[dict[str, Any], Any, list[str]], None]
_WRITERS: dict[type, _Writer] = {
    StatusChanged: _status,
    TransportLost: _lost,
    HandshakeCompleted: _handshake,
    PongReceived: _pong,
    BadMessageReceived: _bad,
    ServerErrorReceived: _server_error,
    MethodCalled: _called,
    MethodSent: _sent,
    MethodResultReceived: _answer,
    MethodCompleted: _answer,
    StubFailed: _stub_failed,
    SubscriptionRequested: _sub,
    SubscriptionReady: _ready,
    SubscriptionStopped: _stopped,
    DocumentAdded: _added,
    DocumentChanged: _changed,
    DocumentRemoved: _removed,
    DocumentMoved: _moved,
}
_KIND_OF: dict[type, str] = {
    StatusChanged: "status",
    TransportLost: "lost",
    HandshakeCompleted: "connected",
    PongReceived: "pong",
    BadMessageReceived: "bad_frame",
    ServerErrorReceived: "server_error",
    MethodCalled: "method_called",
    MethodSent: "method_sent",
    MethodResultReceived: "method_result",
    MethodCompleted: "method_completed",
    StubFailed: "stub_failed",
    SubscriptionRequested: "sub_requested",
    SubscriptionReady: "sub_ready",
    SubscriptionStopped: "sub_stopped",
    DocumentAdded: "doc_added",
    DocumentChanged: "doc_changed",
    DocumentRemoved: "doc_removed",
    DocumentMoved: "doc_moved",
}
#: Frame kinds, then every event kind, in the order docs/recording-format.md lists them.
FRAME_KINDS: Final = ("in", "out")
KINDS: Final = (*FRAME_KINDS, *_KIND_OF.values())


# -- reading -------------------------------------------------------------------
def _read_error(value: Any, cls: type[MethodError] = MethodError) -> DDPError | None:
    if value is None:
        return None
    if isinstance(value, dict) and "local" in value:
        return ConnectionLost(str(value.get("message", "")))
    return cls.from_wire(value)


def _read_status(o: dict[str, Any]) -> StatusChanged:
    retry = o.get("retryTime")
    return StatusChanged(
        Status(
            ConnectionStatus(o["status"]),
            bool(o["connected"]),
            int(o.get("retryCount", 0)),
            float(retry) if retry is not None else None,
            o.get("reason"),
        )
    )


def _read_answer(
    cls: type[MethodResultReceived] | type[MethodCompleted],
) -> Callable[[dict[str, Any]], Event]:
    def read(o: dict[str, Any]) -> Event:
        error = _read_error(o.get("error"))
        result = from_json_value(o.get("result"))
        if cls is MethodResultReceived:
            assert error is None or isinstance(error, MethodError)
            return MethodResultReceived(o["id"], result, error)
        return MethodCompleted(o["id"], result, error)

    return read


def _read_stub_failed(o: dict[str, Any]) -> StubFailed:
    error = o.get("error") or {}
    return StubFailed(
        o.get("id"), o["name"], RuntimeError(str(error.get("message", error)))
    )


def _read_stopped(o: dict[str, Any]) -> SubscriptionStopped:
    error = _read_error(o.get("error"), SubscriptionError)
    return SubscriptionStopped(
        o["id"], error if isinstance(error, SubscriptionError) else None
    )


_READERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "status": _read_status,
    "lost": lambda o: TransportLost(o.get("reason"), bool(o.get("local", False))),
    "connected": lambda o: HandshakeCompleted(
        o["session"],
        o["version"],
        bool(o.get("resumed", False)),
        o.get("previous_session"),
        int(o.get("received_count", 0)),
    ),
    "pong": lambda o: PongReceived(str(o.get("id", "")), float(o["round_trip"])),
    "bad_frame": lambda o: BadMessageReceived(str(o["text"]), str(o["reason"])),
    "server_error": lambda o: ServerErrorReceived(str(o["reason"]), o.get("offending")),
    "method_called": lambda o: MethodCalled(
        o["id"],
        o["name"],
        from_json_value(o.get("params", [])),
        bool(o.get("wait", False)),
        bool(o.get("noRetry", False)),
    ),
    "method_sent": lambda o: MethodSent(
        o["id"], o["name"], from_json_value(o.get("params", []))
    ),
    "method_result": _read_answer(MethodResultReceived),
    "method_completed": _read_answer(MethodCompleted),
    "stub_failed": _read_stub_failed,
    "sub_requested": lambda o: SubscriptionRequested(
        o["id"], o["name"], from_json_value(o.get("params", []))
    ),
    "sub_ready": lambda o: SubscriptionReady(o["id"]),
    "sub_stopped": _read_stopped,
    "doc_added": lambda o: DocumentAdded(
        o["collection"], o["id"], from_json_value(o.get("fields") or {})
    ),
    "doc_changed": lambda o: DocumentChanged(
        o["collection"],
        o["id"],
        from_json_value(o.get("fields") or {}),
        list(o.get("cleared") or []),
    ),
    "doc_removed": lambda o: DocumentRemoved(o["collection"], o["id"]),
    "doc_moved": lambda o: DocumentMoved(o["collection"], o["id"], o.get("before")),
}


def parse_item(
    obj: Any, line: int | None = None, text: str | None = None
) -> Recorded | None:
    """One line's object back to a ``Recorded``; None for a kind this version does not know.

    A later version may add kinds: they are skipped, not refused (the format
    only ever adds). A known kind with missing or wrong fields is an error.
    ``text``, the line itself, lets a frame written as this module writes it
    keep its own text instead of being encoded again (the slowest part of
    reading a big recording).
    """
    if not isinstance(obj, dict):
        raise RecordingError("a line is not a JSON object", line)
    try:
        t = float(obj["t"])
        kind = obj["k"]
        if kind in FRAME_KINDS:
            item: Item = RecordedFrame(kind == "in", _frame_data(obj, text))
        else:
            reader = _READERS.get(kind)
            if reader is None:
                return None
            item = reader(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(
            f"a {obj.get('k', 'line')!r} line is incomplete ({exc!r})", line
        ) from None
    return Recorded(t, item, tuple(obj.get("masked", ())))


#: How ``item_line`` starts a frame's line; what follows, up to the line's
#: last brace, is the frame's JSON when the line holds nothing else.
_FRAME_LINE = re.compile(r'\{"t":[-+.0-9eE]+,"k":"(?:in|out)","frame":')


def _frame_data(obj: dict[str, Any], text: str | None = None) -> str | bytes:
    if text is not None and len(obj) == 3 and "frame" in obj:
        start = _FRAME_LINE.match(text)
        if start is not None and text.endswith("}"):
            return text[start.end() : -1]
    if "frame" in obj:
        return json.dumps(obj["frame"], ensure_ascii=False, separators=(",", ":"))
    if "binary" in obj:
        return bytes.fromhex(obj["binary"])
    return str(obj["text"])
