"""The front door: plain HTTP requests that websockets' server cannot serve.

Owns ``HttpRequest`` (a parsed request head), ``front_door(router,
fallback)`` (a ``ServerConnection`` class for ``serve(create_connection=)``)
and the small HTTP/1.1 helpers its handlers use (``read_body``,
``write_response``). Imports websockets (its ``ServerConnection``,
``Headers``, ``Request``, ``Response``), asyncio and ``callbacks``.

websockets reads a request head and nothing more: it refuses a body and
closes the connection after every answer. SockJS's polling transports
(``xhr_send`` and ``jsonp_send`` carry bodies; polls are held open) and the
proxy's pass-through need both. The door reads each new connection's first
request head itself. When ``router(request)`` returns a handler the
connection leaves websockets for asyncio streams (``StreamReader`` /
``StreamWriter``) and stays there, kept alive between requests; the next
requests go to ``router`` again, and what it declines is answered as
websockets would have answered it (``fallback``, the server's
``process_request``). Everything else (every WebSocket handshake, ``/info``,
404s) is handed to websockets untouched, byte for byte, so the WebSocket
paths behave exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ddp_monitor.transport.server.callbacks import spawn

__all__ = [
    "MAX_BODY",
    "Fallback",
    "HttpHandler",
    "HttpRequest",
    "Router",
    "front_door",
    "read_body",
    "write_response",
]

log = logging.getLogger(__name__)

#: A request head larger than this is websockets' to refuse (431).
MAX_HEAD = 64 * 1024
#: sockjs-node reads whole bodies into memory too; 16 MiB as DDPServer's frames.
MAX_BODY = 16 * 1024 * 1024
#: An idle kept-alive connection is closed after this (Node's http: 5 s; a
#: poll arriving just after must not find it gone, so longer).
KEEP_ALIVE = 65.0


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request head: ``method``, ``target`` (path and query), ``headers``."""

    method: str
    target: str
    version: str
    headers: Headers
    remote_address: tuple[Any, ...] | None
    head: bytes  # as received, for the proxy's pass-through
    #: Done when the client's connection is lost: a handler holding a request
    #: open (a SockJS poll) waits on it beside its answer, never reading.
    lost: asyncio.Future[None] | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("Connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    def as_websockets_request(self) -> Request:
        return Request(self.target, self.headers)


#: Serves one request; returns False when the connection must close after it.
HttpHandler = Callable[
    [HttpRequest, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]
]
#: Claims a request for the door (a handler) or leaves it to websockets (None).
Router = Callable[[HttpRequest], HttpHandler | None]
#: websockets' ``process_request``: what it would answer instead of a handshake.
Fallback = Callable[[Any, Request], Response | None]


def parse_head(
    head: bytes,
    remote_address: tuple[Any, ...] | None,
    lost: asyncio.Future[None] | None = None,
) -> HttpRequest | None:
    """A request head (without its blank line), or None when it is not HTTP/1.x."""
    lines = head.split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ", 2)
    except (UnicodeDecodeError, ValueError):
        return None
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    headers = Headers()
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            return None
        headers[name.decode("latin-1").strip()] = value.decode("latin-1").strip()
    return HttpRequest(method, target, version, headers, remote_address, head, lost)


async def read_body(request: HttpRequest, reader: asyncio.StreamReader) -> bytes:
    """The request's body (Content-Length or chunked).

    Raises:
        ValueError: a body over ``MAX_BODY`` or a broken chunked encoding.
    """
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        parts: list[bytes] = []
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            length = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if length == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent by browsers
                return b"".join(parts)
            size += length
            if size > MAX_BODY:
                raise ValueError("request body too large")
            parts.append(await reader.readexactly(length))
            await reader.readexactly(2)
    length = int(request.headers.get("Content-Length", "0") or "0")
    if length > MAX_BODY or length < 0:
        raise ValueError("request body too large")
    return await reader.readexactly(length) if length else b""


def write_response(
    writer: asyncio.StreamWriter,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    *,
    keep_alive: bool = True,
) -> None:
    """Write a whole response (Content-Length framed)."""
    reason = HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def _write_websockets_response(
    writer: asyncio.StreamWriter, response: Response, keep_alive: bool
) -> None:
    headers = [
        (name, value)
        for name, value in response.headers.raw_items()
        if name.lower() not in ("content-length", "connection")
    ]
    write_response(
        writer,
        response.status_code,
        headers,
        bytes(response.body),
        keep_alive=keep_alive,
    )


class _LossAwareProtocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol, with ``lost``: done when the connection goes.

    A client's end of the stream counts (sockjs's receivers listen to the
    socket's ``end`` as well as ``close``): a browser that gives up on a
    request shuts its side, and asyncio keeps a half-closed stream open.
    """

    def __init__(
        self, reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(reader, loop=loop)
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._gone()

    def eof_received(self) -> bool:
        self._gone()
        return bool(super().eof_received())

    def _gone(self) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


class _Responder:
    """Stands in for the ``ServerConnection`` a ``process_request`` answers on."""

    def respond(self, status: HTTPStatus, text: str) -> Response:
        # websockets' ServerProtocol.reject, without its "Connection: close".
        body = text.encode()
        headers = Headers(
            [
                ("Date", email.utils.formatdate(usegmt=True)),
                ("Content-Type", "text/plain; charset=utf-8"),
            ]
        )
        return Response(status.value, status.phrase, headers, body)


class _Detached:
    """What websockets sees as its transport once the door took the connection.

    websockets' handshake task ends by aborting a connection that did not
    become a WebSocket; that connection is ours now, so the abort is a no-op.
    """

    def abort(self) -> None:
        pass

    def is_closing(self) -> bool:
        return True

    def close(self) -> None:
        pass


def front_door(
    router: Router,
    fallback: Fallback,
    base: type[ServerConnection] = ServerConnection,
) -> type[ServerConnection]:
    """A ``ServerConnection`` class (``base`` or a subclass of it) that serves ``router``'s requests itself."""

    class FrontDoor(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Set here, not first in data_received: attributes every instance
            # gets in __init__ share one key table (PEP 412); added later they
            # cost each of 1,000 idle connections a dict of its own (1.6 KB).
            self._sniffing = True
            self._head = b""

        def data_received(self, data: bytes) -> None:
            if not self._sniffing:
                super().data_received(data)
                return
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0 and len(self._head) <= MAX_HEAD:
                return
            self._sniffing = False
            buffered, self._head = self._head, b""
            request = None
            if end >= 0:
                me: Any = self  # the base class is a parameter: mypy cannot see it
                peer = me.transport.get_extra_info("peername")
                request = parse_head(buffered[:end], peer)
            handler = router(request) if request is not None else None
            if handler is None or request is None:
                super().data_received(buffered)
                return
            self._divert(request, handler, buffered[end + 4 :])

        def _divert(
            self, request: HttpRequest, handler: HttpHandler, rest: bytes
        ) -> None:
            me: Any = self
            transport: asyncio.Transport = me.transport
            me.transport = _Detached()
            loop = self.loop
            reader = asyncio.StreamReader(limit=MAX_HEAD, loop=loop)
            protocol = _LossAwareProtocol(reader, loop)
            transport.set_protocol(protocol)
            protocol.connection_made(transport)
            if rest:
                reader.feed_data(rest)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            # Ends websockets' handshake wait; its task then returns quietly.
            super().connection_lost(None)
            request = replace(request, lost=protocol.lost)
            spawn(_serve(request, handler, reader, writer, router, fallback))

    return FrontDoor


async def _serve(
    request: HttpRequest,
    handler: HttpHandler,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    router: Router,
    fallback: Fallback,
) -> None:
    """One diverted connection: its requests in turn, while kept alive."""
    peer = writer.get_extra_info("peername")
    try:
        while True:
            keep = await handler(request, reader, writer) and request.keep_alive
            await writer.drain()
            if not keep:
                break
            async with asyncio.timeout(KEEP_ALIVE):
                head = await reader.readuntil(b"\r\n\r\n")
            parsed = parse_head(head[:-4], peer, request.lost)
            if parsed is None:
                break
            request = parsed
            handler = router(request) or _answer_as_websockets(fallback)
    except (
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ConnectionError,
        TimeoutError,
        ValueError,
    ):
        pass
    except Exception:
        log.exception("HTTP request handler failed")
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _answer_as_websockets(fallback: Fallback) -> HttpHandler:
    async def answer(
        request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        await read_body(request, reader)
        response = fallback(_Responder(), request.as_websockets_request())
        if response is None:  # a WebSocket handshake on a kept-alive connection
            write_response(writer, 400, [], b'Can "Upgrade" only to "WebSocket".')
            return False
        _write_websockets_response(writer, response, request.keep_alive)
        return True

    return answer
