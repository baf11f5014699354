"""Session resumption seen through the proxy: a reset or a dead link under a resumable session.

Upstream is our own demo server (Meteor 1.9.3 has no resumption). The
client's socket is reset by the proxy, or its link goes silent until the
client's heartbeat gives up; either way the client comes back through a new
proxied connection to the same session, which the row says, and the app runs
no ``on_connection`` twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.faults import Faults
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.proxy import DDPProxy, ProxiedConnection
from ddp_monitor.proxy.rows import row
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.server import DDPServer
from tests.cli.watch_process import Watch
from tests.proxy.proxy_helpers import until_row
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app() -> AsyncIterator[DDPServer]:
    async with create_demo_server(port=0) as server:
        yield server


async def _resumed_row(proxy: DDPProxy, first: ProxiedConnection) -> ProxiedConnection:
    return await until_row(proxy, lambda c: c is not first and c.resumed is not None)


async def test_a_reset_under_a_resumable_session_resumes_it(app: DDPServer) -> None:
    async with (
        DDPProxy(app.url, port=0) as proxy,
        asyncio.timeout(2 * TIMEOUT),
        DDPClient(proxy.url) as client,
    ):
        await client.subscribe("tasks").wait_ready()
        session = client.session
        first = await until_row(proxy, lambda c: c.session == session)
        assert row(first)["resumption"] is None  # a first connect asks nothing
        proxy.reset(first.id)
        second = await _resumed_row(proxy, first)
        assert client.session == session
        asked = row(second)["resumption"]
        assert (asked["session"], asked["resumed"]) == (session, True)
        assert asked["receivedCount"] > 0  # the subscription's frames at least
        [handle] = app.connections
        assert handle.id == session
        assert handle.resumptions == 1
        assert await client.call("add", 1, 2) == 3


async def test_a_dead_link_is_taken_over_by_the_clients_next_socket(
    app: DDPServer,
) -> None:
    """The app never sees the first socket end: the second one replaces it."""
    async with DDPProxy(app.url, port=0) as proxy:
        client = DDPClient(proxy.url, heartbeat_interval=0.3, heartbeat_timeout=0.3)
        async with asyncio.timeout(2 * TIMEOUT), client:
            await client.call("echo", 0)
            session = client.session
            first = await until_row(proxy, lambda c: c.session == session)
            proxy.set_faults(first.id, Faults(dead_link=True))
            await client.wait_for_status(ConnectionStatus.WAITING)
            second = await _resumed_row(proxy, first)
            await client.wait_for_status(ConnectionStatus.CONNECTED)
            assert second.resumed is True
            assert client.session == session
            assert [c.id for c in app.connections] == [session]
            assert app.connections[0].resumptions == 1


async def test_watch_prints_whether_a_reconnect_resumed(app: DDPServer) -> None:
    """`ddp-monitor watch` says resumed (with the count) or new (with the old id) after a reset."""
    async with DDPProxy(app.url, port=0) as proxy:
        lines = {}
        for flags in ((), ("--no-resume",)):
            watch = await Watch.start(proxy.url, *flags)
            try:
                first = await watch.until(lambda line: line["event"] == "handshake")
                session = first["session"]
                row_ = await until_row(proxy, lambda c, s=session: c.session == s)
                proxy.reset(row_.id)
                lines[flags] = await watch.until(
                    lambda line: line["event"] == "handshake" and "resumed" in line
                )
            finally:
                await watch.interrupt()
        resumed, new = lines[()], lines[("--no-resume",)]
        assert resumed["resumed"] is True
        assert type(resumed["receivedCount"]) is int
        assert new["resumed"] is False
        assert new["previousSession"] != new["session"]
