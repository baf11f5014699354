"""What crosses the pipe between the window and its hosted server's process.

Owns the values both sides read: ``ConnectionView`` (one connection as the
Server panel shows it: what never changes, sent once when it opens),
``ConnectionState`` (what changes: version, subscriptions, counters, user; a
plain tuple, read through the index constants),
``Batch`` (one flush of connection news), the reports (``Serving``,
``Failed``) and the window's commands (``CloseConnection``, ``SetForwarding``,
``Watch``, ``Stop``); imports ``transport.wiretap`` (``Frame``) and
``ddp.server.forwarding``, and names ``transport.server``'s handle type for
the type checker only: the window's process imports this module and must not
load the server library. Frozen values of atoms and tuples: they pickle small
and mean the same on both sides of the pipe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.transport.wiretap import Frame

if TYPE_CHECKING:
    from ddp_monitor.transport.server.handle import ConnectionHandle

__all__ = [
    "CLOSED",
    "DETACHED_UNTIL",
    "MESSAGES_IN",
    "MESSAGES_OUT",
    "REPLAYED",
    "RESUMPTIONS",
    "SUBSCRIPTIONS",
    "USER_ID",
    "VERSION",
    "Batch",
    "CloseConnection",
    "Command",
    "ConnectionState",
    "ConnectionView",
    "Failed",
    "HostingPlan",
    "Report",
    "Serving",
    "SetForwarding",
    "Stop",
    "Watch",
    "same_but_counters",
    "state_of",
]


#: What can change on a connection, as of its last report: (DDP version,
#: subscriptions as (sub id, publication) pairs, messages in, messages out,
#: user id, closed, session resumptions, frames replayed at them, and while
#: no socket serves it the wall-clock time its grace period ends). A plain
#: tuple of atoms: a batch of 1,000 of them unpickles in C in ~0.1 ms, where
#: as many dataclasses took ~4 ms to rebuild.
ConnectionState = tuple[
    str | None,
    tuple[tuple[str, str], ...],
    int,
    int,
    str | None,
    bool,
    int,
    int,
    float | None,
]
VERSION: Final = 0
SUBSCRIPTIONS: Final = 1
MESSAGES_IN: Final = 2
MESSAGES_OUT: Final = 3
USER_ID: Final = 4
CLOSED: Final = 5
RESUMPTIONS: Final = 6
REPLAYED: Final = 7
DETACHED_UNTIL: Final = 8


def state_of(handle: ConnectionHandle) -> ConnectionState:
    """A connection's state now."""
    remaining = handle.grace_remaining()
    return (
        handle.version,
        tuple(handle.subscriptions.items()),
        handle.messages_in,
        handle.messages_out,
        handle.user_id,
        handle.closed,
        handle.resumptions,
        handle.frames_replayed,
        # Wall clock: the window's process has another monotonic clock.
        None if remaining is None else round(time.time() + remaining, 1),
    )


def same_but_counters(old: ConnectionState, new: ConnectionState) -> bool:
    """Only the message counters moved (the panel may hear of it later)."""
    return old[:MESSAGES_IN] == new[:MESSAGES_IN] and old[USER_ID:] == new[USER_ID:]


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """One connection as Meteor's ``onConnection`` hands it over (``this.connection``)."""

    id: str
    client_address: str | None  # as the server computed it when it connected
    peer_address: str | None
    forwarded_for: tuple[str, ...]
    http_headers: tuple[tuple[str, str], ...]  # sockjs's whitelist, lower case
    connected_at: float  # wall clock, time.time()
    transport: str
    state: ConnectionState

    @classmethod
    def of(cls, handle: ConnectionHandle) -> ConnectionView:
        return cls(
            handle.id,
            handle.client_address,
            handle.peer_address,
            tuple(handle.forwarded_for),
            tuple(handle.http_headers.items()),
            handle.connected_at,
            handle.transport,
            state_of(handle),
        )

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.http_headers)


@dataclass(frozen=True, slots=True)
class Batch:
    """One flush of news, in this order of application: opened, changed, closed.

    ``frames`` are the last frames of the watched connection (``Watch``),
    sent whenever it changed.
    """

    opened: tuple[ConnectionView, ...] = ()
    changed: tuple[tuple[str, ConnectionState], ...] = ()
    closed: tuple[str, ...] = ()
    frames: tuple[str, tuple[Frame, ...]] | None = None


@dataclass(frozen=True, slots=True)
class HostingPlan:
    """What to host: where (the socket comes bound), which app, behind how many proxies."""

    host: str
    app: str  # "demo" or "empty"
    forwarded_count: int
    forwarded_rule: ForwardedRule
    flush_seconds: float = 0.06
    #: Counters alone change on every frame: the panel hears of them this often.
    counters_seconds: float = 0.25


@dataclass(frozen=True, slots=True)
class Serving:
    """The server listens; clients may come."""

    url: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The process could not host, or stopped on its own: why, in words."""

    why: str


@dataclass(frozen=True, slots=True)
class CloseConnection:
    connection_id: str


@dataclass(frozen=True, slots=True)
class SetForwarding:
    count: int
    rule: ForwardedRule


@dataclass(frozen=True, slots=True)
class Watch:
    """Send this connection's last frames with every batch it changes in (None: none)."""

    connection_id: str | None


@dataclass(frozen=True, slots=True)
class Stop:
    """Close every connection and exit."""

    reason: str = field(default="stopped by the window")


Report = Serving | Failed | Batch
Command = CloseConnection | SetForwarding | Watch | Stop
