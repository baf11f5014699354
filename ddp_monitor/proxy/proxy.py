"""``DDPProxy``: a Meteor app's DDP clients, one by one, through a proxy with faults.

Owns the listening socket (what Meteor's server accepts: raw ``/websocket``,
SockJS's ``/info``, websocket and polling transports; everything else passed
through to the app), one ``ProxiedConnection`` per client with its own
upstream socket, the faults for all, battery saving's refusals, and the
listeners the window and the control endpoint follow. Imports ``ddp``
(faults), ``transport.server`` (the front door, SockJS framing and polling),
``transport.client`` (the upstream link, Meteor's URL rules) and its siblings
``relay``, ``client_side`` and ``passthrough``.

An upstream socket is opened before the client's handshake is answered: if
the app is down, the client's WebSocket handshake fails (502) as it would
against the app, instead of opening and closing at once. The upstream
request carries the client's headers (less the hop-by-hop and WebSocket
ones) and ``X-Forwarded-For`` with the client's address appended, so an app
with ``HTTP_FORWARDED_COUNT=1`` sees the real client in
``this.connection.clientAddress``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ddp_monitor.ddp.fault_link import Refusals
from ddp_monitor.ddp.faults import NO_FAULTS, Faults
from ddp_monitor.proxy.client_side import ClientSide, DirectServerConnection
from ddp_monitor.proxy.passthrough import HOP_BY_HOP, PassThrough, forwarded_for
from ddp_monitor.proxy.relay import ProxiedConnection
from ddp_monitor.recording.interpreter import WireRecorder
from ddp_monitor.recording.recorder import Recorder, RecordingWriter
from ddp_monitor.transport.client.fast_link import FastLink
from ddp_monitor.transport.client.link import CLOSE_TIMEOUT, Link, classify, open_link
from ddp_monitor.transport.client.urls import to_websocket_url
from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.callbacks import spawn
from ddp_monitor.transport.server.http_door import (
    HttpHandler,
    HttpRequest,
    front_door,
    write_response,
)
from ddp_monitor.transport.server.sockjs_polling import PollingSocket, SockJSPolling

__all__ = [
    "DEFAULT_PORT",
    "DDPProxy",
    "ProxyConnectionChanged",
    "ProxyConnectionClosed",
    "ProxyConnectionOpened",
    "ProxyEvent",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 3100
#: websockets' handshake headers and the ones it sets itself on the upstream side.
_NOT_FORWARDED = HOP_BY_HOP | {
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "sec-websocket-accept",
}


@dataclass(frozen=True, slots=True)
class ProxyConnectionOpened:
    connection: ProxiedConnection


@dataclass(frozen=True, slots=True)
class ProxyConnectionChanged:
    connection: ProxiedConnection


@dataclass(frozen=True, slots=True)
class ProxyConnectionClosed:
    connection: ProxiedConnection


ProxyEvent = ProxyConnectionOpened | ProxyConnectionChanged | ProxyConnectionClosed


def upstream_urls(upstream: str) -> tuple[str, str]:
    """The app's ``ws(s)://.../websocket`` and its ``http(s)://host:port`` (Meteor's URL rules)."""
    ws_url = to_websocket_url(upstream)
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return ws_url, f"{scheme}://{parts.netloc}"


class DDPProxy:
    """A DDP proxy in front of one Meteor app.

    Args:
        upstream: the app, as ``DDP.connect`` takes it (``http://host:3000``,
            ``host:3000``, ``ws://host:3000/websocket``).
        host, port: where clients connect (port 0: any free port).
        faults: the faults for all, given to every new connection.
        record_to: write each client connection's recording into this folder
            (``<start>-<id>.ddprec``, as it happens; docs/recording-format.md).
        record_ring: keep the last this many items of each connection in
            memory for ``connection.recorder`` (the window's Save recording).
    """

    def __init__(
        self,
        upstream: str,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        faults: Faults = NO_FAULTS,
        record_to: Path | None = None,
        record_ring: int = 0,
    ) -> None:
        self.upstream = upstream
        self.record_to = record_to
        self.record_ring = record_ring
        self.upstream_ws, self.upstream_http = upstream_urls(upstream)
        self.host = host
        self._port = port
        self.faults_for_all = faults
        self.refusals = Refusals()
        self._passthrough = PassThrough(self.upstream_http)
        self._polling = SockJSPolling(self._polling_session)
        self._connections: dict[str, ProxiedConnection] = {}
        self._listeners: list[Callable[[ProxyEvent], Any]] = []
        self._changed: dict[ProxiedConnection, None] = {}
        self._flush_scheduled = False
        self._server: Server | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await serve(
            self._handle_socket,
            self.host,
            self._port,
            process_request=self._process_request,
            create_connection=front_door(
                self._route, self._answer, DirectServerConnection
            ),
            compression=None,
            max_size=None,  # the app's frames pass whatever their size
            ping_interval=None,  # heartbeats run end to end
            server_header=None,
            close_timeout=CLOSE_TIMEOUT,  # stopping does not wait 10 s on a silent client
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._polling.close_all()
        self._server.close()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> DDPProxy:
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
            raise RuntimeError("the proxy is not started")
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        """The proxy's address as a Meteor app URL (``DDP_DEFAULT_CONNECTION_URL``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- what the window and the control endpoint use -------------------------------------

    @property
    def connections(self) -> list[ProxiedConnection]:
        """The proxied connections, oldest first."""
        return list(self._connections.values())

    def connection(self, connection_id: str) -> ProxiedConnection:
        """Raises KeyError for an unknown (or closed) connection."""
        return self._connections[connection_id]

    def add_listener(self, fn: Callable[[ProxyEvent], Any]) -> Callable[[], None]:
        """``fn(event)`` when a connection opens, changes (once a loop turn) or closes."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def set_faults(self, connection_id: str | None, faults: Faults) -> None:
        """Faults for one connection, or (None) for all: every open one and every new one.

        Battery saving acts at once: the client's socket closes and its
        reconnects are refused for that long; it is not kept as a setting.
        """
        targets = (
            self.connections
            if connection_id is None
            else [self.connection(connection_id)]
        )
        saving = faults.battery_saving
        faults = replace(faults, battery_saving=0.0)
        if connection_id is None:
            self.faults_for_all = faults
        for connection in targets:
            connection.set_faults(faults)
            if saving > 0:
                self.refusals.refuse(
                    connection.identity, connection.loop.time() + saving
                )
                spawn(connection.close())
        self._emit_changes(targets)

    def close(self, connection_id: str) -> None:
        spawn(self.connection(connection_id).close())

    def close_upstream(self, connection_id: str) -> None:
        spawn(self.connection(connection_id).close_upstream())

    def reset(self, connection_id: str) -> None:
        self.connection(connection_id).reset()

    # -- routing ----------------------------------------------------------------------------

    def _route(self, request: HttpRequest) -> HttpHandler | None:
        path = request.path
        polling = self._polling.route(request)
        if polling is not None:
            if self._refused(request.headers, request.remote_address):
                return _refuse
            return polling
        if path in sockjs.RAW_WEBSOCKET_PATHS or sockjs.SESSION_PATH.fullmatch(path):
            return None  # websockets: the handshake
        if path.rstrip("/") == "/sockjs/info":
            return None  # answered in _answer, as Meteor's sockjs does
        return self._passthrough

    def _answer(self, connection: Any, request: Request) -> Response | None:
        """What a plain request for a DDP path gets (``/info``, a refused client)."""
        path = request.path.split("?", 1)[0]
        if self._refused(request.headers, getattr(connection, "remote_address", None)):
            refused: Response = connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "Battery saving\n"
            )
            return refused
        if path.rstrip("/") == "/sockjs/info":
            status, reason, headers, body = sockjs.info_answer(
                request.method, request.headers.get
            )
            headers.append(("Content-Length", str(len(body))))
            return Response(status, reason, Headers(headers), body)
        if path in sockjs.RAW_WEBSOCKET_PATHS or sockjs.SESSION_PATH.fullmatch(path):
            return None
        not_found: Response = connection.respond(HTTPStatus.NOT_FOUND, "Not found\n")
        return not_found

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        response = self._answer(connection, request)
        if response is not None:
            return response
        try:
            link = await self._open_upstream(request.headers, connection.remote_address)
        except Exception as exc:
            return connection.respond(
                HTTPStatus.BAD_GATEWAY, f"ddp-monitor proxy: {classify(exc)}\n"
            )
        assert isinstance(connection, DirectServerConnection)
        connection.upstream_link = link
        return None

    def _refused(self, headers: Headers, peer: Any) -> bool:
        address = str(peer[0]) if peer else None
        key = f"{address} {headers.get('User-Agent') or ''}"
        return self.refusals.refused(key, asyncio.get_running_loop().time())

    async def _open_upstream(self, headers: Headers, peer: Any) -> Link:
        sent = {
            name: value
            for name, value in headers.raw_items()
            if name.lower() not in _NOT_FORWARDED and name.lower() != "x-forwarded-for"
        }
        sent["X-Forwarded-For"] = forwarded_for(
            headers.get("X-Forwarded-For"), str(peer[0]) if peer else None
        )
        return await open_link(
            self.upstream_ws,
            compression=False,
            max_message_size=None,
            headers=sent,
            link_class=FastLink,
        )

    # -- clients ------------------------------------------------------------------------------

    async def _handle_socket(self, ws: ServerConnection) -> None:
        assert isinstance(ws, DirectServerConnection)
        link: Link = ws.upstream_link
        path = ws.request.path.split("?", 1)[0] if ws.request else ""
        framing = "sockjs" if sockjs.SESSION_PATH.fullmatch(path) else "websocket"
        await self._relay(ClientSide(ws, framing), link)

    def _polling_session(self, socket: PollingSocket) -> None:
        spawn(self._polling_relay(socket))

    async def _polling_relay(self, socket: PollingSocket) -> None:
        try:
            link = await self._open_upstream(
                socket.request.headers, socket.remote_address
            )
        except Exception as exc:
            # The SockJS client sees its session open and close, as after a restart.
            socket.push(sockjs.OPEN_FRAME)
            socket.push(sockjs.close_frame(1011, f"upstream: {classify(exc)}"))
            return
        await self._relay(ClientSide(socket, socket.protocol), link)

    async def _relay(self, client: ClientSide, link: Link) -> None:
        headers = dict((k.lower(), v) for k, v in client.headers)
        connection = ProxiedConnection(
            client,
            link,
            self.faults_for_all,
            forwarded_for=forwarded_for(
                headers.get("x-forwarded-for"), client.peer_address
            ),
            on_change=self._changed_soon,
            on_closed=self._closed,
        )
        connection.recorder = self._recorder_for(connection)
        self._connections[connection.id] = connection
        self._emit(ProxyConnectionOpened(connection))
        await connection.run()

    def _recorder_for(self, connection: ProxiedConnection) -> WireRecorder | None:
        if self.record_to is None and not self.record_ring:
            return None
        recorder = Recorder(self.upstream_ws, limit=self.record_ring)
        if self.record_to is not None:
            stamp = recorder.started.strftime("%Y%m%d-%H%M%S")
            path = self.record_to / f"{stamp}-{connection.id}.ddprec"
            header = recorder.header(
                proxied_client={
                    "connection": connection.id,
                    "address": connection.forwarded_for,
                    "user_agent": connection.user_agent,
                }
            )
            try:
                recorder.writer = RecordingWriter.open(path, header, recorder.origin)
            except OSError as exc:  # the relay goes on; only its file is missing
                log.warning("cannot record connection %s: %s", connection.id, exc)
                if not self.record_ring:
                    return None
        return WireRecorder(recorder)

    def _closed(self, connection: ProxiedConnection) -> None:
        self._changed.pop(connection, None)
        if self._connections.pop(connection.id, None) is not None:
            self._emit(ProxyConnectionClosed(connection))

    # -- events ----------------------------------------------------------------------------------

    def _changed_soon(self, connection: ProxiedConnection) -> None:
        if not self._listeners:
            return
        self._changed[connection] = None
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _emit_changes(self, connections: list[ProxiedConnection]) -> None:
        for connection in connections:
            self._changed_soon(connection)

    def _flush(self) -> None:
        self._flush_scheduled = False
        changed, self._changed = list(self._changed), {}
        for connection in changed:
            if connection.id in self._connections:
                self._emit(ProxyConnectionChanged(connection))

    def _emit(self, event: ProxyEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                log.exception("Exception in proxy listener")


async def _refuse(
    request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """Battery saving: the client's reconnect fails."""
    write_response(
        writer,
        503,
        [("Content-Type", "text/plain")],
        b"Battery saving\n",
        keep_alive=False,
    )
    return False
