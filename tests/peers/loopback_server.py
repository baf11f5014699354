"""The start/stop/wait part of the scripted test servers, on 127.0.0.1.

Owns ``LoopbackServer``: a websockets server on a loopback port (0 picks one)
whose subclass answers each socket in ``handle`` and may refuse handshakes in
``process_request``; it notes received frames so a test can wait for a
condition (always under TIMEOUT). Imports websockets and tests.timeouts only:
none of the project's code, so a bug there cannot hide behind a shared one.
``tests/peers/scenario_server.py`` and ``tests/transport/client/tiny_ddp.py`` build on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from tests.timeouts import TIMEOUT

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """``await server.start()``; ``server.url``; ``await server.stop()``."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._server: Server | None = None
        self._changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/websocket"

    async def start(self) -> Self:
        self._server = await serve(
            self.handle,
            "127.0.0.1",
            self.port,
            compression=None,
            process_request=self.process_request,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle(self, ws: ServerConnection) -> None:
        """Serve one socket (the subclass's script)."""
        raise NotImplementedError

    def process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Answer a handshake with HTTP instead (None: accept it)."""
        return None

    def noted(self) -> None:
        """The subclass recorded a frame: wake ``wait_received``."""
        self._changed.set()

    async def wait_received(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds after some received frame (bounded by TIMEOUT)."""
        async with asyncio.timeout(TIMEOUT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()
