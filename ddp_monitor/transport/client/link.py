"""One WebSocket link to a DDP server: open it as Meteor's Node client does, write, judge failures.

Owns everything ``DDPClient`` needs from websockets, so no websockets type
leaves this module: the connect options, the synchronous frame write, and
``classify(exc)``, the one place a network or handshake exception becomes the
reason text of a lost connection. Imports websockets, the standard library
and ``transport.direct`` (messages handed over as they are parsed).

Meteor's Node client (``socket-stream-client/node.js``) opens a raw WebSocket
through faye-websocket with no subprotocol; it does no WebSocket-level pings
(DDP heartbeats do that job) and its connect timeout is the stream's own, so
here websockets' keepalive and open timeout are off and the core's
``connect_timeout`` rules. Meteor offers permessage-deflate; this client does
not by default (issue 2 item 6: a Meteor server that negotiates it sends about
8k documents/s instead of 130k+), ``compression=True`` offers it.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import CloseCode
from websockets.protocol import State

from ddp_monitor.transport.direct import DirectMessages

__all__ = [
    "BAD_INPUT_CODES",
    "CLOSE_TIMEOUT",
    "MAX_MESSAGE_SIZE",
    "Link",
    "LinkClosed",
    "bad_input_reason",
    "classify",
    "open_link",
    "write",
]

#: faye's websocket-driver ``MAX_LENGTH`` (hybi.js, 2^26 - 1 bytes): the largest
#: frame Meteor's own Node client accepts before failing the connection (1009).
MAX_MESSAGE_SIZE = 0x3FFFFFF

#: Seconds to wait for the server's close frame before dropping the TCP link.
CLOSE_TIMEOUT = 2.0

#: Close codes our side sends when the server sent bad input: a frame over the
#: size limit, text that is not UTF-8, a broken frame.
BAD_INPUT_CODES = frozenset(
    {CloseCode.MESSAGE_TOO_BIG, CloseCode.INVALID_DATA, CloseCode.PROTOCOL_ERROR}
)

LinkClosed = ConnectionClosed


class Link(DirectMessages, ClientConnection):
    """A websockets client connection that hands each message over as it is parsed.

    See ``transport.direct``: ``attach(on_message)`` gets every data message
    from ``data_received``, without websockets' queue and reader task.
    """


async def open_link(
    url: str,
    *,
    compression: bool,
    max_message_size: int | None,
    headers: Mapping[str, str] | None,
    ssl_context: ssl.SSLContext | None = None,
    link_class: type[Link] = Link,
) -> Link:
    """Open one WebSocket to ``url`` (already translated by ``urls``).

    ``ssl_context`` replaces websockets' default (verifying) one for ``wss://``
    URLs; a plain ``ws://`` URL ignores it. ``link_class``: a ``Link``
    subclass (the proxy's ``fast_link.FastLink``).

    Raises:
        Exception: whatever the attempt raised; pass it to ``classify``.
    """
    link = await connect(
        url,
        compression="deflate" if compression else None,
        max_size=max_message_size,
        open_timeout=None,  # the core's connect timeout decides (Meteor's 10 s)
        ping_interval=None,  # DDP heartbeats instead, as Meteor
        close_timeout=CLOSE_TIMEOUT,
        additional_headers=dict(headers) if headers else None,
        create_connection=link_class,
        **_tls(url, ssl_context),
    )
    assert isinstance(link, link_class)
    return link


def _tls(url: str, ssl_context: ssl.SSLContext | None) -> dict[str, Any]:
    # websockets refuses an ``ssl`` argument for a ws:// URL.
    return {"ssl": ssl_context} if ssl_context and url.startswith("wss:") else {}


def write(link: Link, texts: Sequence[str]) -> bool:
    """Write text frames now, in order, without waiting for the socket to drain.

    Meteor's stream ``send()`` does not wait either; a DDP client has nothing
    to hold back. Returns False (and writes nothing) when the link is no longer
    open: Meteor drops what is sent while not connected.
    """
    protocol = link.protocol
    if protocol.state is not State.OPEN:
        return False
    for text in texts:
        protocol.send_text(text.encode())
    link.send_data()  # websockets' own flush: protocol bytes -> transport
    return True


def bad_input_reason(exc: ConnectionClosed) -> str | None:
    """The reason when our side failed the link because of the server's frames."""
    sent = exc.sent
    if sent is not None and sent.code in BAD_INPUT_CODES and exc.rcvd is None:
        return f"bad frame from the server: {sent.reason or sent.code} ({sent.code})"
    return None


def classify(exc: BaseException) -> str:
    """The reason text for a failed attempt or a lost link (for logs and events)."""
    if isinstance(exc, ConnectionClosed):
        if (bad := bad_input_reason(exc)) is not None:
            return bad
        if exc.rcvd is not None:
            reason = f" {exc.rcvd.reason}" if exc.rcvd.reason else ""
            return f"server closed the connection: {exc.rcvd.code}{reason}"
        return "connection lost without a close frame"
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return f"server rejected the WebSocket handshake: HTTP {status}"
    if isinstance(exc, InvalidURI):
        return f"invalid WebSocket URL: {exc}"
    if isinstance(exc, InvalidHandshake):
        return f"WebSocket handshake failed: {exc}"
    if isinstance(exc, TimeoutError):
        return "connection attempt timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
