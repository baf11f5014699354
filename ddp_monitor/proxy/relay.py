"""``ProxiedConnection``: one client's socket relayed to its own upstream socket.

Owns the relay of one proxied client: DDP messages from the client go to the
app's ``/websocket`` and back, through a ``ddp.fault_link.FaultLink`` (the
faults in force) and a ``DeadlineTimer`` (delayed frames); what the panel's
row shows (session, DDP version, subscriptions, frames and bytes each way,
the recent frames); and the actions on it (close, close upstream, reset,
faults). Imports ``ddp`` (faults, frame kinds), ``transport`` (the deadline
timer, the wiretap's ``Frame``, the client wing's ``Link`` for the upstream
socket) and its sibling ``client_side``.

Frames are relayed unchanged: the proxy adds none and answers no ping itself,
so heartbeats run end to end and what the row shows is what the app and its
client did. With no fault in force a frame from the app takes the short way
(no ``FaultLink``, no JSON parsing: the kind is read from its first bytes),
and all frames that arrived in one read leave in one write.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ddp_monitor.ddp.fault_link import FaultLink, frame_kind
from ddp_monitor.ddp.faults import Faults, Way
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.proxy.client_side import ClientSide
from ddp_monitor.recording.interpreter import WireRecorder
from ddp_monitor.transport.client.link import Link
from ddp_monitor.transport.client.link import write as write_upstream
from ddp_monitor.transport.deadline import DeadlineTimer
from ddp_monitor.transport.server.callbacks import spawn
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["RECENT_FRAMES", "ProxiedConnection", "ProxiedSubscription"]

#: The per-connection log keeps this many frames (both ways), each clipped.
RECENT_FRAMES = 500
RECENT_FRAME_CHARS = 2000
#: Backpressure: stop reading the app while this much waits for the client.
_PAUSE_ABOVE = 1024 * 1024
_RESUME_BELOW = 256 * 1024


@dataclass(slots=True)
class ProxiedSubscription:
    name: str
    params: list[Any]
    ready: bool = False


@dataclass(slots=True)
class Counts:
    """Frames and characters each way (plain attributes: counted per frame)."""

    frames_to_server: int = 0
    frames_to_client: int = 0
    bytes_to_server: int = 0
    bytes_to_client: int = 0


class ProxiedConnection:
    """One client and its upstream socket, relayed.

    ``Direction.OUT`` is client to app, ``Direction.IN`` app to client, as in
    a page's message log.

    Args:
        client: the client's socket.
        upstream: the open upstream socket (``transport.client.link``).
        faults: the faults in force at the start (the proxy's "all").
        forwarded_for: the ``X-Forwarded-For`` sent upstream.
        on_change, on_closed: the proxy's bookkeeping.
    """

    def __init__(
        self,
        client: ClientSide,
        upstream: Link,
        faults: Faults,
        *,
        forwarded_for: str,
        on_change: Callable[[ProxiedConnection], None],
        on_closed: Callable[[ProxiedConnection], None],
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.id = random_id(8)
        self.client = client
        self.upstream = upstream
        self.fault_link = FaultLink(faults, self.loop.time())
        self.http_headers = dict((k.lower(), v) for k, v in client.headers)
        self.peer_address = client.peer_address
        self.forwarded_for = forwarded_for
        self.user_agent = self.http_headers.get("user-agent")
        self.connected_at = time.time()
        self.opened_at = self.loop.time()  # the log's times count from here
        self.session: str | None = None
        self.version: str | None = None
        # Session resumption: the session the client's connect asked back and
        # how many frames it had; ``resumed`` once the app answered.
        self.resume_asked: str | None = None
        self.resume_count: int | None = None
        self.resumed: bool | None = None
        self.subscriptions: dict[str, ProxiedSubscription] = {}
        self.counts = Counts()
        # (direction, time, text): a tuple per frame is the cheapest record;
        # ``recent_frames()`` makes the wiretap's Frame values when asked.
        self.recent: deque[tuple[Direction, float, str]] = deque(maxlen=RECENT_FRAMES)
        self._passes = self.fault_link.passes_to_client
        self.upstream_dropped = False  # "Close upstream": the client stays
        self.closed = False
        self._on_change = on_change
        self._on_closed = on_closed
        self._to_client: list[str] = []
        self._paused = False
        self._timer = DeadlineTimer(self.loop, self._on_timer)
        #: The client's side as a recording (``DDPProxy(record_to=...)``), or None.
        self.recorder: WireRecorder | None = None

    @property
    def identity(self) -> str:
        """Who reconnects: battery saving refuses this key (address and browser)."""
        return f"{self.peer_address} {self.user_agent or ''}"

    @property
    def faults(self) -> Faults:
        return self.fault_link.faults

    # -- the relay ----------------------------------------------------------------

    async def run(self) -> None:
        """Relay until either side ends; then end the other."""
        watch = asyncio.ensure_future(self.upstream.wait_closed())
        watch.add_done_callback(lambda _: self._upstream_gone())
        try:
            await self.client.open()  # SockJS's "o" before any message
            self.upstream.on_read = lambda _: self._flush_client()
            self.upstream.attach(self._from_upstream)
            self._flush_client()  # what the app sent before attach
            await self.client.serve(self._from_client, self._client_read)
        finally:
            self.closed = True
            self._timer.cancel()
            watch.cancel()
            if self.recorder is not None:
                lost = None if self.client.closed_cleanly else "the connection was lost"
                self.recorder.closed(self.loop.time(), lost)
            # The client's way of leaving reaches the app: a close, or a
            # connection that just ended.
            if self.client.closed_cleanly:
                with contextlib.suppress(Exception):
                    await self.upstream.close()
            else:
                self.upstream.transport.abort()
            self._on_closed(self)

    def _from_client(self, texts: list[str]) -> None:
        now = self.loop.time()
        counts, recent, submit = self.counts, self.recent, self.fault_link.submit
        recorder = self.recorder
        for text in texts:
            if recorder is not None:
                recorder.frame(Direction.OUT, now, text)
            counts.frames_to_server += 1
            counts.bytes_to_server += len(text)
            recent.append((Direction.OUT, now, _clip(text)))
            if _worth_reading(text):
                self._note(text)
            submit(Way.TO_SERVER, text, now)

    def _client_read(self) -> None:
        self._deliver(self.loop.time())

    def _from_upstream(self, link: Link, data: str | bytes) -> None:
        # Called from the upstream's data_received, once per message; its
        # on_read (``_flush_client``) then writes the read's messages at once.
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        now = self.loop.time()
        counts = self.counts
        counts.frames_to_client += 1
        counts.bytes_to_client += len(text)
        self.recent.append((Direction.IN, now, _clip(text)))
        if _worth_reading(text):
            self._note(text)
        if self._passes:
            self._to_client.append(text)
        else:
            fault_link = self.fault_link
            fault_link.submit(Way.TO_CLIENT, text, now)
            self._to_client.extend(fault_link.take(Way.TO_CLIENT, now))
            self._timer.follow(fault_link.next_deadline())
            self._passes = fault_link.passes_to_client

    def _flush_client(self) -> None:
        if not self._to_client:
            return
        texts, self._to_client = self._to_client, []
        self.client.write(texts)
        if self.recorder is not None:
            # What the client got, after the faults: its side of the story.
            now = self.loop.time()
            for text in texts:
                self.recorder.frame(Direction.IN, now, text)
        if not self._paused and self.client.write_buffer_size() > _PAUSE_ABOVE:
            # The client reads slower than the app sends: stop reading the
            # app (TCP pushes back on it) until the client has caught up.
            self._paused = True
            self.upstream.transport.pause_reading()
            self.loop.call_later(0.005, self._maybe_resume)
        self._on_change(self)

    def _maybe_resume(self) -> None:
        if self.closed:
            return
        if self.client.write_buffer_size() > _RESUME_BELOW:
            self.loop.call_later(0.005, self._maybe_resume)
            return
        self._paused = False
        with contextlib.suppress(Exception):
            self.upstream.transport.resume_reading()

    def _deliver(self, now: float) -> None:
        """Send what the faults let through by ``now``, both ways."""
        fault_link = self.fault_link
        to_server = fault_link.take(Way.TO_SERVER, now)
        if to_server and not self.upstream_dropped:
            write_upstream(self.upstream, to_server)
        self._to_client.extend(fault_link.take(Way.TO_CLIENT, now))
        self._passes = fault_link.passes_to_client
        self._flush_client()
        self._timer.follow(fault_link.next_deadline())
        self._on_change(self)

    def _on_timer(self, deadline: float) -> None:
        self._deliver(max(self.loop.time(), deadline))

    def _upstream_gone(self) -> None:
        # The app closed (or was told to): mirror it to the client, unless
        # "Close upstream" asked the client's socket to stay open.
        if self.closed or self.upstream_dropped:
            self._on_change(self)
            return
        received = self.upstream.protocol.close_rcvd
        if received is None:
            self.client.abort()  # lost, not closed: so for the client too
            return
        spawn(self.client.close(received.code, received.reason))

    # -- what the row shows -----------------------------------------------------------

    def recent_frames(self) -> list[Frame]:
        """The per-connection log, oldest first (``OUT``: to the app)."""
        return [Frame(direction, at, text) for direction, at, text in self.recent]

    def _note(self, text: str) -> None:
        kind = frame_kind(text)
        if kind in _NOTED:
            _NOTED[kind](self, _fields(text))

    def _connect(self, fields: dict[str, Any]) -> None:
        version = fields.get("version")
        self.version = version if isinstance(version, str) else None
        asked, count = fields.get("session"), fields.get("receivedCount")
        resumable = isinstance(asked, str) and type(count) is int
        self.resume_asked = asked if resumable else None
        self.resume_count = count if resumable else None

    def _connected(self, fields: dict[str, Any]) -> None:
        session = fields.get("session")
        self.session = session if isinstance(session, str) else None
        if self.resume_asked is not None:
            self.resumed = self.session == self.resume_asked

    def _sub(self, fields: dict[str, Any]) -> None:
        ident, name = fields.get("id"), fields.get("name")
        if isinstance(ident, str) and isinstance(name, str):
            params = fields.get("params")
            self.subscriptions[ident] = ProxiedSubscription(
                name, params if isinstance(params, list) else []
            )

    def _ready(self, fields: dict[str, Any]) -> None:
        for ident in fields.get("subs") or []:
            sub = self.subscriptions.get(ident) if isinstance(ident, str) else None
            if sub is not None:
                sub.ready = True

    def _gone_sub(self, fields: dict[str, Any]) -> None:
        ident = fields.get("id")
        if isinstance(ident, str):
            self.subscriptions.pop(ident, None)

    # -- actions --------------------------------------------------------------------------

    def set_faults(self, faults: Faults) -> None:
        """Switch faults live; what they no longer hold back leaves now."""
        now = self.loop.time()
        self.fault_link.set_faults(faults, now)
        self._deliver(now)

    async def close(self) -> None:
        """Close the client's socket cleanly (its Meteor client reconnects)."""
        await self.client.close()

    async def close_upstream(self) -> None:
        """The app drops the session; the client's socket stays open."""
        self.upstream_dropped = True
        await self.upstream.close()

    def reset(self) -> None:
        """Reset the client's TCP connection (RST); the upstream closes too."""
        self.client.reset()


def _clip(text: str) -> str:
    return text if len(text) <= RECENT_FRAME_CHARS else text[:RECENT_FRAME_CHARS]


def _fields(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


# The few kinds the row reads (everything else is only counted): the JSON of
# these is parsed; of an ``added`` or ``changed``, never. Meteor (and every
# serializer here) writes ``msg`` first, so a prefix test sorts most frames
# out; one that puts it elsewhere goes through frame_kind's full parse.
_NOTED: dict[str, Callable[[ProxiedConnection, dict[str, Any]], None]] = {
    "connect": ProxiedConnection._connect,
    "connected": ProxiedConnection._connected,
    "sub": ProxiedConnection._sub,
    "ready": ProxiedConnection._ready,
    "nosub": ProxiedConnection._gone_sub,
    "unsub": ProxiedConnection._gone_sub,
}

_NOTED_PREFIXES = tuple(f'{{"msg":"{kind}"' for kind in _NOTED)


def _worth_reading(text: str) -> bool:
    """True for a frame the row reads, or one whose ``msg`` is not first."""
    if text.startswith('{"msg":"'):
        return text.startswith(_NOTED_PREFIXES)
    return True
