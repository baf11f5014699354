"""Sockets that never say `connect`: the websocket timeout, and a flood of them.

Meteor's stream_server.js gives a socket 45 s (``setWebsocketTimeout``) to get
to the DDP handshake and clears the timeout once the session exists; the tests
use a fraction of a second. A flood of silent and garbage-speaking sockets must
not disturb a normal client, and must leave nothing behind.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.server import callbacks
from ddp_monitor.transport.server.ddp_server import DDPServer
from tests.timeouts import TIMEOUT
from tests.waits import eventually
from tests.wire import WireClient, is_close

pytestmark = pytest.mark.asyncio

SHORT = 0.3  # the websocket timeout under test, seconds
SILENT = 300
GARBAGE = 20
GARBAGE_FRAMES = 2000
CALLS = 40


async def closed_by_server(ws: ClientConnection) -> int | None:
    """Read until the server closes the socket; its close code."""
    async with asyncio.timeout(TIMEOUT):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None


async def test_socket_that_never_connects_is_closed_after_the_timeout() -> None:
    """A socket that sends no `connect` is closed (normal closure) once the timeout passes."""
    async with DDPServer(websocket_timeout=SHORT) as server:
        async with connect(server.url, compression=None) as ws:
            assert await closed_by_server(ws) == 1000
        await eventually(lambda: server.open_sockets == 0)


async def test_session_clears_the_websocket_timeout() -> None:
    """Once `connected` is sent, the socket stays open past the timeout."""
    async with (
        DDPServer(websocket_timeout=SHORT) as server,
        await WireClient.open(server.url) as client,
    ):
        await client.handshake()
        quiet = await client.collect_quiet(quiet=SHORT * 3)
        assert not any(is_close(frame) for frame in quiet)
        assert server.open_sockets == 1


async def test_timeout_zero_keeps_a_silent_socket_open() -> None:
    """``websocket_timeout=0`` never closes a silent socket (as observed on Meteor 1.9.3)."""
    async with (
        DDPServer(websocket_timeout=0) as server,
        await WireClient.open(server.url) as client,
    ):
        quiet = await client.collect_quiet(quiet=SHORT * 3)
        assert quiet == []
        assert server.open_sockets == 1


async def _silent(url: str) -> int | None:
    async with connect(url, compression=None, open_timeout=TIMEOUT) as ws:
        return await closed_by_server(ws)


async def _garbage(url: str) -> int:
    """Send junk as fast as the socket takes it until the server closes it."""
    sent = 0
    async with connect(url, compression=None, open_timeout=TIMEOUT) as ws:
        try:
            async with asyncio.timeout(TIMEOUT):
                while sent < GARBAGE_FRAMES:
                    await ws.send("{not json" if sent % 2 else '{"msg":"sub"}')
                    sent += 1
                await closed_by_server(ws)
        except ConnectionClosed:
            pass
    return sent


async def _normal_client(url: str, stop: asyncio.Event) -> list[Any]:
    """Subscribe to tasks and keep adding tasks; every add must come back as data."""
    errors: list[Any] = []
    async with await WireClient.open(url) as client:
        await client.handshake()
        await client.send({"msg": "sub", "id": "t", "name": "tasks"})
        await client.collect_until(lambda f: f.get("msg") == "ready")
        n = 0
        while n < CALLS or not stop.is_set():
            n += 1
            await client.send(
                {
                    "msg": "method",
                    "id": str(n),
                    "method": "tasks.add",
                    "params": [f"t{n}"],
                }
            )
            frames = await client.collect_until(
                lambda f, n=n: f.get("msg") == "result" and f.get("id") == str(n)
            )
            added = [f for f in frames if f.get("msg") == "added"]
            if len(added) != 1 or "error" in frames[-1] or is_close(frames[-1]):
                errors.append(frames)
    return errors


async def test_flood_of_silent_and_garbage_sockets_leaves_a_client_unharmed() -> None:
    """Hundreds of silent sockets and junk floods: a DDP client keeps working; nothing leaks."""
    # A short grace period: the client's session, lost without a goodbye,
    # waits for a resumption that never comes, then ends.
    async with create_demo_server(
        websocket_timeout=SHORT, disconnect_grace_period=SHORT
    ) as server:
        url = server.url
        background_before = len(callbacks._background)
        stop = asyncio.Event()
        client = asyncio.create_task(_normal_client(url, stop))
        floods: list[asyncio.Future[Any]] = []
        for start in range(0, SILENT, 50):  # the accept backlog is 100
            floods += [
                asyncio.ensure_future(_silent(url))
                for _ in range(start, min(start + 50, SILENT))
            ]
            await asyncio.sleep(0)
        floods += [asyncio.ensure_future(_garbage(url)) for _ in range(GARBAGE)]
        async with asyncio.timeout(TIMEOUT * 4):
            results = await asyncio.gather(*floods)
        # Back to normal while the client is still on: one socket, one session.
        await eventually(lambda: server.open_sockets == 1)
        assert len(server.connections) == 1
        stop.set()
        async with asyncio.timeout(TIMEOUT * 4):
            errors = await client
        assert errors == []
        assert results[:SILENT] == [1000] * SILENT  # each closed by the timeout
        await eventually(lambda: server.open_sockets == 0)
        await eventually(lambda: server.connections == [])
        assert len(callbacks._background) == background_before
        assert server._changed == {}
        assert server._last_seen == {}
