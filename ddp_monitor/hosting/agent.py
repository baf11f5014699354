"""ddp-monitor's agent for our own ``DDPServer``: the Meteor agent's protocol, in Python.

Owns ``install_agent(server, secret)``: the same publication and methods as
``packaging/meteor-agent/agent.js`` (the window's "Attach to an app" speaks
to either), on a ``transport.server.DDPServer``. Imports ``ddp`` (faults'
wire form, errors), ``transport.server``, ``recording.masking`` (a frame's
secrets) and ``proxy.rows`` (the frames' documents).

| name | kind | what |
|---|---|---|
| ``ddpMonitorAgent.connections(secret)`` | publication | collection ``ddpMonitorAgent.connections``: one row per client connection, live |
| ``ddpMonitorAgent.close(secret, id)`` | method | close the session (its client reconnects with a new id) |
| ``ddpMonitorAgent.setFaults(secret, id, faults)`` | method | merge faults into id's (null: every connection and new ones) |
| ``ddpMonitorAgent.clearFaults(secret, id)`` | method | no faults on id (null: on every connection) |
| ``ddpMonitorAgent.frames(secret, id, limit)`` | method | the connection's recent frames (secrets masked) |

A row has the proxy's fields (``proxy.rows.row``) as this server knows them,
plus ``server``, ``userId`` and ``methodsInFlight``, as the Meteor agent's.
Our server counts messages, not bytes: a row has no ``bytesToServer`` or
``bytesToClient`` (the panel shows nothing rather than a made-up 0).

Faults: this server does ``toClient.latencyMs`` (every frame to the client
waits, in order); anything else is refused with ``bad-faults``, unless given
as "off" (0, false), as the panel's fault bar sends them. Off unless a secret
is given: without ``install_agent`` nothing is registered, and the client
gets Meteor's 404 for the names.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import logging
import os
import socket
import time
from dataclasses import dataclass, field, replace
from typing import Any

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, from_wire
from ddp_monitor.proxy.rows import frame_docs
from ddp_monitor.recording.masking import mask_frame
from ddp_monitor.transport.server import (
    ConnectionChanged,
    ConnectionClosed,
    ConnectionHandle,
    ConnectionOpened,
    DDPServer,
    Hook,
    MethodInvocation,
    Subscription,
)
from ddp_monitor.transport.wiretap import Direction

__all__ = ["COLLECTION", "PREFIX", "Agent", "install_agent", "secret_from_environment"]

log = logging.getLogger(__name__)

PREFIX = "ddpMonitorAgent."
COLLECTION = PREFIX + "connections"
#: The Meteor agent's limits (agent.js), so both behave alike for a panel.
FLUSH_SECONDS = 0.25  # changed rows go to the panels at most this often
CALLS_PER_SECOND = 20  # per agent connection
WRONG_SECRETS = 5  # per remote address and minute, then refused for that minute
LOCK_SECONDS = 60.0
#: A newer transport might pass more headers: never cookies or credentials.
NEVER_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
ENVIRONMENT = "DDP_MONITOR_AGENT_SECRET"


def secret_from_environment() -> str | None:
    """The secret the Meteor agent reads too (``DDP_MONITOR_AGENT_SECRET``), or None."""
    return os.environ.get(ENVIRONMENT) or None


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass
class _Watched:
    """What the agent keeps of one client connection."""

    handle: ConnectionHandle
    faults: Faults = NO_FAULTS
    since: dict[str, float] = field(default_factory=dict)  # method id -> wall clock
    sent: dict[str, Any] = field(default_factory=dict)  # the row as panels have it


@dataclass
class _Bucket:
    tokens: float
    at: float


class Agent:
    """The agent on one server; made by ``install_agent``."""

    def __init__(self, server: DDPServer, secret: str) -> None:
        if not secret:
            raise ValueError("the agent needs a secret (an empty one lets anyone in)")
        self.server = server
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._expected = _digest(secret)
        self._records: dict[str, _Watched] = {}
        self._agents: set[str] = set()  # connections that gave the secret
        self._watchers: list[Subscription] = []
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._for_all = NO_FAULTS
        self._wrong: dict[str, tuple[int, float]] = {}  # address -> (count, since)
        self._calls: dict[str, _Bucket] = {}
        self._listening: Hook | None = None  # the server's news, while panels watch
        for handle in server.connections:
            self._track(handle)
        server.on_connection(self._track)
        server.publish(COLLECTION, self._publish)
        server.methods(
            {
                PREFIX + "close": self._close,
                PREFIX + "setFaults": self._set_faults,
                PREFIX + "clearFaults": self._clear_faults,
                PREFIX + "frames": self._frames,
            }
        )
        log.info(
            "on: publishing %s for %s to whoever gives the secret",
            COLLECTION,
            self.name,
        )

    # -- connections -------------------------------------------------------------------

    def _follow(
        self, event: ConnectionOpened | ConnectionClosed | ConnectionChanged
    ) -> None:
        # Only while a panel watches: opened and closed come through the
        # onConnection and onClose hooks, which cost nothing when idle.
        if isinstance(event, ConnectionChanged):
            record = self._records.get(event.connection.id)
            if record is not None:
                self._stamp(record)
                self._changed(record.handle.id)

    def _track(self, handle: ConnectionHandle) -> None:
        record = _Watched(handle)
        self._records[handle.id] = record
        handle.on_close(lambda: self._forget(handle.id))
        self._apply(record, self._for_all)
        for sub in self._watchers:
            self._add_row(sub, record)

    def _forget(self, ident: str) -> None:
        if self._records.pop(ident, None) is None:
            return
        self._dirty.discard(ident)
        if ident not in self._agents:
            for sub in self._watchers:
                sub.removed(COLLECTION, ident)
        self._agents.discard(ident)

    def _stamp(self, record: _Watched) -> None:
        # Stamped in the loop turn the method's frame arrived (the server
        # reports a connection's change then), and forgotten once answered.
        running = record.handle.methods_running
        now = time.time()
        record.since = {m: record.since.get(m, now) for m in running}

    def _changed(self, ident: str) -> None:
        if not self._watchers:
            return
        self._dirty.add(ident)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                FLUSH_SECONDS, self._send_changes
            )

    def _send_changes(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for ident in dirty:
            record = self._records.get(ident)
            if record is None or ident in self._agents:
                continue
            now = self._row(record)
            fields = {k: v for k, v in now.items() if record.sent.get(k) != v}
            record.sent = now
            if fields:
                for sub in self._watchers:
                    sub.changed(COLLECTION, ident, fields)

    def _row(self, record: _Watched) -> dict[str, Any]:
        handle = record.handle
        headers = {
            k: v
            for k, v in handle.http_headers.items()
            if k.lower() not in NEVER_HEADERS
        }
        running = handle.methods_running
        return {
            "server": self.name,
            "session": handle.id,
            "resumption": None,
            "clientAddress": handle.peer_address,
            "forwardedFor": headers.get("x-forwarded-for"),
            "appClientAddress": handle.client_address,
            "httpHeaders": headers,
            "userAgent": headers.get("user-agent", ""),
            "userId": handle.user_id,
            "transport": handle.transport,
            "ddpVersion": handle.version,
            "subscriptions": [
                {"id": sub_id, "name": name, "params": params, "ready": ready}
                for sub_id, name, params, ready in handle.subscription_details
            ],
            "methodsInFlight": [
                {
                    "id": method_id,
                    "name": name,
                    "since": _date(record.since.get(method_id, time.time())),
                }
                for method_id, name in running.items()
            ],
            "framesToServer": handle.messages_in,
            "framesToClient": handle.messages_out,
            "faults": record.faults.to_wire(),
            "upstreamClosed": False,
            "connectedAt": _date(handle.connected_at),
        }

    def _add_row(self, sub: Subscription, record: _Watched) -> None:
        if record.handle.id in self._agents:
            return
        now = self._row(record)
        sub.added(COLLECTION, record.handle.id, now)
        record.sent = now

    # -- access: the secret, the rate, the log ------------------------------------------

    def _check(
        self, this: MethodInvocation | Subscription, given: Any, what: str
    ) -> None:
        conn = this.connection
        source = conn.peer_address or "?"
        now = time.monotonic()
        count, since = self._wrong.get(source, (0, now))
        if now - since > LOCK_SECONDS:
            count, since = 0, now
            self._wrong.pop(source, None)
        if count >= WRONG_SECRETS:
            log.warning("refused %s from %s: too many wrong secrets", what, source)
            raise MethodError(
                "too-many-requests",
                f"too many wrong secrets from {source}; wait a minute",
            )
        # Constant time: both sides hashed to 32 bytes first, so not even the
        # secret's length shows in the time taken.
        if not (
            isinstance(given, str)
            and hmac.compare_digest(_digest(given), self._expected)
        ):
            self._wrong[source] = (count + 1, since)
            log.warning(
                "refused %s from %s (connection %s): wrong secret",
                what,
                source,
                conn.id,
            )
            raise MethodError("forbidden", "wrong ddp-monitor agent secret")
        bucket = self._calls.get(conn.id)
        if bucket is None:
            bucket = self._calls[conn.id] = _Bucket(CALLS_PER_SECOND, now)
            conn.on_close(lambda: self._calls.pop(conn.id, None))
        bucket.tokens = min(
            CALLS_PER_SECOND, bucket.tokens + (now - bucket.at) * CALLS_PER_SECOND
        )
        bucket.at = now
        if bucket.tokens < 1:
            log.warning("refused %s from %s: over the call rate", what, source)
            raise MethodError(
                "too-many-requests",
                f"more than {CALLS_PER_SECOND} agent calls a second",
            )
        bucket.tokens -= 1
        self._mark_agent(conn.id)
        log.info("%s by connection %s from %s", what, conn.id, source)

    def _mark_agent(self, ident: str) -> None:
        """The agent's own connection is a client too: never list it, never fault it."""
        if ident in self._agents:
            return
        self._agents.add(ident)
        record = self._records.get(ident)
        if record is None:
            return
        self._apply(record, NO_FAULTS)
        self._dirty.discard(ident)
        for sub in self._watchers:
            sub.removed(COLLECTION, ident)

    def _record(self, ident: Any) -> _Watched:
        if not isinstance(ident, str):
            raise MethodError("bad-request", "a connection id (a string) is expected")
        record = self._records.get(ident)
        if record is None or ident in self._agents:
            raise MethodError("not-found", f"no connection {ident} on {self.name}")
        return record

    # -- the publication and the methods ------------------------------------------------

    def _publish(self, sub: Subscription, given: Any = None, *_: Any) -> None:
        self._check(sub, given, "subscribe connections")
        # The panels already watching get what changed first: this one then
        # gets every row whole, which becomes what was sent last.
        self._send_changes()
        for record in list(self._records.values()):
            self._add_row(sub, record)
        self._watchers.append(sub)
        if self._listening is None:
            self._listening = self.server.add_listener(self._follow)
        sub.on_stop(lambda: self._unwatch(sub))
        sub.ready()

    def _unwatch(self, sub: Subscription) -> None:
        self._watchers.remove(sub)
        if not self._watchers and self._listening is not None:
            self._listening.stop()
            self._listening = None

    def _close(
        self, this: MethodInvocation, given: Any = None, ident: Any = None, *_: Any
    ) -> None:
        self._check(this, given, f"close {ident}")
        self._record(ident).handle.close()

    def _set_faults(
        self,
        this: MethodInvocation,
        given: Any = None,
        ident: Any = None,
        faults: Any = None,
        *_: Any,
    ) -> dict[str, Any]:
        self._check(this, given, f"setFaults {ident} {faults!r}")
        if ident is None:
            self._for_all = _merged(self._for_all, faults)
            for key, record in self._records.items():
                if key not in self._agents:
                    self._apply(record, _merged(record.faults, faults))
            return self._for_all.to_wire()
        record = self._record(ident)
        self._apply(record, _merged(record.faults, faults))
        return record.faults.to_wire()

    def _clear_faults(
        self, this: MethodInvocation, given: Any = None, ident: Any = None, *_: Any
    ) -> None:
        self._check(this, given, f"clearFaults {ident}")
        if ident is None:
            self._for_all = NO_FAULTS
            for record in self._records.values():
                self._apply(record, NO_FAULTS)
        else:
            self._apply(self._record(ident), NO_FAULTS)

    def _frames(
        self,
        this: MethodInvocation,
        given: Any = None,
        ident: Any = None,
        limit: Any = None,
        *_: Any,
    ) -> list[dict[str, Any]]:
        self._check(this, given, f"frames {ident}")
        handle = self._record(ident).handle
        # The frames carry the loop's clock; the row's start is the wall's.
        start = asyncio.get_running_loop().time() - (time.time() - handle.connected_at)
        count = limit if isinstance(limit, int) and limit > 0 else None
        return frame_docs(handle.recent_frames, start, Direction.IN, count, mask_frame)

    def _apply(self, record: _Watched, faults: Faults) -> None:
        record.faults = faults
        record.handle.output_latency = faults.to_client.latency
        self._changed(record.handle.id)


def _date(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _merged(base: Faults, changes: Any) -> Faults:
    """``base`` with the wire-form ``changes``, if this server can do them all."""
    try:
        faults = from_wire(changes, base=base)
    except ValueError as exc:
        raise MethodError("bad-faults", str(exc)) from None
    rest = replace(faults, to_client=replace(faults.to_client, latency=0.0))
    refused = _dotted(rest.to_wire())
    if refused:
        raise MethodError(
            "bad-faults",
            f"{refused[0]} is not offered by ddp-monitor's server agent "
            "(it needs the network between client and server: use ddp-monitor's proxy)",
        )
    return faults


def _dotted(wire: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in wire.items():
        if key in ("toClient", "toServer") and isinstance(value, dict):
            names.extend(_dotted(value, f"{key}."))
        else:
            names.append(prefix + key)
    return names


def install_agent(server: DDPServer, secret: str) -> Agent:
    """Serve the agent's publication and methods on ``server`` to whoever gives ``secret``."""
    return Agent(server, secret)
