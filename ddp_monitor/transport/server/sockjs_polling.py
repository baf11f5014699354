"""SockJS's polling transports, as sockjs-node 0.3.19 serves them behind Meteor.

Owns ``SockJSPolling``: the session registry and the routes of
``xhr-polling``/``xdr-polling`` (``/xhr``, ``/xhr_send``), ``jsonp-polling``
(``/jsonp``, ``/jsonp_send``) and the ``iframe.html`` page that
``iframe-xhr-polling`` loads. Imports asyncio, ``sockjs`` (framing, CORS),
``http_door`` (requests, bodies, answers) and ``polling_socket`` (one
session). Copies ``lib/trans-xhr.js``, ``lib/trans-jsonp.js``,
``lib/iframe.js`` and the ``h_no_cache``/``cache_for`` filters of
``lib/webjs.js``.

A ``PollingSocket`` looks to its reader like a websocket carrying SockJS
frames (``send('a[...]')``, ``close()``, ``async for`` over the client's
``[...]`` payloads), so ``DDPServer``'s socket driver and the proxy's relay
run over it as over SockJS's websocket transport: one SockJS implementation
for both. Each poll takes one frame (``max_response_size = 1``); messages
sent while no poll is open wait in the send buffer and leave as one
``a[...]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs

from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.http_door import (
    HttpHandler,
    HttpRequest,
    read_body,
    write_response,
)
from ddp_monitor.transport.server.polling_socket import PollingSocket

__all__ = [
    "DISCONNECT_DELAY",
    "POLLING_PATH",
    "PollingSocket",
    "SockJSPolling",
]  # PollingSocket is re-exported from polling_socket, its own module

#: stream_server.js: disconnect_delay 60 s, heartbeat_delay 45 s.
DISCONNECT_DELAY = 60.0
#: Meteor's sockjs_url is sockjs-node's default (iframe.html loads it).
SOCKJS_URL = "https://cdn.jsdelivr.net/sockjs/1/sockjs.min.js"
#: sockjs.js generate_dispatcher ``t()``: server and session ids have no dot.
POLLING_PATH = re.compile(r"/sockjs/([^/.]+)/([^/.]+)/(xhr|xhr_send|jsonp|jsonp_send)")
IFRAME_PATH = re.compile(r"/sockjs/iframe[0-9\-.a-z_]*\.html")
_JSONP_CALLBACK = re.compile(r"[a-zA-Z0-9\-_.]{1,32}")
_YEAR = sockjs.CACHE_FOR

_IFRAME = (
    '<!DOCTYPE html>\n<html>\n<head>\n  <meta http-equiv="X-UA-Compatible" content="IE=edge" />\n'
    '  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
    f'  <script src="{SOCKJS_URL}"></script>\n  <script>\n    document.domain = document.domain;\n'
    "    SockJS.bootstrap_iframe();\n  </script>\n</head>\n<body>\n  <h2>Don't panic!</h2>\n"
    "  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>\n</body>\n</html>"
)


def _cors(request: HttpRequest) -> list[tuple[str, str]]:
    return sockjs.xhr_cors(request.headers.get)


_NO_CACHE = (
    "Cache-Control",
    "no-store, no-cache, no-transform, must-revalidate, max-age=0",
)


class SockJSPolling:
    """The polling half of a SockJS endpoint: routes and live sessions.

    Args:
        on_session: called with each new ``PollingSocket`` (the server starts
            a socket driver on it; the proxy, a relay).
        disconnect_delay, heartbeat_delay: Meteor's 60 s and 45 s.
    """

    def __init__(
        self,
        on_session: Callable[[PollingSocket], Any],
        *,
        disconnect_delay: float = DISCONNECT_DELAY,
        heartbeat_delay: float = sockjs.HEARTBEAT_DELAY,
    ) -> None:
        self._on_session = on_session
        self.disconnect_delay = disconnect_delay
        self.heartbeat_delay = heartbeat_delay
        self.sessions: dict[str, PollingSocket] = {}

    def route(self, request: HttpRequest) -> HttpHandler | None:
        """The handler for a polling request, or None when it is not one."""
        path = request.path
        if request.method == "GET" and IFRAME_PATH.fullmatch(path):
            return self._iframe
        match = POLLING_PATH.fullmatch(path)
        if match is None:
            return None
        kind = match.group(3)
        if request.method == "OPTIONS" and kind in ("xhr", "xhr_send"):
            return self._options
        expected = "GET" if kind == "jsonp" else "POST"
        if request.method != expected:
            return None  # websockets answers (404), as sockjs would 405/404
        return {
            "xhr": self._xhr,
            "xhr_send": self._xhr_send,
            "jsonp": self._jsonp,
            "jsonp_send": self._jsonp_send,
        }[kind]

    def close_all(self) -> None:
        """End every session (the server stops)."""
        for session in list(self.sessions.values()):
            session.abort()

    # -- sessions -------------------------------------------------------------------

    def _session(self, request: HttpRequest, protocol: str) -> PollingSocket:
        match = POLLING_PATH.fullmatch(request.path)
        assert match is not None
        session_id = match.group(2)
        session = self.sessions.get(session_id)
        if session is None or session.gone:
            # transport.js register(): a poll for an unknown id opens a session.
            session = PollingSocket(
                session_id,
                request,
                protocol,
                disconnect_delay=self.disconnect_delay,
                heartbeat_delay=self.heartbeat_delay,
                on_gone=self._gone,
            )
            self.sessions[session_id] = session
            self._on_session(session)
        return session

    def _gone(self, session: PollingSocket) -> None:
        if self.sessions.get(session.id) is session:
            del self.sessions[session.id]

    def _existing(self, request: HttpRequest) -> PollingSocket | None:
        match = POLLING_PATH.fullmatch(request.path)
        session = self.sessions.get(match.group(2)) if match else None
        return session if session is not None and not session.gone else None

    # -- routes ---------------------------------------------------------------------

    async def _poll(
        self, request: HttpRequest, reader: asyncio.StreamReader, protocol: str
    ) -> str | None:
        await read_body(request, reader)
        session = self._session(request, protocol)
        lost = request.lost
        if lost is None:  # not through the front door (no connection to watch)
            lost = asyncio.get_running_loop().create_future()
        return await session.poll(lost)

    async def _xhr(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        frame = await self._poll(request, reader, "xhr-polling")
        if frame is None:
            return False
        headers = [("Content-Type", "application/javascript; charset=UTF-8"), _NO_CACHE]
        write_response(writer, 200, headers + _cors(request), (frame + "\n").encode())
        return True

    async def _jsonp(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        query = request.query
        callbacks = query.get("c") or query.get("callback") or []
        callback = callbacks[0] if callbacks else None
        if callback is None or not _JSONP_CALLBACK.fullmatch(callback):
            text = (
                '"callback" parameter required'
                if callback is None
                else 'invalid "callback" parameter'
            )
            write_response(writer, 500, [_NO_CACHE], text.encode())
            return True
        frame = await self._poll(request, reader, "jsonp-polling")
        if frame is None:
            return False
        body = f"/**/{callback}({json.dumps(frame)});\r\n".encode()
        headers = [
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Type", "application/javascript; charset=UTF-8"),
            _NO_CACHE,
        ]
        write_response(writer, 200, headers, body)
        return True

    def _send(self, request: HttpRequest, payload: str) -> None:
        """trans-xhr.js ``xhr_send`` checks: 204/200, 500 with a message, or 404."""
        try:
            messages = json.loads(payload) if payload else None
        except ValueError:
            raise _Refused(500, "Broken JSON encoding.") from None
        if not isinstance(messages, list):
            raise _Refused(500, "Payload expected.")
        session = self._existing(request)
        if session is None:
            raise _Refused(404, "")
        session.received(payload)

    async def _xhr_send(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        body = (await read_body(request, reader)).decode("utf-8", "replace")
        cors = _cors(request)
        try:
            self._send(request, body)
        except _Refused as refused:
            write_response(
                writer, refused.status, [_NO_CACHE, *cors], refused.text.encode()
            )
            return True
        write_response(
            writer,
            204,
            [("Content-Type", "text/plain; charset=UTF-8"), _NO_CACHE, *cors],
        )
        return True

    async def _jsonp_send(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        body = (await read_body(request, reader)).decode("utf-8", "replace")
        kind = request.headers.get("Content-Type", "").split(";")[0].strip()
        if kind == "application/x-www-form-urlencoded":
            body = (parse_qs(body).get("d") or [""])[0]
        try:
            self._send(request, body)
        except _Refused as refused:
            write_response(writer, refused.status, [_NO_CACHE], refused.text.encode())
            return True
        write_response(
            writer,
            200,
            [("Content-Type", "text/plain; charset=UTF-8"), _NO_CACHE],
            b"ok",
        )
        return True

    async def _options(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        await read_body(request, reader)
        headers = [
            ("Cache-Control", f"public, max-age={_YEAR}"),
            ("Expires", formatdate(time.time() + _YEAR, usegmt=True)),
            ("Access-Control-Allow-Methods", "OPTIONS, POST"),
            ("Access-Control-Max-Age", str(_YEAR)),
            *_cors(request),
        ]
        write_response(writer, 204, headers)
        return True

    async def _iframe(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        await read_body(request, reader)
        etag = '"' + hashlib.md5(_IFRAME.encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            write_response(writer, 304, [])
            return True
        headers = [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("ETag", etag),
            ("Cache-Control", f"public, max-age={_YEAR}"),
        ]
        write_response(writer, 200, headers, _IFRAME.encode())
        return True


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text
