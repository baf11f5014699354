"""bench_client's reference client: websockets' sans-I/O protocol on a bare asyncio Protocol.

Owns ``BareClient``; imports asyncio, json and websockets' sans-I/O
``ClientProtocol`` (no ddp_monitor). Every frame that arrives is parsed by
websockets and json-decoded in ``data_received``, with no task woken and no
``await`` per message: the least any Python client can do with the same
frames. (``await ws.recv()`` per message was slower than DDPClient, which
hooks websockets' parser the same way, so it flattered: a reference must be
faster than what it measures.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

__all__ = ["BareClient"]


class BareClient(asyncio.Protocol):
    """One WebSocket connection; ``on_message(msg)`` gets each decoded JSON frame.

    With ``decode=False`` it gets each text frame's bytes (counting, not decoding).
    """

    def __init__(
        self, url: str, compression: bool = False, decode: bool = True
    ) -> None:
        self.decode = decode
        extensions = [ClientPerMessageDeflateFactory()] if compression else None
        self.ws = ClientProtocol(parse_uri(url), extensions=extensions, max_size=None)
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_message: Callable[[Any], None] = lambda msg: None

    @classmethod
    async def open(
        cls, url: str, compression: bool = False, decode: bool = True
    ) -> BareClient:
        """Connected and past the WebSocket handshake."""
        where = parse_uri(url)
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(
            lambda: cls(url, compression, decode), where.host, where.port
        )
        await client.opened
        return client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        on_message = self.on_message
        for event in self.ws.events_received():
            if isinstance(event, Response):
                self.opened.set_result(None)
            elif event.opcode is Opcode.TEXT:
                on_message(json.loads(event.data) if self.decode else event.data)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed"))

    def send(self, text: str) -> None:
        self.ws.send_text(text.encode())
        self._flush()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _flush(self) -> None:
        if self.transport is not None:
            for data in self.ws.data_to_send():
                if data:
                    self.transport.write(data)
