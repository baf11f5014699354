"""A tiny DDP server for driver mechanics: just enough DDP, and ways to misbehave.

Owns a websockets server on 127.0.0.1 port 0 that answers ``connect`` with
``connected``, ``ping`` with ``pong`` and every ``method`` with ``updated`` then
``result`` (the result is the first parameter), and records what it received.
Tests make it misbehave through hooks (garbage frames, silence, refusing by
stopping; ``port=`` restarts it where it was). Imports websockets and
tests.peers.loopback_server: none of the client's code, so a client bug cannot
hide behind a shared one.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.peers.loopback_server import LoopbackServer

__all__ = ["TinyDDPServer"]

OnOpen = Callable[[ServerConnection, int], Awaitable[None]]


class TinyDDPServer(LoopbackServer):
    """Start with ``await server.start()``; ``server.url``; ``await server.stop()``."""

    def __init__(
        self,
        *,
        on_open: OnOpen | None = None,
        answer_pings: bool = True,
        answer_methods: bool = True,
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.on_open = on_open
        self.answer_pings = answer_pings
        self.answer_methods = answer_methods
        self.received: list[dict[str, Any]] = []  # every JSON frame, all sockets
        self.connections = 0

    def methods(self) -> list[tuple[str, str, list[Any]]]:
        """(id, name, params) of every ``method`` frame received, in order."""
        return [
            (m["id"], m["method"], m["params"])
            for m in self.received
            if m.get("msg") == "method"
        ]

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        try:
            async for text in ws:
                msg = json.loads(text)
                self.received.append(msg)
                self.noted()
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
