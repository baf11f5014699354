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
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.server.ddp_server import ConnectionClosed as Closed
from ddp_monitor.transport.server.ddp_server import ConnectionHandle, DDPServer
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
        await send(ws, {"msg": "disconnect"})  # leaving on purpose: no grace period
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
        await send(ws, {"msg": "disconnect"})
    async with asyncio.timeout(TIMEOUT):
        await gone.wait()
    called = asyncio.Event()
    opened[0].on_close(called.set)
    assert not called.is_set()  # deferred, as Meteor.defer does
    async with asyncio.timeout(TIMEOUT):
        await called.wait()


@pytest.mark.asyncio
async def test_sockjs_info_and_framing(server: DDPServer) -> None:
    """SockJS clients get /sockjs/info, an `o` frame and `a[...]` arrays of messages."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /sockjs/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    async with asyncio.timeout(TIMEOUT):
        response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    info = json.loads(body)
    assert info["websocket"] is True
    assert info["origins"] == ["*:*"]
    assert info["cookie_needed"] is False
    url = f"ws://127.0.0.1:{server.port}/sockjs/123/abcdefgh/websocket"
    async with connect(url) as ws:
        async with asyncio.timeout(TIMEOUT):
            assert await ws.recv() == "o"
            await ws.send(json.dumps([json.dumps(CONNECT)]))
            frame = await ws.recv()
        assert isinstance(frame, str)
        assert frame.startswith("a[")
        assert json.loads(json.loads(frame[1:])[0])["msg"] == "connected"


@pytest.mark.asyncio
async def test_sockjs_broken_framing_closes_3000(server: DDPServer) -> None:
    """A SockJS frame that is not JSON closes the socket with 3000 'Broken framing.'."""
    url = f"ws://127.0.0.1:{server.port}/sockjs/1/a/websocket"
    async with connect(url) as ws:
        await ws.send("nonsense[")
        with pytest.raises(ConnectionClosed) as info:
            await drain(ws)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (3000, "Broken framing.")


@pytest.mark.asyncio
async def test_unknown_path_is_404(server: DDPServer) -> None:
    """Paths other than the DDP endpoints answer 404 over plain HTTP."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
    async with asyncio.timeout(TIMEOUT):
        line = await reader.readline()
    writer.close()
    assert line.startswith(b"HTTP/1.1 404")


@pytest.mark.asyncio
async def test_bad_input_keeps_everyone_served(server: DDPServer) -> None:
    """Garbage on one socket gets errors; that socket and others keep working."""
    async with connect(server.url) as bad, connect(server.url) as good:
        await ddp_connect(bad)
        await ddp_connect(good)
        for junk in ("nonsense", "[]", '{"msg":42}', '{"msg":"sub","id":1}'):
            await send(bad, junk)
            assert (await recv(bad))["msg"] == "error"
        await send(bad, {"msg": "method", "id": "1", "method": "echo", "params": ["x"]})
        assert (await until(bad, "result"))[-1]["result"] == "x"
        await send(
            good, {"msg": "method", "id": "1", "method": "add", "params": [1, 1]}
        )
        assert (await until(good, "result"))[-1]["result"] == 2


@pytest.mark.asyncio
async def test_oversized_frame_closes_only_that_socket() -> None:
    """A frame over max_message_size closes that socket with 1009; others go on."""
    srv = create_demo_server(port=0, max_message_size=1000)
    async with srv, connect(srv.url) as big, connect(srv.url) as small:
        await ddp_connect(big)
        await ddp_connect(small)
        await send(
            big,
            {"msg": "method", "id": "1", "method": "echo", "params": ["x" * 2000]},
        )
        with pytest.raises(ConnectionClosed) as info:
            await drain(big)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1009
        await send(small, {"msg": "method", "id": "1", "method": "echo", "params": [1]})
        assert (await until(small, "result"))[-1]["result"] == 1


@pytest.mark.asyncio
async def test_two_subscriptions_share_documents(server: DDPServer) -> None:
    """items(2) then items(3): the second sends only i2; unsub removes only i2."""
    async with connect(server.url) as ws:
        await ddp_connect(ws)
        await send(ws, {"msg": "sub", "id": "a", "name": "items", "params": [2]})
        first = await until(ws, "ready")
        await send(ws, {"msg": "sub", "id": "b", "name": "items", "params": [3]})
        second = await until(ws, "ready")
        await send(ws, {"msg": "unsub", "id": "b"})
        third = await until(ws, "nosub")
    assert [f["id"] for f in first[:-1]] == ["i0", "i1"]
    assert [(f["msg"], f["id"]) for f in second[:-1]] == [("added", "i2")]
    assert third == [
        {"msg": "removed", "collection": "items", "id": "i2"},
        {"msg": "nosub", "id": "b"},
    ]


@pytest.mark.asyncio
async def test_whoami_reports_address_and_whitelisted_headers(
    server: DDPServer,
) -> None:
    """whoami() shows the caller's id, address and only whitelisted headers."""
    headers = {"Cookie": "secret=1", "Authorization": "x", "Accept-Language": "fr"}
    async with connect(server.url, additional_headers=headers) as ws:
        session = await ddp_connect(ws)
        await send(ws, {"msg": "method", "id": "1", "method": "whoami", "params": []})
        result = (await until(ws, "result"))[-1]["result"]
    assert result["id"] == session
    assert result["clientAddress"] == "127.0.0.1"
    assert result["httpHeaders"]["accept-language"] == "fr"
    assert "cookie" not in result["httpHeaders"]
    assert "authorization" not in result["httpHeaders"]


@pytest.mark.asyncio
async def test_forwarded_count_option_reads_x_forwarded_for() -> None:
    """With forwarded_count=1 the client address comes from X-Forwarded-For."""
    srv = create_demo_server(port=0, forwarded_count=1)
    proxied = {"X-Forwarded-For": "9.9.9.9"}
    async with srv, connect(srv.url, additional_headers=proxied) as ws:
        await ddp_connect(ws)
        (conn,) = srv.connections
    assert conn.client_address == "9.9.9.9"
    assert conn.peer_address == "127.0.0.1"
    assert conn.forwarded_for == ["9.9.9.9"]


@pytest.mark.asyncio
async def test_tasks_publication_is_live(server: DDPServer) -> None:
    """tasks.add on one connection shows up in another connection's tasks subscription."""
    async with connect(server.url) as watcher, connect(server.url) as writer:
        await ddp_connect(watcher)
        await ddp_connect(writer)
        await send(watcher, {"msg": "sub", "id": "t", "name": "tasks", "params": []})
        await until(watcher, "ready")
        await send(
            writer,
            {"msg": "method", "id": "1", "method": "tasks.add", "params": ["milk"]},
        )
        task_id = (await until(writer, "result"))[-1]["result"]
        added = await recv(watcher)
    assert added["msg"] == "added"
    assert added["id"] == task_id
    assert added["fields"]["title"] == "milk"


@pytest.mark.asyncio
@pytest.mark.parametrize("compression", [False, True])
async def test_large_publication_arrives_whole_and_in_order(compression: bool) -> None:
    """items(3000) arrives complete and in order, with and without compression."""
    srv = create_demo_server(port=0, compression=compression)
    mode = "deflate" if compression else None
    async with srv, connect(srv.url, compression=mode) as ws:
        await ddp_connect(ws)
        await send(ws, {"msg": "sub", "id": "s", "name": "items", "params": [3000]})
        frames = await until(ws, "ready")
        negotiated = ws.response is not None and "permessage-deflate" in str(
            ws.response.headers.get("Sec-WebSocket-Extensions")
        )
    assert [f["id"] for f in frames[:-1]] == [f"i{k}" for k in range(3000)]
    assert negotiated is compression
