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
from websockets.protocol import State

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

__all__ = ["RECENT_FRAME_CHARS", "SocketDriver", "text_frame"]

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
        self._queued_chars = 0  # text in _outq (characters: close enough to bytes)
        self._wake = asyncio.Event()
        self._close_after_flush = False
        self._timer = DeadlineTimer(self.loop, self._on_timer)
        self._pump_scheduled = False
        self._writing = False
        self._websocket_timer: asyncio.TimerHandle | None = None

    async def run(self) -> None:
        timeout = self.server.websocket_timeout
        if timeout > 0:
            self._websocket_timer = self.loop.call_later(
                timeout, self._websocket_timed_out
            )
        writer = asyncio.create_task(self._writer())
        heartbeat = (
            asyncio.create_task(self._sockjs_heartbeat()) if self.sockjs else None
        )
        try:
            if self.sockjs:
                await self.ws.send(sockjs.OPEN_FRAME)
            async for frame in self.ws:
                text = (
                    frame
                    if isinstance(frame, str)
                    else frame.decode("utf-8", "replace")
                )
                try:
                    if self.sockjs:
                        if not self._receive_sockjs(text):
                            break
                    else:
                        self._receive(text, self.loop.time())
                except Exception:
                    self._fail("a frame could not be processed")
                    break
                self.pump()
        except ConnectionClosed:
            pass
        finally:
            self.session.close("socket closed")
            self.pump()
            self._wake.set()
            self._cancel_websocket_timeout()
            if heartbeat is not None:
                heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer
            self._timer.cancel()

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

    async def _sockjs_heartbeat(self) -> None:
        # sockjs WebSocketReceiver.heartbeat: a WebSocket ping every
        # heartbeat_delay, close 3000 when its pong is 10 s late.
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(sockjs.HEARTBEAT_DELAY)
                pong = await self.ws.ping()
                try:
                    async with asyncio.timeout(sockjs.HEARTBEAT_TIMEOUT):
                        await pong
                except TimeoutError:
                    await self.ws.close(3000, "No response from heartbeat")
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
            if out and not self._write_now(out):
                self._queue(out)
            events = session.events()
            if not events:
                break
            for event in events:
                self._dispatch(event)
        self._timer.follow(None if session.closed else session.next_deadline())
        if self.handle is not None and not self.finished:
            self.server.connection_active(self.handle)

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
                    transport="sockjs" if self.sockjs else "websocket",
                    recent=self.recent,
                    pump=self.pump,
                )
                # Session ctor: `connected`, then the universal publications,
                # then (in _handleConnect) the onConnection hooks.
                for handler in list(self.server.universal_publications):
                    self.start_universal(handler)
                self.server.connection_opened(self.handle)
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

    async def _writer(self) -> None:
        ws = self.ws
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._writing = True  # frames must not overtake this batch
            while self._outq:
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
            self._writing = False
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
