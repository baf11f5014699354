"""A client that stops reading is cut off before it eats the server's memory."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.server.ddp_server import (
    ConnectionClosed,
    ServerListenerEvent,
)
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


async def test_a_client_that_stops_reading_is_dropped_and_others_carry_on() -> None:
    """items(100000) to a socket that never reads: dropped at the bound; a second client is served."""
    dropped = asyncio.Event()

    def on_event(event: ServerListenerEvent) -> None:
        if isinstance(event, ConnectionClosed):
            dropped.set()

    server = create_demo_server(max_queued_bytes=300_000)
    server.add_listener(on_event)
    # max_queue=1: websockets stops reading the socket after one message, so
    # the kernel buffers fill up and the server's own queue has to grow.
    async with server, connect(server.url, compression=None, max_queue=1) as stuck:
        await stuck.send(CONNECT)
        async with asyncio.timeout(TIMEOUT):
            while json.loads(await stuck.recv()).get("msg") != "connected":
                pass
        sub = {"msg": "sub", "id": "s", "name": "items", "params": [100_000]}
        await stuck.send(json.dumps(sub))
        async with DDPClient(server.url) as client, asyncio.timeout(TIMEOUT):
            assert await client.call("add", 1, 2) == 3
            await dropped.wait()
            assert [c.id for c in server.connections] == [client.session]
            assert await client.call("add", 2, 3) == 5
        stuck.transport.abort()  # no close handshake: the server already hung up
