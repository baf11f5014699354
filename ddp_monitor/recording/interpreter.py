"""A connection seen only on the wire, told as the client's events: the proxy's recordings.

Owns ``FrameInterpreter`` and ``WireRecorder``; imports the client core's
``Store`` and event values, ``ddp.ejson`` and ``recording.recorder``. A
recording holds the client's own events (documents, calls, subscriptions)
beside its frames, and every reader rebuilds its panels from those events.
The proxy has no client core for the connections it relays, only their
frames, so this reads the frames as Meteor's client would: documents through
the client's own ``Store`` (the same merge rules as a live page), a call
``completed`` once both its ``result`` and its ``updated`` arrived, a
subscription stopped by ``nosub`` or by the client's ``unsub``.

What it cannot know, it does not invent: no stubs ran here, so no stub
writes; a client's reconnect is a new proxied connection, so a recording ends
with the connection (status ``failed``: that socket is over for good).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ddp_monitor.ddp.client.events import (
    Event,
    HandshakeCompleted,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
    ServerErrorReceived,
    StatusChanged,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.ejson import from_json_value
from ddp_monitor.ddp.errors import MethodError, SubscriptionError
from ddp_monitor.recording.recorder import Recorder
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["FrameInterpreter", "WireRecorder"]


class FrameInterpreter:
    """Frames in (``client_sent``, ``server_sent``), the client's events out (``emit``)."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self.store = Store(emit)
        self._version = "1"
        self._results: dict[str, tuple[Any, MethodError | None]] = {}
        self._updated: set[str] = set()  # ids whose data came before their result
        self._subs: set[str] = (
            set()
        )  # not yet stopped: the nosub after an unsub is no news

    def client_sent(self, text: str) -> None:
        message = _message(text)
        msg = message.get("msg")
        if msg == "connect":
            version = message.get("version")
            self._version = version if isinstance(version, str) else self._version
        elif msg == "method" and isinstance(message.get("id"), str):
            id_, name = message["id"], str(message.get("method"))
            params = from_json_value(message.get("params") or [])
            self._emit(MethodCalled(id_, name, params))
            self._emit(MethodSent(id_, name, params))
        elif msg == "sub" and isinstance(message.get("id"), str):
            params = from_json_value(message.get("params") or [])
            self._subs.add(message["id"])
            self._emit(
                SubscriptionRequested(message["id"], str(message.get("name")), params)
            )
        elif msg == "unsub" and message.get("id") in self._subs:
            self._subs.discard(message["id"])
            self._emit(SubscriptionStopped(message["id"], None))

    def server_sent(self, text: str) -> None:
        message = _message(text)
        msg = message.get("msg")
        handle = _SERVER.get(msg) if isinstance(msg, str) else None
        if handle is not None:
            handle(self, message)

    # -- the server's messages ---------------------------------------------------------
    def _connected(self, m: dict[str, Any]) -> None:
        self._emit(HandshakeCompleted(str(m.get("session")), self._version))

    def _data(self, m: dict[str, Any]) -> None:
        name, id_ = m.get("collection"), m.get("id")
        if not isinstance(name, str) or not isinstance(id_, str):
            return
        fields = from_json_value(m.get("fields") or {})
        msg = m["msg"]
        if msg == "added":
            self.store.added(name, id_, fields)
        elif msg == "changed":
            self.store.changed(name, id_, fields, m.get("cleared") or [])
        elif msg == "removed":
            self.store.removed(name, id_)
        elif msg == "addedBefore":
            self.store.added_before(name, id_, fields, m.get("before"))
        elif msg == "movedBefore":
            self.store.moved_before(name, id_, m.get("before"))

    def _ready(self, m: dict[str, Any]) -> None:
        for sub_id in m.get("subs") or []:
            self._emit(SubscriptionReady(str(sub_id)))

    def _nosub(self, m: dict[str, Any]) -> None:
        if m.get("id") not in self._subs:
            return  # answers our unsub (already told), or a sub never asked for
        self._subs.discard(m["id"])
        error = m.get("error")
        wire = SubscriptionError.from_wire(error) if error is not None else None
        stopped = wire if isinstance(wire, SubscriptionError) else None
        self._emit(SubscriptionStopped(str(m.get("id")), stopped))

    def _result(self, m: dict[str, Any]) -> None:
        id_ = str(m.get("id"))
        error = MethodError.from_wire(m["error"]) if "error" in m else None
        result = from_json_value(m.get("result"))
        self._emit(MethodResultReceived(id_, result, error))
        if id_ in self._updated:
            self._updated.discard(id_)
            self._emit(MethodCompleted(id_, result, error))
        else:
            self._results[id_] = (result, error)

    def _updated_msg(self, m: dict[str, Any]) -> None:
        for id_ in map(str, m.get("methods") or []):
            answer = self._results.pop(id_, None)
            if answer is None:
                self._updated.add(id_)  # Meteor allows data before the result
            else:
                self._emit(MethodCompleted(id_, *answer))

    def _error(self, m: dict[str, Any]) -> None:
        self._emit(ServerErrorReceived(str(m.get("reason")), m.get("offendingMessage")))


_SERVER: dict[str, Callable[[FrameInterpreter, dict[str, Any]], None]] = {
    "connected": FrameInterpreter._connected,
    "added": FrameInterpreter._data,
    "changed": FrameInterpreter._data,
    "removed": FrameInterpreter._data,
    "addedBefore": FrameInterpreter._data,
    "movedBefore": FrameInterpreter._data,
    "ready": FrameInterpreter._ready,
    "nosub": FrameInterpreter._nosub,
    "result": FrameInterpreter._result,
    "updated": FrameInterpreter._updated_msg,
    "error": FrameInterpreter._error,
}


def _message(text: str) -> dict[str, Any]:
    """A frame's message; {} for what is not a JSON object (kept as a frame only)."""
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


#: A proxied connection starts connected: the proxy sees it once its socket is open.
_CONNECTED = StatusChanged(Status(ConnectionStatus.CONNECTED, True))


class WireRecorder:
    """A ``Recorder`` for a connection known by its frames (a proxied client)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._now = recorder.origin
        self.interpreter = FrameInterpreter(self._event)
        self._event(_CONNECTED)

    def _event(self, event: Event) -> None:
        self.recorder.event_at(self._now, event)

    def frame(self, direction: Direction, now: float, text: str) -> None:
        """One frame as it crossed the proxy (``OUT``: the client's, to the app)."""
        self._now = now
        self.recorder.frame(Frame(direction, now, text))
        if direction is Direction.OUT:
            self.interpreter.client_sent(text)
        else:
            self.interpreter.server_sent(text)

    def closed(self, now: float, reason: str | None) -> None:
        self._now = now
        self._event(TransportLost(reason))
        self._event(
            StatusChanged(Status(ConnectionStatus.FAILED, False, reason=reason))
        )
        if self.recorder.writer is not None:
            self.recorder.writer.close()
