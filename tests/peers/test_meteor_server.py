"""The Meteor peer launcher: the reference server really runs, dies and comes back on its port."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.peers.meteor_server import MeteorServer
from tests.wire import WireClient, is_close, normalize

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]


async def test_meteor_peer_is_a_real_meteor_1_9_server(
    meteor_server: MeteorServer,
) -> None:
    """The session's Meteor peer says it is Meteor 1.9.3 and answers a DDP handshake."""
    assert meteor_server.ready_info["impl"].startswith("Meteor METEOR@1.9.3 ")
    assert meteor_server.ready_info["url"] == meteor_server.url
    async with await WireClient.open(meteor_server.url) as client:
        frames = await client.handshake()
    assert [frame.get("msg") for frame in normalize(frames)] == ["connected"]


async def test_killed_meteor_restarts_on_the_same_port(
    meteor_server_factory: Callable[..., MeteorServer],
) -> None:
    """A killed Meteor server drops its clients and, restarted, serves the same URL with new sessions."""
    server = meteor_server_factory()
    url, pid = server.url, server.pid
    async with await WireClient.open(url) as client:
        first = await client.handshake()
        server.kill()
        assert not server.running
        assert is_close(await client.recv())
    await server.restart_async()
    assert server.url == url
    assert server.pid != pid
    async with await WireClient.open(url) as client:
        second = await client.handshake()
    assert [frame["msg"] for frame in normalize(first)] == ["connected"]
    assert [frame["msg"] for frame in normalize(second)] == ["connected"]
    assert second[-1]["session"] != first[-1]["session"]
