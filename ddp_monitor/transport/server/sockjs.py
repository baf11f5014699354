"""SockJS's WebSocket transport as Meteor's server speaks it: paths, framing, ``/info``.

Owns the parts of sockjs-node 0.3.19 (pinned by Meteor 1.9; 0.3.24 in Meteor 3)
that a DDP server needs: ``lib/transport.js`` (``o``/``a[...]``/``c[...]``
frames, ``closeFrame``), ``lib/utils.js`` ``quote``, ``lib/trans-websocket.js``
(client frames, "Broken framing."), ``lib/sockjs.js`` ``info`` and
``info_options`` with the CORS headers of ``lib/trans-xhr.js`` ``xhr_cors``
and ``lib/webjs.js`` ``cache_for``. Imports the standard library and
``ddp.jsontext`` (client frames are read as ``JSON.parse`` reads them).

Heartbeats: on the WebSocket transport sockjs does not send ``h`` frames; it
sends a WebSocket ping every ``heartbeat_delay`` (Meteor sets 45 s in
``ddp-server/stream_server.js``) and closes with 3000 "No response from
heartbeat" when no pong comes within 10 s (``WebSocketReceiver.heartbeat``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from ddp_monitor.ddp.jsontext import loads

__all__ = [
    "BROKEN_FRAMING",
    "HEARTBEAT_DELAY",
    "HEARTBEAT_TIMEOUT",
    "OPEN_FRAME",
    "RAW_WEBSOCKET_PATHS",
    "SESSION_PATH",
    "close_frame",
    "decode_frame",
    "encode_messages",
    "info_answer",
    "info_body",
    "quote",
    "xhr_cors",
]

OPEN_FRAME = "o"
#: stream_server.js passes heartbeat_delay: 45000 (sockjs's own default is 25 s).
HEARTBEAT_DELAY = 45.0
HEARTBEAT_TIMEOUT = 10.0
BROKEN_FRAMING = (3000, "Broken framing.")

#: Meteor rewrites /websocket and /websocket/ to sockjs's raw endpoint.
RAW_WEBSOCKET_PATHS = frozenset({"/websocket", "/websocket/", "/sockjs/websocket"})
#: sockjs's server and session path segments contain no dot or slash.
SESSION_PATH = re.compile(r"/sockjs/[^/.]+/[^/.]+/websocket/?")


# utils.js `escapable`: characters sockjs writes as \uXXXX inside frames.
_ESCAPABLE = re.compile(
    "[\x00-\x1f\ud800-\udfff\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff]"
)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def quote(text: str) -> str:
    """``utils.quote``: a JSON string with sockjs's risky characters escaped."""
    quoted = _dumps(text)
    if _ESCAPABLE.search(quoted) is None:
        return quoted
    return _ESCAPABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def encode_messages(messages: list[str]) -> str:
    """``doSendBulk``: one ``a[...]`` frame carrying every message in order."""
    return "a[" + ",".join(map(quote, messages)) + "]"


def close_frame(code: int, reason: str) -> str:
    return "c" + _dumps([code, reason])


def decode_frame(payload: str) -> list[Any]:
    """A client frame: a JSON array of messages, or one JSON message.

    Raises:
        ValueError: the frame is not JSON (sockjs closes with "Broken framing.").
    """
    if not payload:
        return []  # sockjs ignores empty frames
    message = loads(payload)  # any depth, and NaN refused, as JSON.parse
    if payload[0] == "[":
        return list(message)
    return [message]


def info_body(websocket: bool = True) -> bytes:
    """``GET /sockjs/info``: Meteor's answer, with a fresh 32-bit ``entropy``."""
    return _dumps(
        {
            "websocket": websocket,
            "origins": ["*:*"],
            "cookie_needed": False,
            "entropy": secrets.randbits(32),
        }
    ).encode()


#: webjs.js cache_for: a year, in seconds.
CACHE_FOR = 365 * 24 * 60 * 60

InfoAnswer = tuple[int, str, list[tuple[str, str]], bytes]
"""HTTP status, reason phrase, headers and body."""


def info_answer(method: str, header: Callable[[str], str | None]) -> InfoAnswer:
    """What sockjs answers at ``/sockjs/info`` for ``method``; ``header(name)`` reads the request.

    ``GET`` is the info JSON; ``OPTIONS`` is the CORS preflight a browser sends
    before a request with a header of its own (204, the origin echoed, the
    asked-for headers allowed); anything else is 405.
    """
    if method == "GET":
        headers = [
            *xhr_cors(header),
            (
                "Cache-Control",
                "no-store, no-cache, no-transform, must-revalidate, max-age=0",
            ),
            ("Content-Type", "application/json; charset=UTF-8"),
        ]
        return 200, "OK", headers, info_body()
    if method == "OPTIONS":
        headers = [
            *xhr_cors(header),
            ("Cache-Control", f"public, max-age={CACHE_FOR}"),
            ("Expires", formatdate(time.time() + CACHE_FOR, usegmt=True)),
            ("Access-Control-Allow-Methods", "OPTIONS, GET"),
            ("Access-Control-Max-Age", str(CACHE_FOR)),
        ]
        return 204, "No Content", headers, b""
    return 405, "Method Not Allowed", [("Allow", "OPTIONS, GET")], b""


def xhr_cors(header: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """trans-xhr.js ``xhr_cors``: the origin echoed (credentials then allowed), or ``*``."""
    origin = header("origin")
    headers = [("Access-Control-Allow-Credentials", "true")] if origin else []
    headers += [("Access-Control-Allow-Origin", origin or "*"), ("Vary", "Origin")]
    asked = header("access-control-request-headers")
    if asked:
        headers.append(("Access-Control-Allow-Headers", asked))
    return headers
