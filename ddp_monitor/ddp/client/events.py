"""Events the client core emits: frozen values, handed over by ``events()``.

Owns the event types of ``ClientConnection``; imports ``ddp.errors`` and
``ddp.client.status``. They come out in the order things happened, the
user's own actions included (``MethodCalled``, ``SubscriptionRequested``), so
a listener never sees an answer before the call it answers. Events are past participles (``StatusChanged``). Document
events carry the core's own field dicts (no copies on the hot path): treat
them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ddp_monitor.ddp.client.status import Status
from ddp_monitor.ddp.errors import DDPError, MethodError, SubscriptionError

__all__ = [
    "BadMessageReceived",
    "DocumentAdded",
    "DocumentChanged",
    "DocumentMoved",
    "DocumentRemoved",
    "Event",
    "HandshakeCompleted",
    "MethodCalled",
    "MethodCompleted",
    "MethodResultReceived",
    "MethodSent",
    "PongReceived",
    "ServerErrorReceived",
    "StatusChanged",
    "StubFailed",
    "SubscriptionReady",
    "SubscriptionRequested",
    "SubscriptionStopped",
    "TransportLost",
]


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """``Meteor.status()`` changed; ``status`` is the new snapshot."""

    status: Status


@dataclass(frozen=True, slots=True)
class TransportLost:
    """The socket or the attempt is gone (before the StatusChanged it causes).

    ``reason`` is Meteor's ConnectionError message: the driver's error text,
    'DDP connection timed out', 'DDP heartbeat timed out', or None for a
    clean close. Meteor keeps it out of the status; so does ``Status``.
    ``local`` is True when this side dropped it (``disconnect()``,
    ``reconnect()`` of an attempt, ``close()``), so a UI need not report it
    as a server's doing.
    """

    reason: str | None
    local: bool = False


@dataclass(frozen=True, slots=True)
class PongReceived:
    """A pong answered our ping: ``round_trip`` in seconds.

    ``ping_id`` is ``ping()``'s id, or "" for the heartbeat's own ping (sent
    after 17.5 s without a message; its round trip costs no extra frame).
    """

    ping_id: str
    round_trip: float


@dataclass(frozen=True, slots=True)
class HandshakeCompleted:
    """DDP ``connected`` arrived (the status was CONNECTED since transport open).

    ``resumed``: the server handed the last session back (session
    resumption): the store was not reset and the subscriptions went on; the
    server replays what came after the client's ``received_count`` frames.
    ``previous_session`` is the session before this one (None at first).
    """

    session: str
    version: str
    resumed: bool = False
    previous_session: str | None = None
    received_count: int = 0


@dataclass(frozen=True, slots=True)
class BadMessageReceived:
    """A frame from the server that DDP does not allow; it was dropped."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class ServerErrorReceived:
    """The server sent ``msg: "error"`` (Meteor's client only logs it)."""

    reason: str
    offending_message: Any


@dataclass(frozen=True, slots=True)
class MethodCalled:
    """``apply`` queued a call (its stub, if any, has run); ``MethodSent`` follows
    when the frame goes out, at once or after a reconnect or a ``wait`` call."""

    method_id: str
    name: str
    params: list[Any]
    wait: bool = False
    no_retry: bool = False


@dataclass(frozen=True, slots=True)
class MethodSent:
    """A ``method`` frame was handed to the transport (also on a re-send)."""

    method_id: str
    name: str
    params: list[Any]


@dataclass(frozen=True, slots=True)
class MethodResultReceived:
    """The ``result`` arrived (Meteor's ``onResultReceived``), data maybe not yet."""

    method_id: str
    result: Any
    error: MethodError | None


@dataclass(frozen=True, slots=True)
class MethodCompleted:
    """Result and data are both there: Meteor fires the method callback now.

    ``error`` is a ``MethodError`` from the server (or Meteor's synthetic
    ``invocation-failed``), or ``ConnectionLost`` after ``close()``.
    """

    method_id: str
    result: Any
    error: DDPError | None


@dataclass(frozen=True, slots=True)
class StubFailed:
    """A client stub raised; Meteor logs "Exception while simulating the effect
    of invoking '<name>'" and still sends the call (unless throw_stub_exceptions)."""

    method_id: str | None
    name: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class SubscriptionRequested:
    """``subscribe`` was called; the ``sub`` frame goes out now or at the next connect."""

    sub_id: str
    name: str
    params: list[Any]


@dataclass(frozen=True, slots=True)
class SubscriptionReady:
    sub_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionStopped:
    """The subscription ended: ``nosub`` from the server (``error`` when it
    carried one) or ``unsubscribe`` on this side (no error)."""

    sub_id: str
    error: SubscriptionError | None


@dataclass(frozen=True, slots=True)
class DocumentAdded:
    collection: str
    id: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DocumentChanged:
    """``fields`` are the new values; ``cleared`` the removed field names."""

    collection: str
    id: str
    fields: dict[str, Any]
    cleared: list[str]


@dataclass(frozen=True, slots=True)
class DocumentRemoved:
    collection: str
    id: str


@dataclass(frozen=True, slots=True)
class DocumentMoved:
    """The document's place in the collection's ordered view changed.

    Emitted for ``movedBefore``, and after ``DocumentAdded`` for
    ``addedBefore``; ``before`` None means at the end.
    """

    collection: str
    id: str
    before: str | None


Event = (
    StatusChanged
    | TransportLost
    | HandshakeCompleted
    | PongReceived
    | BadMessageReceived
    | ServerErrorReceived
    | MethodCalled
    | MethodSent
    | MethodResultReceived
    | MethodCompleted
    | StubFailed
    | SubscriptionRequested
    | SubscriptionReady
    | SubscriptionStopped
    | DocumentAdded
    | DocumentChanged
    | DocumentRemoved
    | DocumentMoved
)
