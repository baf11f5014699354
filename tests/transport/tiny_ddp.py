"""A tiny DDP server for driver mechanics: just enough DDP, and ways to misbehave.

Owns a websockets server on 127.0.0.1 port 0 that answers ``connect`` with
``connected``, ``ping`` with ``pong`` and every ``method`` with ``updated`` then
``result`` (the result is the first parameter), and records what it received.
Tests make it misbehave through hooks (garbage frames, silence, refusing by
stopping). Imports websockets and tests.timeouts: none of the client's code, so a client bug
cannot hide behind a shared one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.timeouts import TIMEOUT

__all__ = ["TinyDDPServer"]

OnOpen = Callable[[ServerConnection, int], Awaitable[None]]


class TinyDDPServer:
    """Start with ``await server.start()``; ``server.url``; ``await server.stop()``."""

    def __init__(
        self,
        *,
        on_open: OnOpen | None = None,
        answer_pings: bool = True,
        answer_methods: bool = True,
        port: int = 0,
    ) -> None:
        self.on_open = on_open
        self.answer_pings = answer_pings
        self.answer_methods = answer_methods
        self.port = port
        self.received: list[dict[str, Any]] = []  # every JSON frame, all sockets
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.connections = 0
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/websocket"

    def methods(self) -> list[tuple[str, str, list[Any]]]:
        """(id, name, params) of every ``method`` frame received, in order."""
        return [
            (m["id"], m["method"], m["params"])
            for m in self.received
            if m.get("msg") == "method"
        ]

    async def wait_received(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds after a received frame (bounded by TIMEOUT)."""
        if condition():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))
        async with asyncio.timeout(TIMEOUT):
            await future

    async def start(self) -> TinyDDPServer:
        self._server = await serve(
            self._handle, "127.0.0.1", self.port, compression=None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        try:
            async for text in ws:
                msg = json.loads(text)
                self.received.append(msg)
                for waiter in list(self._waiters):
                    if waiter[0]():
                        self._waiters.remove(waiter)
                        waiter[1].set_result(None)
                kind = msg.get("msg")
                if kind == "connect":
                    await ws.send(
                        json.dumps({"msg": "connected", "session": f"s{number}"})
                    )
                    if self.on_open is not None:
                        await self.on_open(ws, number)
                elif kind == "ping" and self.answer_pings:
                    await ws.send(json.dumps({"msg": "pong"}))
                elif kind == "method" and self.answer_methods:
                    params = msg.get("params") or [None]
                    await ws.send(
                        json.dumps({"msg": "updated", "methods": [msg["id"]]})
                    )
                    result = {"msg": "result", "id": msg["id"], "result": params[0]}
                    await ws.send(json.dumps(result))
        except ConnectionClosed:
            pass
