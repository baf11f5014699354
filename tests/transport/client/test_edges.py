"""DDPClient over real sockets with values at the edges: what used to wedge or hang it."""

from __future__ import annotations

from typing import Any

import pytest

from ddp_monitor.ddp.jsontext import dumps
from ddp_monitor.transport.client import DDPClient

pytestmark = pytest.mark.asyncio


async def test_a_lone_surrogate_goes_both_ways_and_the_client_goes_on(
    our_server: Any,
) -> None:
    """A call carrying a lone UTF-16 surrogate, made offline then sent at connect, is answered; later calls work."""
    client = DDPClient(our_server.url)
    await client.start()
    try:
        client.disconnect()
        pending = client.apply_nowait("echo", ["\ud800 evil"])
        client.reconnect()
        assert await pending == "\ud800 evil"
        assert await client.call("add", 1, 2) == 3
        assert client.status.connected
    finally:
        await client.close()


async def test_a_result_nested_far_past_pythons_recursion_limit_arrives(
    our_server: Any,
) -> None:
    """An answer 5,000 levels deep completes its call (Meteor's own server cannot even send it)."""
    value: Any = {"leaf": True}
    for level in range(5_000):
        value = [value] if level % 2 else {"$a": value}
    async with DDPClient(our_server.url) as client:
        echoed = await client.call("echo", value)
    assert dumps(echoed) == dumps(value)  # text: Python's == recurses in C
