"""A scripted DDP server that records every frame a client sends, for client-vs-client tests.

Owns a websockets server on 127.0.0.1 port 0 that plays one ``Script`` (refuse
the first attempts, answer ``failed``, hold methods, drop the socket after some
method frames, go silent) and records each frame with the number of the socket
it came on. Imports websockets and tests.peers.loopback_server only: none of the client's code,
so a client bug cannot hide behind a shared one. ``normalized()`` replaces the
random subscription ids by ``sub1``, ``sub2``... in order of first use; session
ids are ``s1``, ``s2``... (the socket numbers), so two clients' frames compare
equal when they behave the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.peers.loopback_server import LoopbackServer

__all__ = ["Received", "ScenarioServer", "Script"]

Received = tuple[int, dict[str, Any]]
"""(socket number from 1, the frame's JSON) for one frame a client sent."""


@dataclass(frozen=True)
class Script:
    """How the server behaves, per socket (numbered from 1 in accept order).

    refuse: the first N WebSocket handshakes get HTTP 503 (no socket number).
    failed: socket -> version: answer ``connect`` with ``failed`` and close.
    silent: sockets that get ``connected`` and then nothing (no pong, no result).
    hold: sockets whose methods are never answered.
    drop_after: socket -> N: drop the TCP connection (no close frame) once N
        ``method`` frames arrived on it, unanswered.
    docs: publication -> number of ``added`` documents sent before ``ready``.
    nosub: publication -> the error its ``sub`` is answered with (``nosub``).
    updated_first: answer a method ``updated`` then ``result`` (Meteor's server
        when the method wrote nothing), instead of ``result`` then ``updated``.
    """

    refuse: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    silent: frozenset[int] = frozenset()
    hold: frozenset[int] = frozenset()
    drop_after: dict[int, int] = field(default_factory=dict)
    docs: dict[str, int] = field(default_factory=dict)
    nosub: dict[str, dict[str, Any]] = field(default_factory=dict)
    updated_first: bool = False


class ScenarioServer(LoopbackServer):
    """``await server.start()``; ``server.url``; ``server.received``; ``await server.stop()``.

    Unscripted behaviour is a plain DDP server: ``connected`` with session
    ``s<socket>``, ``pong`` for ``ping`` (echoing an id), ``result`` (the first
    parameter) then ``updated`` for a method, ``ready`` for ``sub``, ``nosub``
    for ``unsub``.
    """

    def __init__(self, script: Script | None = None) -> None:
        super().__init__()
        self.script = script or Script()
        self.received: list[Received] = []
        self.attempts = 0  # WebSocket handshakes asked for, refused ones too
        self.sockets = 0  # accepted

    def normalized(self) -> list[Received]:
        """``received`` with subscription ids renamed ``sub1``, ``sub2``... by first use."""
        names: dict[str, str] = {}
        out: list[Received] = []
        for socket, frame in self.received:
            if frame.get("msg") in ("sub", "unsub") and isinstance(
                frame.get("id"), str
            ):
                name = names.setdefault(frame["id"], f"sub{len(names) + 1}")
                frame = {**frame, "id": name}
            out.append((socket, frame))
        return out

    def process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        self.attempts += 1
        if self.attempts <= self.script.refuse:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "refused\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        self.sockets += 1
        number = self.sockets
        script = self.script
        methods = 0
        try:
            async for text in ws:
                msg = json.loads(text)
                self.received.append((number, msg))
                self.noted()
                kind = msg.get("msg")
                if kind == "connect":
                    if number in script.failed:
                        await _send(ws, msg="failed", version=script.failed[number])
                        await ws.close()
                        return
                    await _send(ws, msg="connected", session=f"s{number}")
                elif number in script.silent:
                    continue
                elif kind == "ping":
                    pong = {"id": msg["id"]} if "id" in msg else {}
                    await _send(ws, msg="pong", **pong)
                elif kind == "method":
                    methods += 1
                    if methods == script.drop_after.get(number):
                        ws.transport.abort()  # as a crash: no close frame
                        return
                    if number not in script.hold:
                        params = msg.get("params") or [None]
                        answer = [
                            {"msg": "result", "id": msg["id"], "result": params[0]},
                            {"msg": "updated", "methods": [msg["id"]]},
                        ]
                        for frame in answer[:: -1 if script.updated_first else 1]:
                            await _send(ws, **frame)
                elif kind == "sub" and msg["name"] in script.nosub:
                    error = script.nosub[msg["name"]]
                    await _send(ws, msg="nosub", id=msg["id"], error=error)
                elif kind == "sub":
                    for k in range(script.docs.get(msg["name"], 0)):
                        await _send(
                            ws,
                            msg="added",
                            collection=msg["name"],
                            id=f"d{k}",
                            fields={"k": k},
                        )
                    await _send(ws, msg="ready", subs=[msg["id"]])
                elif kind == "unsub":
                    await _send(ws, msg="nosub", id=msg["id"])
        except ConnectionClosed:
            pass


async def _send(ws: ServerConnection, **frame: Any) -> None:
    await ws.send(json.dumps(frame))
