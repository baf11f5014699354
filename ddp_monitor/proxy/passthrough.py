"""The HTTP pass-through: every request that is not DDP goes to the app, streamed.

Owns ``PassThrough``, an ``http_door`` handler; imports asyncio, ssl and
``transport.server.http_door``. A developer opens the proxy's address in the
browser: the page, its scripts and anything else come from the app, while
``/websocket`` and ``/sockjs/...`` stay with the proxy, so the page's DDP
runs through it.

Each request gets its own upstream connection with ``Connection: close``:
the answer is streamed back byte for byte until the app closes, so no
response framing needs reading (chunked, streamed, any size). The client's
connection closes after the answer too; an upgrade (a dev server's own
WebSocket) is spliced both ways until either side closes. ``Host`` names the
app; ``X-Forwarded-For`` gets the client's address appended, and
``X-Forwarded-Host``/``-Proto`` keep what the browser asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from ddp_monitor.transport.server.http_door import (
    HttpRequest,
    read_body,
    write_response,
)

__all__ = ["HOP_BY_HOP", "PassThrough", "forwarded_for"]

#: RFC 9110 §7.6.1 hop-by-hop headers, and the framing we redo ourselves.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)
_CHUNK = 64 * 1024


def forwarded_for(existing: str | None, client: str | None) -> str:
    """``X-Forwarded-For`` with ``client`` appended, as every proxy does."""
    parts = [p.strip() for p in (existing or "").split(",") if p.strip()]
    if client:
        parts.append(client)
    return ", ".join(parts)


class PassThrough:
    """Forwards a request to ``upstream`` (``http://host:port``) and streams the answer."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.scheme = "https" if parts.scheme in ("https", "wss") else "http"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        default = 443 if self.scheme == "https" else 80
        self.host_header = (
            self.host if self.port == default else f"{self.host}:{self.port}"
        )

    async def __call__(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        upgrade = "upgrade" in request.headers.get("Connection", "").lower()
        body = b"" if upgrade else await read_body(request, reader)
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.host,
                self.port,
                ssl=ssl.create_default_context() if self.scheme == "https" else None,
            )
        except OSError as exc:
            text = f"ddp-monitor proxy: the app at {self.host_header} is unreachable: {exc.strerror or exc}\n"
            write_response(
                writer,
                502,
                [("Content-Type", "text/plain; charset=utf-8")],
                text.encode(),
                keep_alive=False,
            )
            return False
        try:
            up_writer.write(self._head(request, upgrade, len(body)) + body)
            if upgrade:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            else:
                await _pipe(up_reader, writer)
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()
        return False

    def _head(self, request: HttpRequest, upgrade: bool, length: int) -> bytes:
        peer = request.remote_address
        lines = [
            f"{request.method} {request.target} HTTP/1.1",
            f"Host: {self.host_header}",
        ]
        for name, value in request.headers.raw_items():
            lower = name.lower()
            if lower in HOP_BY_HOP or lower.startswith("x-forwarded-"):
                continue
            lines.append(f"{name}: {value}")
        lines.append(
            "X-Forwarded-For: "
            + forwarded_for(
                request.headers.get("X-Forwarded-For"), str(peer[0]) if peer else None
            )
        )
        lines.append(
            f"X-Forwarded-Host: {request.headers.get('Host', self.host_header)}"
        )
        lines.append("X-Forwarded-Proto: http")
        if upgrade:
            lines += [
                "Connection: Upgrade",
                f"Upgrade: {request.headers.get('Upgrade', '')}",
            ]
        else:
            lines += ["Connection: close", f"Content-Length: {length}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until ``source`` ends, waiting for ``sink`` to drain (backpressure)."""
    with contextlib.suppress(ConnectionError):
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
