"""DDPServer over 127.0.0.1 with a bare ``websockets`` client (not our DDP client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.demo import create_demo_server
from ddp_monitor.transport.server import ConnectionClosed as Closed
from ddp_monitor.transport.server import ConnectionHandle, DDPServer
from tests.timeouts import TIMEOUT

CONNECT = {"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[DDPServer]:
    async with create_demo_server(port=0) as srv:
        yield srv


async def recv(ws: ClientConnection) -> Any:
    async with asyncio.timeout(TIMEOUT):
        return json.loads(await ws.recv())


async def send(ws: ClientConnection, msg: Any) -> None:
    await ws.send(msg if isinstance(msg, str) else json.dumps(msg))


async def ddp_connect(ws: ClientConnection) -> str:
    await send(ws, CONNECT)
    reply = await recv(ws)
    assert reply["msg"] == "connected"
    session: str = reply["session"]
    return session


async def drain(ws: ClientConnection) -> None:
    """Read until the socket closes (raises ConnectionClosed)."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            await ws.recv()


async def until(ws: ClientConnection, msg: str) -> list[Any]:
    """Every frame up to and including the first with ``msg``."""
    frames = []
    while True:
        frame = await recv(ws)
        frames.append(frame)
        if frame.get("msg") == msg:
            return frames


@pytest.mark.asyncio
async def test_method_call_gets_updated_then_result(server: DDPServer) -> None:
    """A write-free method answers `updated` before `result`, as Meteor does."""
    async with connect(server.url) as ws:
        await ddp_connect(ws)
        await send(ws, {"msg": "method", "id": "1", "method": "add", "params": [2, 3]})
        assert await recv(ws) == {"msg": "updated", "methods": ["1"]}
        assert await recv(ws) == {"msg": "result", "id": "1", "result": 5}


@pytest.mark.asyncio
async def test_session_id_is_a_17_char_random_id(server: DDPServer) -> None:
    """`connected` carries a Random.id() session, new for each socket."""
    async with connect(server.url) as a, connect(server.url) as b:
        first, second = await ddp_connect(a), await ddp_connect(b)
    assert len(first) == 17
    assert len(second) == 17
    assert first != second


@pytest.mark.asyncio
async def test_failing_method_sends_meteor_error(server: DDPServer) -> None:
    """fail() reaches the client in Meteor.Error's wire shape."""
    async with connect(server.url) as ws:
        await ddp_connect(ws)
        await send(ws, {"msg": "method", "id": "7", "method": "fail", "params": []})
        frames = await until(ws, "result")
    assert (
        frames[-1]["error"]
        == MethodError(
            "boom", "Boom: requested failure", {"scenario": "fail"}
        ).to_wire()
    )


@pytest.mark.asyncio
async def test_server_close_runs_on_close_and_reconnect_gets_new_id(
    server: DDPServer,
) -> None:
    """close() from the server ends the socket; on_close runs; a new socket gets a new id."""
    opened: list[ConnectionHandle] = []
    closed: list[str] = []
    done = asyncio.Event()
    server.on_connection(opened.append)
    async with connect(server.url) as ws:
        first = await ddp_connect(ws)
        handle = opened[0]
        handle.on_close(lambda: (closed.append(handle.id), done.set()))
        handle.close()
        with pytest.raises(ConnectionClosed) as info:
            await drain(ws)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1000
    async with asyncio.timeout(TIMEOUT):
        await done.wait()
    assert closed == [first]
    async with connect(server.url) as ws:
        second = await ddp_connect(ws)
    assert second != first
    assert opened[1].id == second


@pytest.mark.asyncio
async def test_on_close_after_publication_stop_callbacks(server: DDPServer) -> None:
    """The publications' onStop callbacks run before the connection's onClose."""
    order: list[str] = []
    done = asyncio.Event()

    def publication(sub: Any) -> None:
        sub.on_stop(lambda: order.append("sub stopped"))
        sub.ready()

    def on_closed() -> None:
        order.append("connection closed")
        done.set()

    server.publish("watched", publication)
    server.on_connection(lambda conn: conn.on_close(on_closed))
    async with connect(server.url) as ws:
        await ddp_connect(ws)
        await send(ws, {"msg": "sub", "id": "w", "name": "watched", "params": []})
        await until(ws, "ready")
    async with asyncio.timeout(TIMEOUT):
        await done.wait()
    assert order == ["sub stopped", "connection closed"]


@pytest.mark.asyncio
async def test_on_close_registered_late_still_runs(server: DDPServer) -> None:
    """on_close on an already-closed connection is called soon, not lost."""
    opened: list[ConnectionHandle] = []
    gone = asyncio.Event()
    server.on_connection(opened.append)
    server.add_listener(lambda e: gone.set() if isinstance(e, Closed) else None)
    async with connect(server.url) as ws:
        await ddp_connect(ws)
    async with asyncio.timeout(TIMEOUT):
        await gone.wait()
    called = asyncio.Event()
    opened[0].on_close(called.set)
    assert not called.is_set()  # deferred, as Meteor.defer does
    async with asyncio.timeout(TIMEOUT):
        await called.wait()
