"""Session resumption end to end: our client and our server over real sockets.

The socket is reset (RST, no close frame) in the middle of a stream of
documents and a method call: the client comes back to the same session,
``on_connection`` runs once, the method runs once, every document arrives
exactly once. After the grace period a reconnect gets a new session; a
deliberate disconnect ends the session at once; a second socket takes over
a session whose first socket the server still thinks alive.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    DocumentRemoved,
    Event,
    HandshakeCompleted,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.server import DDPServer
from ddp_monitor.transport.server.handle import ConnectionHandle
from tests.sockets import reset
from tests.timeouts import TIMEOUT
from tests.waits import eventually
from tests.wire import CLOSED, WireClient

pytestmark = pytest.mark.asyncio

DOCUMENTS = 300


class App:
    """A server with a stream of documents and a method that waits to be let go."""

    def __init__(self, **options: Any) -> None:
        self.server = DDPServer(**options)
        self.opened: list[ConnectionHandle] = []
        self.closed: list[str] = []
        self.runs = 0
        self.go_on = asyncio.Event()
        self.streaming = asyncio.Event()
        self.server.on_connection(self._opened)
        self.server.methods({"work": self._work})
        self.server.publish("ticks", self._ticks)

    def _opened(self, conn: ConnectionHandle) -> None:
        self.opened.append(conn)
        conn.on_close(lambda: self.closed.append(conn.id))

    async def _work(self, this: Any) -> int:
        self.runs += 1
        await self.go_on.wait()
        return self.runs

    async def _ticks(self, sub: Any) -> None:
        sub.ready()

        async def stream() -> None:
            for n in range(DOCUMENTS):
                sub.added("ticks", f"t{n}", {"n": n})
                if n == DOCUMENTS // 3:
                    self.streaming.set()
                await asyncio.sleep(0.002)

        task = asyncio.ensure_future(stream())
        sub.on_stop(task.cancel)


def recorder(client: DDPClient) -> list[Event]:
    events: list[Event] = []
    client.add_listener(events.append)
    return events


async def test_a_reset_socket_comes_back_to_the_same_session() -> None:
    app = App()
    async with app.server, DDPClient(app.server.url) as client:
        events = recorder(client)
        await client.subscribe("ticks").wait_ready()
        call = asyncio.ensure_future(client.call("work"))
        await eventually(lambda: app.runs == 1)
        async with asyncio.timeout(TIMEOUT):
            await app.streaming.wait()
        session = client.session
        reset(client)
        await eventually(
            lambda: any(isinstance(e, HandshakeCompleted) and e.resumed for e in events)
        )
        app.go_on.set()
        async with asyncio.timeout(TIMEOUT):
            assert await call == 1
        await eventually(lambda: len(client.store.collection("ticks")) == DOCUMENTS)
        [handle] = app.opened
        assert client.session == session == handle.id
        assert handle.resumptions == 1
        assert handle.frames_replayed > 0  # documents added during the gap
        assert app.runs == 1  # the re-sent call was not run again
        assert app.closed == []
        assert [e for e in events if isinstance(e, BadMessageReceived)] == []
        assert [e for e in events if isinstance(e, DocumentRemoved)] == []
        ns = [doc["n"] for doc in client.store.collection("ticks").values()]
        assert sorted(ns) == list(range(DOCUMENTS))


async def test_after_the_grace_period_a_reconnect_gets_a_new_session() -> None:
    app = App(disconnect_grace_period=0.3)
    async with app.server, DDPClient(app.server.url) as client:
        await client.subscribe("ticks").wait_ready()
        first = client.session
        reset(client)
        client.disconnect()  # the goodbye goes nowhere: the socket is gone
        await eventually(lambda: app.opened[0].detached)
        await eventually(lambda: app.closed == [first])
        events = recorder(client)
        client.reconnect()
        await client.wait_for_status(ConnectionStatus.CONNECTED)
        await eventually(lambda: len(app.opened) == 2)
        handshake = [e for e in events if isinstance(e, HandshakeCompleted)]
        await eventually(lambda: client.session != first)
        assert app.opened[1].id == client.session
        assert [h.resumed for h in handshake] in ([], [False])


async def test_a_deliberate_disconnect_ends_the_session_at_once() -> None:
    app = App()  # the default 15 s grace period
    async with app.server, DDPClient(app.server.url) as client:
        await client.subscribe("ticks").wait_ready()
        first = client.session
        client.disconnect()
        await eventually(lambda: app.closed == [first])
        client.reconnect()
        await eventually(lambda: len(app.opened) == 2)
        assert app.opened[1].id != first


async def test_a_second_socket_takes_over_a_session_still_open() -> None:
    """The server has not noticed the first socket die: the new one replaces it."""
    app = App()
    async with app.server:
        first = await WireClient.open(app.server.url)
        [connected] = await first.handshake()
        await first.send({"msg": "method", "id": "1", "method": "work", "params": []})
        await eventually(lambda: app.runs == 1)
        second = await WireClient.open(app.server.url)
        resume = {
            "msg": "connect",
            "session": connected["session"],
            "receivedCount": 0,
            "version": "1",
            "support": ["1"],
        }
        await second.send(resume)
        assert await second.recv() == connected
        await second.send({"msg": "method", "id": "1", "method": "work", "params": []})
        app.go_on.set()
        frames = await second.collect_until(lambda f: f.get("msg") == "result")
        assert frames == [
            {"msg": "updated", "methods": ["1"]},
            {"msg": "result", "id": "1", "result": 1},
        ]
        closed = await first.collect_until(lambda f: False)
        assert closed[-1][CLOSED] == 1000
        assert (app.runs, len(app.opened), app.closed) == (1, 1, [])
        await second.close()
