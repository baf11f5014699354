"""What the server panel reads off a ``ConnectionHandle``: DDP version and recent frames."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import ClientConnection, connect

from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.server.connection import RECENT_FRAME_CHARS
from ddp_monitor.transport.server.ddp_server import ConnectionHandle
from ddp_monitor.transport.wiretap import Direction
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio


async def _handshake(
    ws: ClientConnection, opened: list[ConnectionHandle], version: str = "1"
) -> ConnectionHandle:
    """Send `connect`, read `connected`, and return the server's handle for it."""
    await ws.send(
        json.dumps({"msg": "connect", "version": version, "support": [version]})
    )
    async with asyncio.timeout(TIMEOUT):
        reply = json.loads(await ws.recv())
    assert reply["msg"] == "connected"
    # on_connection runs in the same turn that wrote `connected`: by the time
    # the client read it, the handle is there.
    (handle,) = opened
    return handle


@pytest.mark.parametrize("version", ["1", "pre2", "pre1"])
async def test_handle_reports_the_agreed_ddp_version(version: str) -> None:
    """The panel shows the DDP version each client negotiated."""
    async with create_demo_server(port=0) as server:
        opened: list[ConnectionHandle] = []
        server.on_connection(opened.append)
        async with connect(server.url) as ws:
            handle = await _handshake(ws, opened, version)
            assert handle.version == version


async def test_recent_frames_keep_the_last_messages_both_ways() -> None:
    """The detail view lists a connection's last messages, oldest first, bounded in count and size."""
    async with create_demo_server(port=0, recent_frames=4) as server:
        opened: list[ConnectionHandle] = []
        server.on_connection(opened.append)
        async with connect(server.url) as ws:
            handle = await _handshake(ws, opened)
            first = handle.recent_frames
            assert [f.direction for f in first] == [Direction.IN, Direction.OUT]
            assert json.loads(first[0].data)["msg"] == "connect"
            assert json.loads(first[1].data)["msg"] == "connected"
            big = "x" * (RECENT_FRAME_CHARS * 2)
            for n in range(3):
                call = {
                    "msg": "method",
                    "id": str(n),
                    "method": "echo",
                    "params": [big],
                }
                await ws.send(json.dumps(call))
            answered: set[str] = set()
            async with asyncio.timeout(TIMEOUT):
                while len(answered) < 2:  # both `result` and `updated` of call 2
                    reply = json.loads(await ws.recv())
                    if reply.get("id") == "2" or reply.get("methods") == ["2"]:
                        answered.add(reply["msg"])
            frames = handle.recent_frames
            assert len(frames) == 4
            assert all(len(f.data) <= RECENT_FRAME_CHARS for f in frames)
            assert [f.time for f in frames] == sorted(f.time for f in frames)
            assert [f.direction for f in frames[-2:]] == [Direction.OUT] * 2
            assert all('"2"' in f.data for f in frames[-2:])


async def test_recent_frames_off_keeps_nothing() -> None:
    """A headless server can switch the ring off: handles then remember no frames."""
    async with create_demo_server(port=0, recent_frames=0) as server:
        opened: list[ConnectionHandle] = []
        server.on_connection(opened.append)
        async with connect(server.url) as ws:
            handle = await _handshake(ws, opened)
            assert handle.recent_frames == []
            assert handle.messages_in == 1
