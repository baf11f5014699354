"""A raw-frame DDP test client: exact frames in, exact frames out, ids normalized.

Owns sending hand-written text frames to a DDP server over a plain WebSocket
(no compression, no DDP logic of ours in between) and collecting what the server
answers until a condition, a close or a quiet period, always under a timeout; and
normalizing the answers (random session ids, Meteor 1.9's ``server_id`` frame) so that two servers' answers compare equal when they behave the same.
Imports websockets and tests.timeouts only: it must not share code with the
client under test, or a bug could hide itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.timeouts import QUIET, TIMEOUT

__all__ = [
    "CLOSED",
    "DEEP",
    "RANDOM_ID",
    "SOCKJS",
    "Frame",
    "WireClient",
    "is_close",
    "normalize",
    "parse_frame",
    "sockjs_url",
    "websocket_url",
]

Frame = Any
"""One answer: the parsed JSON of a text frame, a ``{"<binary>": ...}`` marker, or a
``{CLOSED: code, "reason": ...}`` marker when the server closed the socket."""

CLOSED = "<closed>"

# Marker for SockJS's own frames in SockJS mode: {SOCKJS: "o"} for the open
# frame, {SOCKJS: "c", "code": ..., "reason": ...} for its close frame.
SOCKJS = "<sockjs>"

# Meteor's Random.id(): 17 characters from this alphabet (packages/random
# AbstractRandomGenerator.js); session ids and server-made document ids.
RANDOM_ID = re.compile(r"[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}")


def websocket_url(url: str) -> str:
    """The raw-WebSocket endpoint for a server URL (http(s)://host:port or ws://.../websocket)."""
    url = re.sub(r"^http", "ws", url)
    return (
        url
        if url.rstrip("/").endswith("/websocket")
        else url.rstrip("/") + "/websocket"
    )


def sockjs_url(url: str) -> str:
    """A SockJS websocket-transport URL, ``/sockjs/<server>/<session>/websocket``, for a server URL.

    The server and session parts are random, as sockjs-client makes them
    (three digits, eight letters), so every call opens a new SockJS session.
    """
    base = re.sub(r"/websocket/?$", "", websocket_url(url))
    server = f"{random.randrange(1000):03d}"
    session = "".join(random.choices("abcdefghijklmnopqrstuvwxyz012345", k=8))
    return f"{base}/sockjs/{server}/{session}/websocket"


def is_close(frame: Frame) -> bool:
    """True for the marker that stands for the server closing the socket."""
    return isinstance(frame, dict) and CLOSED in frame


class WireClient:
    """One WebSocket to a DDP server; every read has a deadline."""

    def __init__(self, socket: ClientConnection, *, sockjs: bool = False) -> None:
        self.socket = socket
        self.sockjs = sockjs
        self.closed: Frame | None = None
        #: every text frame as it came, for comparing the text itself
        self.texts: list[str] = []
        self._unwrapped: deque[Frame] = deque()

    @classmethod
    async def open(
        cls, url: str, within: float = TIMEOUT, *, sockjs: bool = False
    ) -> WireClient:
        """Open a raw WebSocket (permessage-deflate off, as our client's default).

        With ``sockjs=True``, open SockJS's websocket transport instead and
        speak its framing: sends go out as ``["<frame>"]`` arrays and ``a[...]``
        answers are unwrapped into their DDP frames; ``h`` heartbeats are dropped.
        """
        target = sockjs_url(url) if sockjs else websocket_url(url)
        async with asyncio.timeout(within):
            socket = await connect(target, compression=None, max_size=None)
        return cls(socket, sockjs=sockjs)

    async def __aenter__(self) -> WireClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close our side (bounded: a dead server cannot hang the test)."""
        async with asyncio.timeout(TIMEOUT):
            await self.socket.close()

    async def send(self, *frames: str | Mapping[str, Any] | Sequence[Any]) -> None:
        """Send each frame as one text frame: a str goes as is, anything else as JSON.

        In SockJS mode each frame is wrapped in its own ``["..."]`` envelope.
        """
        for frame in frames:
            text = frame if isinstance(frame, str) else json.dumps(frame)
            await self.socket.send(json.dumps([text]) if self.sockjs else text)

    async def recv(self, within: float = TIMEOUT) -> Frame:
        """The next frame; the close marker once the server has closed (never raises on close)."""
        async with asyncio.timeout(within):
            while not self._unwrapped:
                self._unwrapped.extend(await self._recv_frames())
        return self._unwrapped.popleft()

    async def _recv_frames(self) -> list[Frame]:
        if self.closed is not None:
            return [self.closed]
        try:
            data = await self.socket.recv()
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            self.closed = {
                CLOSED: rcvd.code if rcvd else None,
                "reason": rcvd.reason if rcvd else None,
            }
            return [self.closed]
        if isinstance(data, bytes):
            return [{"<binary>": data.hex()}]
        self.texts.append(data)
        if self.sockjs:
            return _sockjs_frames(data)
        return [parse_frame(data)]

    async def collect_until(
        self, done: Callable[[Frame], bool], within: float = TIMEOUT
    ) -> list[Frame]:
        """Frames up to and including the first for which ``done`` is true, or the close.

        Raises TimeoutError (with what came so far) if neither happens in time.
        """
        frames: list[Frame] = []
        try:
            async with asyncio.timeout(within):
                while True:
                    frame = await self.recv(within=within)
                    frames.append(frame)
                    if is_close(frame) or done(frame):
                        return frames
        except TimeoutError:
            raise TimeoutError(
                f"no matching frame within {within} s; got {frames!r}"
            ) from None

    async def collect_count(self, count: int, within: float = TIMEOUT) -> list[Frame]:
        """Exactly ``count`` frames (fewer only if the server closes)."""
        seen = 0

        def done(_frame: Frame) -> bool:
            nonlocal seen
            seen += 1
            return seen >= count

        return await self.collect_until(done, within) if count else []

    async def collect_quiet(
        self, quiet: float = QUIET, within: float = TIMEOUT
    ) -> list[Frame]:
        """Frames until the server stays silent for ``quiet`` seconds (or closes).

        Only for asserting an absence; anything expected is awaited by condition.
        """
        frames: list[Frame] = []
        async with asyncio.timeout(within):
            while True:
                try:
                    frame = await self.recv(within=quiet)
                except TimeoutError:
                    return frames
                frames.append(frame)
                if is_close(frame):
                    return frames

    async def handshake(
        self, version: str = "1", support: Sequence[str] = ("1", "pre2", "pre1")
    ) -> list[Frame]:
        """Send ``connect`` and return the frames up to ``connected`` or ``failed``."""
        await self.send(
            {"msg": "connect", "version": version, "support": list(support)}
        )
        return await self.collect_until(
            lambda frame: (
                isinstance(frame, dict) and frame.get("msg") in ("connected", "failed")
            )
        )


DEEP = "<deep>"


def parse_frame(text: str) -> Frame:
    """One DDP frame's JSON; a marker for text that is not JSON, or nested past Python's json."""
    try:
        return json.loads(text)
    except ValueError:
        return {"<text>": text}
    except RecursionError:
        # Nested past what Python's json reads: keep the text (``texts`` has
        # it too), with what a test needs to wait for it.
        head = re.match(r'\{"msg":"(\w+)"(?:,"id":"([^"]*)")?', text)
        msg, id_ = head.groups() if head else (None, None)
        return {DEEP: len(text), "msg": msg, "id": id_}


def _sockjs_frames(data: str) -> list[Frame]:
    # SockJS protocol framing (sockjs-node lib/transport.js): o = open, h =
    # heartbeat, a[...] = an array of messages, m"..." = one, c[code, reason] = close.
    kind, body = data[:1], data[1:]
    if kind == "o" and not body:
        return [{SOCKJS: "o"}]
    if kind == "h" and not body:
        return []
    if kind == "a":
        return [parse_frame(message) for message in json.loads(body)]
    if kind == "m":
        return [parse_frame(json.loads(body))]
    if kind == "c":
        code, reason = json.loads(body)
        return [{SOCKJS: "c", "code": code, "reason": reason}]
    return [{"<text>": data}]


def _is_server_id_frame(frame: Frame) -> bool:
    # Meteor before 2.3 sends {"server_id": "0"} first on every socket; current
    # Meteor does not (commit b5b7306), and Meteor's client ignores it (LC onMessage).
    return isinstance(frame, dict) and set(frame) == {"server_id"}


def normalize(frames: Sequence[Frame]) -> list[Frame]:
    """The frames with Meteor 1.9's ``server_id`` frame dropped and random ids named.

    Every Random.id-shaped string becomes ``<id1>``, ``<id2>``... by first
    appearance, so "the same session" and "a new session" still compare.
    Values (dates included) are kept: a test that must ignore a clock says so.
    """
    names: dict[str, str] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            if RANDOM_ID.fullmatch(value):
                return names.setdefault(value, f"<id{len(names) + 1}>")
            return value
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return [walk(frame) for frame in frames if not _is_server_id_frame(frame)]
