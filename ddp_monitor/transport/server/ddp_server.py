"""``DDPServer``: a Meteor-compatible DDP server on ``websockets.asyncio.server``.

Owns the listening socket, routing (raw WebSocket at ``/websocket``, SockJS at
``/sockjs/info`` and ``/sockjs/<server>/<session>/websocket``, 404 elsewhere),
the method and publication registries, ``on_connection`` hooks and the live
connection list the server panel shows. Imports ``ddp`` and its siblings
``connection`` (one ``SocketDriver`` runs each socket; this class meets its
``ports.ServerPort``), ``handle``, ``context``, ``sockjs`` and ``callbacks``.

Introspection: ``add_listener(fn)`` gets ``ConnectionOpened``,
``ConnectionClosed`` and ``ConnectionChanged`` (subscriptions, user or message
counts moved; at most one per connection per loop iteration) with the
``ConnectionHandle``; each handle also keeps its DDP
``version`` and a small ring of ``recent_frames`` for the server panel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, cast

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Request, Response

from ddp_monitor.ddp.heartbeat import SERVER_INTERVAL, SERVER_TIMEOUT
from ddp_monitor.ddp.server.forwarding import ForwardedRule, parse_forwarded_count
from ddp_monitor.ddp.server.resumption import (
    DEFAULT_DISCONNECT_GRACE_PERIOD,
    DEFAULT_MAX_MESSAGE_QUEUE_LENGTH,
)
from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.callbacks import call_hook, spawn
from ddp_monitor.transport.server.connection import DeadlineConnection, SocketDriver
from ddp_monitor.transport.server.context import MethodInvocation, Subscription
from ddp_monitor.transport.server.handle import ConnectionHandle
from ddp_monitor.transport.server.http_door import front_door
from ddp_monitor.transport.server.ports import (
    MethodHandler,
    PublishHandler,
    Pumped,
    SessionOwner,
)
from ddp_monitor.transport.server.sockjs_polling import PollingSocket, SockJSPolling

__all__ = [
    "ConnectionChanged",
    "ConnectionClosed",
    "ConnectionHandle",
    "ConnectionOpened",
    "DDPServer",
    "Hook",
    "MethodInvocation",
    "Subscription",
    "forwarded_count_from_environment",
]

log = logging.getLogger(__name__)

#: faye-websocket (Meteor's) accepts up to 64 MiB; we default lower.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: Enough to see a connection's last exchange; a few KB per idle connection.
DEFAULT_RECENT_FRAMES = 16
#: stream_server.js setWebsocketTimeout(45 * 1000): time to send ``connect``.
DEFAULT_WEBSOCKET_TIMEOUT = 45.0
#: Node's listen backlog (asyncio's default is 100: a connect storm waits).
LISTEN_BACKLOG = 511
#: A client that does not answer our close frame within this is cut off
#: (websockets' default is 10 s: a dead peer's socket would linger that long).
CLOSE_TIMEOUT = 2.0
#: Text queued for a client that does not read. Meteor has no bound (a client
#: that never reads grows the server without limit); ours cuts it off here,
#: far above any publication's initial burst.
DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024


def forwarded_count_from_environment() -> int:
    """``HTTP_FORWARDED_COUNT`` as Meteor reads it (``parseInt(...) || 0``)."""
    return parse_forwarded_count(os.environ.get("HTTP_FORWARDED_COUNT"))


@dataclass(frozen=True, slots=True)
class ConnectionOpened:
    connection: ConnectionHandle


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    connection: ConnectionHandle


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    connection: ConnectionHandle


ServerListenerEvent = ConnectionOpened | ConnectionClosed | ConnectionChanged


def _introspected(handle: ConnectionHandle) -> tuple[Any, ...]:
    """What the server panel shows of a connection that can change."""
    return (
        handle.messages_in,
        handle.messages_out,
        tuple(handle.subscriptions.items()),
        handle.user_id,
        handle.resumptions,
        handle.detached,
    )


class Hook:
    """What ``on_connection`` returns: ``stop()`` unregisters the callback."""

    def __init__(self, hooks: list[Callable[..., Any]], fn: Callable[..., Any]):
        self._hooks, self._fn = hooks, fn

    def stop(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class DDPServer:
    """A DDP server that behaves like Meteor's (``ddp-server`` + sockjs).

    Args:
        host, port: where to listen; port 0 picks a free port.
        forwarded_count: proxies in front (``HTTP_FORWARDED_COUNT``); None reads
            the environment variable as Meteor does.
        forwarded_rule: ``client_address`` rule (current ddp-server or legacy).
        heartbeat_interval, heartbeat_timeout: DDP heartbeats, seconds (0: off).
        compression: offer permessage-deflate (off by default, see issue 2).
        max_message_size: bytes; a bigger frame closes that socket with 1009.
        recent_frames: how many of each connection's last DDP messages its
            handle remembers (0: none), for the server panel's detail view.
        websocket_timeout: seconds a socket may stay open without sending
            ``connect`` (Meteor's 45 s); 0 keeps it open forever.
        max_queued_bytes: text waiting for a client that does not read; past
            it the socket is dropped (1008), so one stuck client cannot eat
            the server's memory.
        disconnect_grace_period: seconds a session whose socket was lost
            (not closed on purpose) waits for its client to resume it (Meteor's
            ``disconnectGracePeriod``, 15 s); 0 turns session resumption off.
        max_message_queue_length: frames a session keeps for a replay, and
            holds at most while it waits (Meteor's ``maxMessageQueueLength``).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        forwarded_count: int | None = None,
        forwarded_rule: ForwardedRule = ForwardedRule.CURRENT,
        heartbeat_interval: float = SERVER_INTERVAL,
        heartbeat_timeout: float = SERVER_TIMEOUT,
        compression: bool = False,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        recent_frames: int = DEFAULT_RECENT_FRAMES,
        websocket_timeout: float = DEFAULT_WEBSOCKET_TIMEOUT,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        disconnect_grace_period: float = DEFAULT_DISCONNECT_GRACE_PERIOD,
        max_message_queue_length: int = DEFAULT_MAX_MESSAGE_QUEUE_LENGTH,
    ) -> None:
        self.host = host
        self._port = port
        if forwarded_count is None:
            forwarded_count = forwarded_count_from_environment()
        self.forwarded_count = forwarded_count
        self.forwarded_rule = ForwardedRule(forwarded_rule)
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.compression = compression
        self.max_message_size = max_message_size
        self.recent_frames = recent_frames
        self.websocket_timeout = websocket_timeout
        self.max_queued_bytes = max_queued_bytes
        self.disconnect_grace_period = disconnect_grace_period
        self.max_message_queue_length = max_message_queue_length
        self._methods: dict[str, MethodHandler] = {}
        self._publications: dict[str, PublishHandler] = {}
        self._universal_publications: list[PublishHandler] = []
        self._changed: dict[ConnectionHandle, None] = {}
        self._last_seen: dict[str, tuple[Any, ...]] = {}
        self._flush_scheduled = False
        self._to_pump: dict[Pumped, None] = {}
        self._connection_hooks: list[Callable[[ConnectionHandle], Any]] = []
        self._message_hooks: list[
            Callable[[dict[str, Any], ConnectionHandle], Any]
        ] = []
        #: sessions report each message (``on_message`` has been used)
        self.reports_messages = False
        self._listeners: list[Callable[[ServerListenerEvent], Any]] = []
        self._connections: dict[str, ConnectionHandle] = {}
        # Who runs each live session, with a socket or in its grace period.
        self._owners: dict[str, SessionOwner] = {}
        # Insertion-ordered: oldest first, as ``connections``.
        self._drivers: dict[SocketDriver, None] = {}
        self._server: Server | None = None
        # SockJS's polling transports (xhr, jsonp), which Meteor's browser
        # client falls back to without WebSocket; served by the front door.
        self._polling = SockJSPolling(self._handle_polling)

    # -- application API ------------------------------------------------------

    def methods(self, handlers: dict[str, MethodHandler]) -> None:
        """Register methods: ``fn(invocation, *params)`` returns a value or awaitable.

        Raises:
            TypeError: a handler is not callable (Meteor's "must be a function").
            ValueError: a method of that name exists.
        """
        for name, fn in handlers.items():
            if not callable(fn):
                raise TypeError(f"Method '{name}' must be a function")
            if name in self._methods:
                raise ValueError(f"A method named '{name}' is already defined")
        self._methods.update(handlers)

    def publish(self, name: str | None, fn: PublishHandler) -> None:
        """Register a publication: ``fn(sub, *params)``; may return a cursor.

        ``name=None`` is Meteor's ``Meteor.publish(null, fn)``: a universal
        publication, run for every session as it connects (and at once on
        the sessions already open), never sending ``ready``.
        """
        if name is None:
            self._universal_publications.append(fn)
            for owner in list(self._owners.values()):
                if not owner.session.closed:
                    owner.start_universal(fn)
                    owner.pump()
            return
        if name in self._publications:
            raise ValueError(f"Ignoring duplicate publish named '{name}'")
        self._publications[name] = fn

    def on_connection(self, callback: Callable[[ConnectionHandle], Any]) -> Hook:
        """Call ``callback(connection)`` after each new session sent ``connected``."""
        self._connection_hooks.append(callback)
        return Hook(self._connection_hooks, callback)

    def on_message(
        self, callback: Callable[[dict[str, Any], ConnectionHandle], Any]
    ) -> Hook:
        """Meteor's ``onMessage``: ``callback(message, connection)`` before each message runs.

        Every message a session queues (methods, subs, unsubs, unknown ones;
        not ``connect``, ``ping`` or ``pong``) is handed over decoded, just
        before it is processed; Meteor passes its session where this passes
        the connection handle. An exception is logged and the message runs.
        """
        self._message_hooks.append(callback)
        if not self.reports_messages:
            self.reports_messages = True
            for driver in self._drivers:
                driver.session.report_messages = True
            for owner in self._owners.values():
                owner.session.report_messages = True
        return Hook(self._message_hooks, callback)

    def add_listener(self, fn: Callable[[ServerListenerEvent], Any]) -> Hook:
        """Introspection: ``fn(event)`` when a connection opens, closes or changes."""
        self._listeners.append(fn)
        return Hook(self._listeners, fn)

    @property
    def connections(self) -> list[ConnectionHandle]:
        """The live connections, oldest first."""
        return list(self._connections.values())

    @property
    def method_names(self) -> list[str]:
        """The registered methods' names, in registration order."""
        return list(self._methods)

    @property
    def publication_names(self) -> list[str]:
        """The named publications, in registration order."""
        return list(self._publications)

    @property
    def open_sockets(self) -> int:
        """Sockets open now, with or without a DDP session (stream_server.js ``open_sockets``)."""
        return len(self._drivers)

    # -- lifecycle ------------------------------------------------------------

    async def start(self, sock: socket.socket | None = None) -> None:
        """Listen on ``host:port``, or on ``sock``: a socket already bound and
        listening (the window binds it, so a taken port is its error, and its
        hosted server's own process serves it)."""
        extensions = [ServerPerMessageDeflateFactory()] if self.compression else None
        self._server = await serve(
            self._handle_socket,
            None if sock else self.host,
            None if sock else self._port,
            sock=sock,
            process_request=self._process_request,
            compression=None,
            extensions=extensions,
            max_size=self.max_message_size,
            ping_interval=None,  # DDP has its own heartbeats; sockjs's are per socket
            server_header=None,
            close_timeout=CLOSE_TIMEOUT,
            backlog=LISTEN_BACKLOG,
            create_connection=front_door(
                self._polling.route, self._process_request, DeadlineConnection
            ),
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._polling.close_all()
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        # Sessions waiting for a resumption end with the server.
        for owner in list(self._owners.values()):
            owner.retire("the server stopped")

    async def __aenter__(self) -> DDPServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        sock = next(iter(self._server.sockets))
        return int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/websocket"

    # -- sockets --------------------------------------------------------------

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path in sockjs.RAW_WEBSOCKET_PATHS or sockjs.SESSION_PATH.fullmatch(path):
            return None  # go on with the WebSocket handshake
        if path.rstrip("/") == "/sockjs/info":
            status, reason, headers, body = sockjs.info_answer(
                request.method, request.headers.get
            )
            headers.append(("Content-Length", str(len(body))))
            return Response(status, reason, Headers(headers), body)
        return connection.respond(HTTPStatus.NOT_FOUND, "Not found\n")

    async def _handle_socket(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0] if ws.request else ""
        driver = SocketDriver(
            self, ws, sockjs_framed=bool(sockjs.SESSION_PATH.fullmatch(path))
        )
        await self._run_driver(driver)

    def _handle_polling(self, socket: PollingSocket) -> None:
        # A polling session quacks like a SockJS websocket (see sockjs_polling).
        driver = SocketDriver(self, cast(ServerConnection, socket), sockjs_framed=True)
        spawn(self._run_driver(driver))

    async def _run_driver(self, driver: SocketDriver) -> None:
        self._drivers[driver] = None
        try:
            await driver.run()
        finally:
            self._drivers.pop(driver, None)

    # -- what each socket's driver reads and reports (ports.ServerPort) --------

    def method_handler(self, name: str) -> MethodHandler | None:
        return self._methods.get(name)

    def publish_handler(self, name: str) -> PublishHandler | None:
        return self._publications.get(name)

    @property
    def universal_publications(self) -> Sequence[PublishHandler]:
        return self._universal_publications

    def connection_opened(self, handle: ConnectionHandle, owner: SessionOwner) -> None:
        """A session sent ``connected``: list it, then run the onConnection hooks."""
        self._connections[handle.id] = handle
        self._owners[handle.id] = owner
        self._emit(ConnectionOpened(handle))
        # Meteor runs onConnection hooks after `connected`; a hook that closes
        # the connection stops the rest, and one that an earlier hook stopped
        # does not run (callback-hook's each() reads the list as it goes).
        for hook in list(self._connection_hooks):
            if handle.closed:
                break
            if hook in self._connection_hooks:
                call_hook(hook, handle, name="onConnection")

    def message_received(
        self, handle: ConnectionHandle, message: dict[str, Any]
    ) -> None:
        """A session's next message is about to run: the onMessage hooks."""
        for hook in list(self._message_hooks):
            if hook in self._message_hooks:
                call_hook(hook, message, handle, name="onMessage")

    def session_owner(self, session_id: str) -> SessionOwner | None:
        return self._owners.get(session_id)

    def connection_closed(self, handle: ConnectionHandle) -> None:
        self._owners.pop(handle.id, None)
        self._last_seen.pop(handle.id, None)
        self._changed.pop(handle, None)
        if self._connections.pop(handle.id, None) is not None:
            self._emit(ConnectionClosed(handle))

    def request_pump(self, driver: Pumped) -> None:
        """Pump ``driver`` in the next loop turn, with every other one asking.

        One change to a live query reaches every subscriber's session: a
        callback per connection would be a thousand loop handles (under
        qasync, a thousand Qt timer events) where one does.
        """
        if not self._to_pump:
            asyncio.get_running_loop().call_soon(self._pump_requested)
        self._to_pump[driver] = None

    def _pump_requested(self) -> None:
        drivers, self._to_pump = self._to_pump, {}
        for driver in drivers:
            driver.pump()

    def connection_active(self, handle: ConnectionHandle) -> None:
        """A driver processed something: report it once, after this loop turn.

        Drivers pump after every step (each frame, each handler); emitting a
        ``ConnectionChanged`` per step made the server panel repaint per
        frame. Changes are gathered and sent once per event-loop iteration,
        and only for a connection whose introspected values really moved.
        """
        if not self._listeners or handle.id not in self._connections:
            return
        self._changed[handle] = None
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_changes)

    def _flush_changes(self) -> None:
        self._flush_scheduled = False
        handles, self._changed = list(self._changed), {}
        for handle in handles:
            if handle.id not in self._connections:
                continue
            seen = _introspected(handle)
            if self._last_seen.get(handle.id) != seen:
                self._last_seen[handle.id] = seen
                self._emit(ConnectionChanged(handle))

    def _emit(self, event: ServerListenerEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                log.exception("Exception in server listener")
