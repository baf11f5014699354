"""Clients that stop reading, or stop answering, are cut off before they cost the server."""

from __future__ import annotations

import asyncio
import json
import socket

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


async def test_a_peer_silent_after_a_fatal_frame_is_cut_off_at_the_close_timeout() -> (
    None
):
    """A frame over the size limit closes the session (1009); a peer that never answers the close is let go, not kept."""
    closed = asyncio.Event()
    server = create_demo_server(max_message_size=1024)
    server.on_connection(lambda conn: conn.on_close(closed.set))
    async with server:
        loop = asyncio.get_running_loop()
        host, port = "127.0.0.1", server.port
        raw = socket.create_connection((host, port))
        raw.setblocking(False)
        try:
            async with asyncio.timeout(TIMEOUT):
                await loop.sock_sendall(raw, _UPGRADE)
                await loop.sock_recv(raw, 4096)
                await loop.sock_sendall(raw, _masked_text(CONNECT))
                await loop.sock_recv(raw, 4096)
                await loop.sock_sendall(raw, _masked_text("x" * 4096))
                await closed.wait()  # the peer reads nothing and never closes
            assert server.connections == []
        finally:
            raw.close()


_UPGRADE = (
    b"GET /websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def _masked_text(text: str) -> bytes:
    # RFC 6455 §5.2: FIN + text, masked with a zero key (the payload as it is).
    payload = text.encode()
    if len(payload) < 126:
        return b"\x81" + bytes([0x80 | len(payload)]) + b"\0" * 4 + payload
    return b"\x81\xfe" + len(payload).to_bytes(2, "big") + b"\0" * 4 + payload
