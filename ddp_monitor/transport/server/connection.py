"""One server-side socket: ``SocketDriver`` pumps its frames through ``ServerSession``.

Owns the asyncio side of a DDP connection on the server: reading and writing
the websocket (raw or SockJS-framed), the heartbeat timer, the pre-connect
websocket timeout, running method and publication handlers (plain functions or
coroutines; universal publications at connect), the deferred close and the
ring of recent frames the server panel reads. Imports ``ddp``, websockets,
``transport.wiretap`` and ``transport.deadline``, and its siblings ``handle``
(the ``ConnectionHandle`` it makes), ``context`` (handlers' ``this``),
``ports`` (the server, as a protocol), ``sockjs`` and ``callbacks``;
``ddp_server`` owns the listening socket and makes one driver per socket.

After every call into the core, ``pump`` queues ``messages_to_send()`` for the
writer task and dispatches ``events()`` until none are left (handlers may feed
the core again), then keeps one ``DeadlineTimer`` at the heartbeat's deadline.

Session resumption: the driver whose socket started a session owns it for
good. When that socket is lost the session is detached and the driver stays
(its timer ends the grace period); a later socket whose ``connect`` resumes it
is ``adopt``ed: its own driver keeps reading it and forwards every frame to
the owner, which writes to it. A replaced socket that is still open is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Sequence
from typing import cast

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import Protocol, State

from ddp_monitor.ddp import server as core
from ddp_monitor.ddp.server.forwarding import client_address, http_headers
from ddp_monitor.ddp.server.subscription import ServerSubscription
from ddp_monitor.transport.deadline import DeadlineTimer
from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.callbacks import spawn
from ddp_monitor.transport.server.context import (
    MethodInvocation,
    Subscription,
    run_method,
    run_publication,
)
from ddp_monitor.transport.server.handle import ConnectionHandle
from ddp_monitor.transport.server.ports import PublishHandler, ServerPort
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["RECENT_FRAME_CHARS", "DeadlineConnection", "SocketDriver", "text_frame"]

log = logging.getLogger(__name__)

#: A remembered frame keeps at most this many characters: the ring is for a
#: glance in the server panel, and must not pin a 16 MiB frame per connection.
RECENT_FRAME_CHARS = 2000


def _clip(text: str) -> str:
    return text if len(text) <= RECENT_FRAME_CHARS else text[:RECENT_FRAME_CHARS]


_WRITE_CHUNK = 512
_WRITE_BUFFER_LIMIT = 64 * 1024


def text_frame(payload: bytes) -> bytes:
    """One unmasked server-to-client text frame (the proxy's relay writes them too)."""
    # RFC 6455 §5.2: FIN + text opcode, unmasked (server to client).
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big") + payload
    return b"\x81\x7f" + size.to_bytes(8, "big") + payload


async def _send_each(ws: ServerConnection, frames: list[str]) -> None:
    """One text frame per message, written and drained in chunks.

    ``ws.send()`` drains after every frame and the transport makes one system
    call per frame; on the hot path (one ``added`` per document) that is most
    of the cost. Inside ``send_context`` (the hook websockets' own ``send``
    uses: state check, then drain) we write a chunk of frames at once. Without
    extensions a server frame is just a header and the payload, so we build it
    here; with permessage-deflate the protocol object builds them.
    """
    protocol = ws.protocol
    for start in range(0, len(frames), _WRITE_CHUNK):
        chunk = frames[start : start + _WRITE_CHUNK]
        async with ws.send_context():
            if protocol.extensions:
                for text in chunk:
                    protocol.send_text(text.encode())
            else:
                ws.transport.write(b"".join(text_frame(t.encode()) for t in chunk))


def _closed_by_us(ws: ServerConnection) -> bool:
    """This side started the closing handshake (the peer did not close first)."""
    protocol = ws.protocol
    if not isinstance(protocol, Protocol):  # a SockJS polling session
        return bool(getattr(ws, "closed_here", False))
    return protocol.close_sent is not None and protocol.close_rcvd_then_sent is not True


class DeadlineConnection(ServerConnection):
    """websockets' server connection, holding to its close deadline by itself.

    When a peer's frame makes websockets fail the connection (too big, not
    UTF-8, a protocol error) it sends its close frame and half-closes, then
    waits for the peer, and nothing enforces ``close_timeout`` until someone
    sends again: a silent peer kept the socket until our next heartbeat or the
    45 s websocket timeout. Here the deadline it sets is a timer.
    """

    _deadline_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.close_deadline is not None and self._deadline_timer is None:
            self._deadline_timer = self.loop.call_at(
                self.close_deadline, self._close_deadline_passed
            )

    def _close_deadline_passed(self) -> None:
        if self.protocol.state is not State.CLOSED:
            self.transport.abort()


class SocketDriver:
    """Drives one websocket through a ``ServerSession``."""

    def __init__(self, server: ServerPort, ws: ServerConnection, sockjs_framed: bool):
        self.server = server
        self.ws = ws
        self.sockjs = sockjs_framed
        self.loop = asyncio.get_running_loop()
        self.session = core.ServerSession(
            self.loop.time(),
            methods=lambda name: server.method_handler(name) is not None,
            publications=lambda name: server.publish_handler(name) is not None,
            heartbeat_interval=server.heartbeat_interval,
            heartbeat_timeout=server.heartbeat_timeout,
            disconnect_grace_period=server.disconnect_grace_period,
            max_message_queue_length=server.max_message_queue_length,
        )
        self.session.report_messages = server.reports_messages
        headers = ws.request.headers.raw_items() if ws.request else []
        self.http_headers = http_headers(headers)
        peer = ws.remote_address
        self.peer_address: str | None = str(peer[0]) if peer else None
        self.client_address = client_address(
            self.peer_address,
            self.http_headers.get("x-forwarded-for"),
            server.forwarded_count,
            server.forwarded_rule,
        )
        self.handle: ConnectionHandle | None = None
        self.finished = False
        keep = server.recent_frames
        self.recent: deque[Frame] | None = deque(maxlen=keep) if keep > 0 else None
        self._outq: list[str] = []
        # Frames waiting out the handle's ``output_latency``: (due, frames).
        self._delayed: deque[tuple[float, list[str]]] = deque()
        self._delay_timer: asyncio.TimerHandle | None = None
        self._queued_chars = 0  # text in _outq (characters: close enough to bytes)
        self._wake = asyncio.Event()
        self._close_after_flush = False
        self._timer = DeadlineTimer(self.loop, self._on_timer)
        self._pump_scheduled = False
        self._writing = False
        self._websocket_timer: asyncio.TimerHandle | None = None
        #: the socket is open and serves this driver's session
        self.attached = True
        #: who gets this socket's frames: this driver, or the one whose
        #: session its ``connect`` resumed
        self._owner: SocketDriver = self

    async def run(self) -> None:
        """Serve this driver's socket until it closes."""
        ws, sockjs_framed, wake = self.ws, self.sockjs, self._wake
        timeout = self.server.websocket_timeout
        if timeout > 0:
            self._websocket_timer = self.loop.call_later(
                timeout, self._websocket_timed_out
            )
        writer = asyncio.create_task(self._writer(ws, wake))
        heartbeat = (
            asyncio.create_task(self._sockjs_heartbeat(ws)) if sockjs_framed else None
        )
        ended_here = True  # a frame we refused ends the session, not the peer
        try:
            if sockjs_framed:
                await ws.send(sockjs.OPEN_FRAME)
            async for frame in ws:
                text = (
                    frame
                    if isinstance(frame, str)
                    else frame.decode("utf-8", "replace")
                )
                owner = self._owner
                try:
                    if sockjs_framed:
                        if not owner._receive_sockjs(text):
                            break
                    else:
                        owner._receive(text, self.loop.time())
                except Exception:
                    owner._fail("a frame could not be processed")
                    break
                owner.pump()
            else:
                ended_here = _closed_by_us(ws)
        except ConnectionClosed:
            ended_here = _closed_by_us(ws)
        finally:
            if self._owner is not self:
                self.attached = False  # this driver only forwarded the frames
            self._owner.socket_lost(ws, ended_here)
            wake.set()
            self._cancel_websocket_timeout()
            if heartbeat is not None:
                heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer

    def socket_lost(self, ws: ServerConnection, ended_here: bool) -> None:
        """``ws`` is gone: unless it was replaced, detach the session or end it.

        Only a loss the peer caused (a close frame, a reset, silence) may be
        resumed; a socket this server closed (a frame too big, broken
        framing, a deadline) ends its session as before.
        """
        if ws is not self.ws or not self.attached:
            return
        self.attached = False
        self._outq.clear()  # the history has it; a resumption replays it
        self._delayed.clear()
        self._queued_chars = 0
        if ended_here:
            self.session.close("socket closed")
        else:
            self.session.detach(self.loop.time())
        self.pump()

    def adopt(self, other: SocketDriver, received_count: int, version: str) -> bool:
        """Serve the session over ``other``'s socket from now on, if it can resume.

        The session queues ``connected`` and the replay; a socket of ours
        still open is closed (a replacement takes over an active session).
        """
        if self.finished or not self.session.resume(
            self.loop.time(), received_count, version
        ):
            return False
        old, was_attached = self.ws, self.attached
        self.ws, self.sockjs, self.attached = other.ws, other.sockjs, True
        self._outq.clear()  # already in the history, and in the replay
        self._delayed.clear()
        self._queued_chars = 0
        self._writing = False  # an old writer may be mid-batch on the old socket
        self._wake = asyncio.Event()
        spawn(self._writer(self.ws, self._wake))
        if self.recent is not None and other.recent is not None:
            self.recent.extend(other.recent)  # the `connect` that resumed it
        if self.handle is not None:
            self.handle.moved_to(other.peer_address, other.handle_transport)
        if was_attached:
            spawn(old.close(1000, "Replaced by a resumed socket"))
        self.pump()
        return True

    def retire(self, reason: str) -> None:
        """End the session now, attached or not (an invalid handoff, a stop)."""
        self.session.close(reason)
        self.pump()

    @property
    def handle_transport(self) -> str:
        return "sockjs" if self.sockjs else "websocket"

    def _websocket_timed_out(self) -> None:
        # stream_server.js setWebsocketTimeout(45 * 1000): a socket that never
        # got to the DDP handshake is dropped. Once a session exists the
        # timeout is cleared (Session ctor), so this only ends silent or
        # garbage-speaking sockets; they get a normal close.
        self._websocket_timer = None
        if self.session.id is None and not self.session.closed:
            self.session.close("no DDP connect before the websocket timeout")
            self.pump()

    def _cancel_websocket_timeout(self) -> None:
        if self._websocket_timer is not None:
            self._websocket_timer.cancel()
            self._websocket_timer = None

    async def _sockjs_heartbeat(self, ws: ServerConnection) -> None:
        # sockjs WebSocketReceiver.heartbeat: a WebSocket ping every
        # heartbeat_delay, close 3000 when its pong is 10 s late.
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(sockjs.HEARTBEAT_DELAY)
                pong = await ws.ping()
                try:
                    async with asyncio.timeout(sockjs.HEARTBEAT_TIMEOUT):
                        await pong
                except TimeoutError:
                    await ws.close(3000, "No response from heartbeat")
                    return

    def _receive_sockjs(self, text: str) -> bool:
        try:
            items = sockjs.decode_frame(text)
        except ValueError:
            spawn(self.ws.close(*sockjs.BROKEN_FRAMING))
            return False
        now = self.loop.time()
        for item in items:
            if isinstance(item, str):
                self._receive(item, now)
            else:  # Meteor's parseDDP(String(x)): objects become junk text
                text = "[object Object]" if isinstance(item, dict | list) else str(item)
                self._receive(text, now)
        return True

    def _receive(self, text: str, now: float) -> None:
        if self.recent is not None:
            self.recent.append(Frame(Direction.IN, now, _clip(text)))
        self.session.receive_text(text, now)

    def _fail(self, what: str) -> None:
        """A bug below us (never the peer's input): end this session alone.

        The traceback goes to the log; the socket is dropped without a close
        handshake (the writer may be what failed), the client reconnects, and
        every other session goes on.
        """
        log.exception("ddp-monitor: %s on session %s", what, self.session.id)
        if self.session.closed and self.finished:
            return
        self._outq.clear()
        self._queued_chars = 0
        self.session.close("internal error")
        self.session.events()  # nothing of this session runs any more
        self.session.messages_to_send()
        self._close_after_flush = True  # the writer ends; run() can return
        self._wake.set()
        self.ws.transport.abort()
        self.loop.call_soon(self._finish_close)

    def request_pump(self) -> None:
        """Pump soon, once, however many publication calls come first."""
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.server.request_pump(self)

    def pump(self) -> None:
        """Move the core's output to the writer and act on its events.

        Never raises: a failure here ends this session only (``_fail``), so
        a fan-out to many sessions reaches every other one.
        """
        try:
            self._pump()
        except Exception:
            self._fail("sending failed")

    def _pump(self) -> None:
        self._pump_scheduled = False
        session = self.session
        while True:
            out = session.messages_to_send()
            if out and self.recent is not None:
                self._remember(out)
            if out and (self._delayed or self._latency()):
                self._delay(out)
            elif out and not self._write_now(out):
                self._queue(out)
            events = session.events()
            if not events:
                break
            for event in events:
                self._dispatch(event)
        self._timer.follow(None if session.closed else session.next_deadline())
        if self.handle is not None and not self.finished:
            self.server.connection_active(self.handle)

    def _latency(self) -> float:
        handle = self.handle
        return handle.output_latency if handle is not None else 0.0

    def _delay(self, out: list[str]) -> None:
        # Frames queued before the latency was lifted still go first: one
        # stream, never out of order.
        self._delayed.append((self.loop.time() + self._latency(), out))
        if self._delay_timer is None:
            self._release_delayed()

    def _release_delayed(self) -> None:
        self._delay_timer = None
        now = self.loop.time()
        while self._delayed and self._delayed[0][0] <= now:
            frames = self._delayed.popleft()[1]
            if self.attached and not self.finished:
                self._queue(frames)
        if self._delayed:
            self._delay_timer = self.loop.call_at(
                self._delayed[0][0], self._release_delayed
            )

    def _queue(self, out: list[str]) -> None:
        self._outq.extend(out)
        self._queued_chars += sum(map(len, out))
        self._wake.set()
        if self._queued_chars > self.server.max_queued_bytes and not self.finished:
            log.warning(
                "dropping %s: %d characters queued for a client that does not read",
                self.peer_address,
                self._queued_chars,
            )
            self._outq.clear()  # free it now, not when the collector runs
            self._queued_chars = 0
            self.session.close("the client stopped reading")
            # Its receive buffer is full, so no close handshake can get through.
            self.ws.transport.abort()

    def _remember(self, out: list[str]) -> None:
        # Only the tail can survive in the ring: a 100,000-document burst
        # costs maxlen appends here, not 100,000.
        assert self.recent is not None
        now = self.loop.time()
        keep = self.recent.maxlen or 0
        self.recent.extend(Frame(Direction.OUT, now, _clip(t)) for t in out[-keep:])

    def _write_now(self, frames: list[str]) -> bool:
        """Write at once when nothing is queued and the socket keeps up.

        Saves a task switch per message batch (fan-out to many connections);
        under backpressure, with compression or SockJS the writer task does it.
        """
        ws = self.ws
        if (
            self._outq
            or self._writing
            or not self.attached
            or self.sockjs
            or ws.protocol.extensions
            or ws.protocol.state is not State.OPEN
            or ws.transport.is_closing()  # lost: asyncio would log every write
            or ws.transport.get_write_buffer_size() > _WRITE_BUFFER_LIMIT
        ):
            return False
        ws.transport.write(b"".join(text_frame(t.encode()) for t in frames))
        return True

    def _dispatch(self, event: core.ServerEvent) -> None:
        match event:
            case core.SessionStarted():
                self._cancel_websocket_timeout()
                self.handle = ConnectionHandle(
                    self.session,
                    client_address=self.client_address,
                    http_headers=self.http_headers,
                    peer_address=self.peer_address,
                    transport=self.handle_transport,
                    recent=self.recent,
                    pump=self.pump,
                )
                # Session ctor: `connected`, then the universal publications,
                # then (in _handleConnect) the onConnection hooks.
                for handler in list(self.server.universal_publications):
                    self.start_universal(handler)
                self.server.connection_opened(self.handle, self)
            case core.ResumeRequested(session_id, count, version):
                self._resume(session_id, count, version)
            case core.MessageReceived(message):
                if self.handle is not None:
                    self.server.message_received(self.handle, message)
            case core.MethodInvoked():
                invocation = MethodInvocation(self, event)
                fn = self.server.method_handler(event.method)
                assert fn is not None, "the session checked it exists"
                self._finish_soon(run_method(fn, invocation, event.params))
            case core.SubscriptionStarted(sub):
                self._finish_soon(self.run_subscription(sub))
            case core.CloseRequested():
                self._cancel_websocket_timeout()
                self._close_after_flush = True
                self._wake.set()
                self.loop.call_soon(self._finish_close)

    def _resume(self, session_id: str, received_count: int, version: str) -> None:
        """This socket's ``connect`` asks for a session: hand it over, or start anew."""
        owner = self.server.session_owner(session_id)
        now = self.loop.time()
        if isinstance(owner, SocketDriver) and owner is not self:
            if owner.adopt(self, received_count, version):
                self._owner = owner
                self._cancel_websocket_timeout()
                for text in self.session.hand_over():
                    owner._receive(text, now)
                owner.pump()
                return
            owner.retire("an invalid resumption")  # Meteor retires the old session
        self.session.resume_refused(now)

    def run_subscription(self, sub: ServerSubscription) -> Awaitable[None] | None:
        """Run a subscription's handler; an awaitable while a coroutine one runs."""
        if sub.handler is not None:
            fn = cast(PublishHandler, sub.handler)
        else:
            assert sub.name is not None
            publish = self.server.publish_handler(sub.name)
            assert publish is not None, "the session checked it exists"
            fn = publish
        return run_publication(fn, Subscription(self, sub))

    def start_universal(self, handler: PublishHandler) -> None:
        """Run a universal publication on this session (it blocks no message)."""
        sub = self.session.start_universal(handler)
        if sub is not None:
            self._finish_soon(self.run_subscription(sub))

    def _finish_soon(self, pending: Awaitable[None] | None) -> None:
        # A coroutine handler keeps running in its own task; the core stays
        # blocked (or not, after unblock) until it calls back.
        if pending is not None:
            spawn(pending)

    def _finish_close(self) -> None:
        # livedata_server.js Session.close, deferred half: publications' stop
        # callbacks first, then onClose callbacks in registration order.
        if self.finished:
            return
        self.finished = True
        self.session.deactivate_all()
        if self.handle is not None:
            self.server.connection_closed(self.handle)
            self.handle.finish()

    async def _writer(self, ws: ServerConnection, wake: asyncio.Event) -> None:
        """Write the queue to ``ws`` while it is this driver's socket."""
        while True:
            await wake.wait()
            wake.clear()
            if ws is not self.ws:
                return  # replaced by a resumed socket
            self._writing = True  # frames must not overtake this batch
            while self._outq and ws is self.ws:
                batch, self._outq = self._outq, []
                self._queued_chars = 0
                try:
                    if self.sockjs:
                        for start in range(0, len(batch), _WRITE_CHUNK):
                            chunk = batch[start : start + _WRITE_CHUNK]
                            await ws.send(sockjs.encode_messages(chunk))
                    else:
                        await _send_each(ws, batch)
                finally:
                    # A dropped client's traceback keeps this frame (and the
                    # batch it sends) alive in a reference cycle: empty it.
                    batch.clear()
            if ws is not self.ws:
                return
            self._writing = False
            if not self.attached:
                return  # lost: the session waits for a resumption, or ended
            if self._close_after_flush:
                if self.sockjs:
                    await ws.send(sockjs.close_frame(1000, "Normal closure"))
                await ws.close(1000, "Normal closure")
                return

    @property
    def universal_publications(self) -> Sequence[PublishHandler]:
        return self.server.universal_publications

    def _on_timer(self, deadline: float) -> None:
        self.session.handle_timer(max(self.loop.time(), deadline))
        self.pump()
