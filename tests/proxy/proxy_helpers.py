"""Waiting on a proxy and speaking raw frames to it, for the proxy's tests.

Owns ``until_row`` (the first connection that satisfies a predicate, awaited
on the proxy's events, never polled) and ``script_frames`` (a fixed DDP
exchange over a bare websocket, its answers normalised for comparison);
imports the proxy library, websockets' client and tests.timeouts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import connect

from ddp_monitor.proxy import DDPProxy, ProxiedConnection, ProxyEvent
from tests.timeouts import TIMEOUT

__all__ = ["SCRIPT", "script_frames", "until_row"]


async def until_row(
    proxy: DDPProxy, test: Callable[[ProxiedConnection], bool] = lambda c: True
) -> ProxiedConnection:
    """The first proxied connection for which ``test`` holds (now or later)."""
    for connection in proxy.connections:
        if test(connection):
            return connection
    found: asyncio.Future[ProxiedConnection] = (
        asyncio.get_running_loop().create_future()
    )

    def look(event: ProxyEvent) -> None:
        if not found.done() and test(event.connection):
            found.set_result(event.connection)

    remove = proxy.add_listener(look)
    try:
        async with asyncio.timeout(TIMEOUT):
            return await found
    finally:
        remove()


#: A fixed exchange: (message to send, number of answers it gets).
SCRIPT: list[tuple[dict[str, Any], int]] = [
    ({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}, 1),
    ({"msg": "method", "id": "1", "method": "add", "params": [20, 22]}, 2),
    (
        {
            "msg": "method",
            "id": "2",
            "method": "echo",
            "params": [{"$date": 1700000000123}],
        },
        2,
    ),
    ({"msg": "method", "id": "3", "method": "fail", "params": []}, 2),
    ({"msg": "sub", "id": "s1", "name": "items", "params": [3]}, 4),
    ({"msg": "unsub", "id": "s1"}, 4),
    ({"msg": "sub", "id": "s2", "name": "nothing-here", "params": []}, 1),
    ({"msg": "method", "id": "4", "method": "no-such-method", "params": []}, 2),
    ({"msg": "ping", "id": "p1"}, 1),
]


async def script_frames(url: str) -> list[Any]:
    """The answers to ``SCRIPT`` from ``url`` (a raw /websocket URL), session ids masked."""
    answers: list[Any] = []
    async with asyncio.timeout(TIMEOUT), connect(url, compression=None) as ws:
        for message, count in SCRIPT:
            await ws.send(json.dumps(message))
            got = 0
            while got < count:
                frame = json.loads(await ws.recv())
                if "server_id" in frame:  # Meteor 1.9's first frame, not an answer
                    answers.append(frame)
                    continue
                if frame.get("msg") == "connected":
                    frame["session"] = "<session>"
                answers.append(frame)
                got += 1
    return answers
