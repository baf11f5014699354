"""The proxied client's socket, whatever carries it: raw WebSocket or SockJS.

Owns ``ClientSide``: DDP messages in (``messages()``), DDP messages out
(``write``), and the three ways a socket can end (``close``, ``reset``,
``abort``). Imports websockets (the server connection) and
``transport.server.sockjs`` (framing). A raw ``/websocket`` carries one DDP
message per frame; SockJS (its websocket transport, or a
``transport.server.sockjs_polling.PollingSocket``, which looks the same)
carries ``a[...]``/``["..."]`` frames, so the relay above never sees the
difference.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from ddp_monitor.transport.direct import DirectMessages
from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.callbacks import spawn
from ddp_monitor.transport.server.connection import text_frame

__all__ = ["ClientSide", "DirectServerConnection"]


class DirectServerConnection(DirectMessages, ServerConnection):
    """The proxy's server connections: each message handed over as it is parsed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upstream_link: Any = None  # opened while the handshake is answered


class ClientSide:
    """One client's socket as the relay uses it.

    Args:
        ws: websockets' server connection, or a ``PollingSocket`` (same calls).
        framing: ``"websocket"`` (raw ``/websocket``), ``"sockjs"`` (SockJS on
            a websocket) or the polling transport's name (``"xhr-polling"``).
    """

    def __init__(self, ws: ServerConnection | Any, framing: str) -> None:
        self.ws: Any = ws  # a ServerConnection or a PollingSocket: the same calls
        self.transport_name = framing
        self.sockjs = framing != "websocket"
        self._raw = isinstance(ws, ServerConnection) and not self.sockjs

    @property
    def headers(self) -> list[tuple[str, str]]:
        request = self.ws.request
        return list(request.headers.raw_items()) if request is not None else []

    @property
    def peer_address(self) -> str | None:
        peer = self.ws.remote_address
        return str(peer[0]) if peer else None

    async def open(self) -> None:
        """SockJS's ``o`` frame (a raw socket is open already)."""
        if self.sockjs:
            await self.ws.send(sockjs.OPEN_FRAME)

    async def serve(
        self, on_messages: Callable[[list[str]], None], on_read: Callable[[], None]
    ) -> None:
        """Hand the client's DDP messages over until its socket closes.

        ``on_messages`` gets each frame's messages as it is parsed,
        ``on_read`` runs after each read (so a relay writes once per read).
        """
        ws = self.ws
        if isinstance(ws, DirectServerConnection):
            ws.on_read = lambda _: on_read()
            ws.attach(lambda _, data: self._frame(data, on_messages))
            on_read()  # the messages that came before attach
            await ws.wait_closed()
            return
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                self._frame(frame, on_messages)
                on_read()

    def _frame(
        self, data: str | bytes, on_messages: Callable[[list[str]], None]
    ) -> None:
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        if not self.sockjs:
            on_messages([text])
            return
        try:
            items = sockjs.decode_frame(text)
        except ValueError:
            spawn(self.ws.close(*sockjs.BROKEN_FRAMING))
            return
        on_messages(
            [item if isinstance(item, str) else json.dumps(item) for item in items]
        )

    def write(self, texts: list[str]) -> bool:
        """Send DDP messages now, in order; False when the socket is not open."""
        if not texts:
            return True
        ws = self.ws
        if self._raw:
            protocol = ws.protocol
            if protocol.state is not State.OPEN:
                return False
            if protocol.extensions:
                for text in texts:
                    protocol.send_text(text.encode())
                ws.send_data()  # websockets' own flush: protocol bytes -> transport
            else:
                # Without extensions a frame is a header and the payload: built
                # here in one write, as DDPServer's driver does on its hot path.
                ws.transport.write(b"".join([text_frame(t.encode()) for t in texts]))
            return True
        if self.transport_name == "sockjs":
            if ws.protocol.state is not State.OPEN:
                return False
            ws.protocol.send_text(sockjs.encode_messages(texts).encode())
            ws.send_data()
            return True
        # A polling session queues the frame for the next poll.
        ws.push(sockjs.encode_messages(texts))
        return not ws.gone

    def write_buffer_size(self) -> int:
        """Bytes written but not yet taken by the kernel (0 for polling)."""
        transport = getattr(self.ws, "transport", None)
        size = getattr(transport, "get_write_buffer_size", None)
        return int(size()) if size is not None else 0

    async def close(self, code: int = 1000, reason: str = "Normal closure") -> None:
        """A clean close: SockJS's ``c`` frame first, then the socket's own."""
        with contextlib.suppress(Exception):
            if self.sockjs:
                await self.ws.send(sockjs.close_frame(code, reason))
            await self.ws.close(code, reason)

    @property
    def closed_cleanly(self) -> bool:
        """True unless the client's socket ended without a close frame."""
        protocol = getattr(self.ws, "protocol", None)
        if not isinstance(self.ws, ServerConnection) or protocol is None:
            return True  # a polling session has no close handshake
        return protocol.close_rcvd is not None

    def abort(self) -> None:
        """End the socket with no close frame, as a lost connection does."""
        self.ws.transport.abort()

    def reset(self) -> None:
        """End the TCP connection with a reset (RST), as a dropped NAT entry does."""
        transport = self.ws.transport
        sock = (
            transport.get_extra_info("socket")
            if hasattr(transport, "get_extra_info")
            else None
        )
        if sock is not None:
            # SO_LINGER on with a zero timeout: close() sends RST, not FIN.
            with contextlib.suppress(OSError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
        transport.abort()
