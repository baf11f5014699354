"""SockJS's WebSocket transport as Meteor's server speaks it: paths, framing, ``/info``.

Owns the parts of sockjs-node 0.3.19 (pinned by Meteor 1.9; 0.3.24 in Meteor 3)
that a DDP server needs: ``lib/transport.js`` (``o``/``a[...]``/``c[...]``
frames, ``closeFrame``), ``lib/utils.js`` ``quote``, ``lib/trans-websocket.js``
(client frames, "Broken framing.") and ``lib/sockjs.js`` ``info``. Imports the
standard library and ``ddp.jsontext`` (client frames are read as JSON.parse
reads them).

Heartbeats: on the WebSocket transport sockjs does not send ``h`` frames; it
sends a WebSocket ping every ``heartbeat_delay`` (Meteor sets 45 s in
``ddp-server/stream_server.js``) and closes with 3000 "No response from
heartbeat" when no pong comes within 10 s (``WebSocketReceiver.heartbeat``).
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from ddp_monitor.ddp.jsontext import loads

__all__ = [
    "BROKEN_FRAMING",
    "HEARTBEAT_DELAY",
    "HEARTBEAT_TIMEOUT",
    "INFO_HEADERS",
    "OPEN_FRAME",
    "RAW_WEBSOCKET_PATHS",
    "SESSION_PATH",
    "close_frame",
    "decode_frame",
    "encode_messages",
    "info_body",
    "quote",
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

INFO_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Vary", "Origin"),
    ("Cache-Control", "no-store, no-cache, no-transform, must-revalidate, max-age=0"),
    ("Content-Type", "application/json; charset=UTF-8"),
)

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
