"""Server introspection events and setUserId/universal publications over loopback.

``ConnectionChanged`` comes at most once per connection per loop iteration and
only when what the panel shows moved; a universal publication added while
clients are connected reaches them at once; coroutine publications re-run in
order and the method can await the diff.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest

from ddp_monitor.transport.server.ddp_server import (
    ConnectionChanged,
    DDPServer,
    MethodInvocation,
    Subscription,
)
from tests.timeouts import TIMEOUT
from tests.wire import Frame, WireClient

pytestmark = pytest.mark.asyncio

BURST = 50


def is_result(method_id: str) -> Any:
    return lambda f: f.get("msg") == "result" and f.get("id") == method_id


def snapshot(event: ConnectionChanged) -> tuple[Any, ...]:
    handle = event.connection
    return (handle.messages_in, handle.messages_out, dict(handle.subscriptions))


async def test_connection_changed_is_coalesced_and_ends_on_the_final_state() -> None:
    """A burst of 50 calls in one SockJS frame gives one event, not one per call."""
    async with DDPServer() as server:
        server.methods({"echo": lambda this, x=None, *_: x})
        seen: list[tuple[Any, ...]] = []
        changed = asyncio.Event()

        def on_event(event: Any) -> None:
            if isinstance(event, ConnectionChanged):
                seen.append(snapshot(event))
                changed.set()

        server.add_listener(on_event)
        async with await WireClient.open(server.url, sockjs=True) as client:
            await client.collect_count(1)  # SockJS "o"
            await client.handshake()
            (handle,) = server.connections
            before = len(seen)
            burst = [
                json.dumps(
                    {"msg": "method", "id": str(n), "method": "echo", "params": [n]}
                )
                for n in range(BURST)
            ]
            await client.socket.send(json.dumps(burst))  # one frame, 50 messages
            await client.collect_until(is_result(str(BURST - 1)))
            final = (handle.messages_in, handle.messages_out)
            async with asyncio.timeout(TIMEOUT):
                while not seen or seen[-1][:2] != final:
                    changed.clear()
                    await changed.wait()
            assert len(seen) - before <= 2  # was one per call (50+) before coalescing
            assert seen[-1][:2] == (handle.messages_in, handle.messages_out)
            assert all(a != b for a, b in itertools.pairwise(seen))


async def test_universal_publication_reaches_open_sessions_at_once() -> None:
    """``publish(None, fn)`` after clients connected runs for each of them, without ready."""
    async with DDPServer() as server:
        server.methods({"echo": lambda this, x=None, *_: x})
        async with await WireClient.open(server.url) as client:
            await client.handshake()
            server.publish(
                None, lambda sub: sub.added("news", "n1", {"conn": sub.connection.id})
            )
            (handle,) = server.connections
            frame = await client.recv()
            assert frame == {
                "msg": "added",
                "collection": "news",
                "id": "n1",
                "fields": {"conn": handle.id},
            }


async def test_coroutine_publications_rerun_in_order_before_the_result() -> None:
    """With async publications, awaiting set_user_id sends the diff and ready before the result."""
    order: list[str] = []

    async def slow_pub(sub: Subscription) -> None:
        order.append(f"slow:{sub.user_id}")
        await asyncio.sleep(0)
        sub.added("docs", "d", {"user": sub.user_id})
        sub.ready()

    def fast_pub(sub: Subscription) -> None:
        order.append(f"fast:{sub.user_id}")
        sub.ready()

    async def login(this: MethodInvocation, user: Any = None, *_: Any) -> Any:
        await this.set_user_id(user)
        return user

    async with DDPServer() as server:
        server.methods({"login": login})
        server.publish("slow", slow_pub)
        server.publish("fast", fast_pub)
        async with await WireClient.open(server.url) as client:
            await client.handshake()
            await client.send(
                {"msg": "sub", "id": "a", "name": "slow"},
                {"msg": "sub", "id": "b", "name": "fast"},
            )
            await client.collect_count(3)  # added, ready a, ready b
            await client.send(
                {"msg": "method", "id": "m", "method": "login", "params": ["u"]}
            )
            frames: list[Frame] = await client.collect_until(is_result("m"))
    assert order == ["slow:None", "fast:None", "slow:u", "fast:u"]
    assert frames == [
        {"msg": "changed", "collection": "docs", "id": "d", "fields": {"user": "u"}},
        {"msg": "ready", "subs": ["a", "b"]},
        {"msg": "updated", "methods": ["m"]},
        {"msg": "result", "id": "m", "result": "u"},
    ]


async def test_set_user_id_after_unblock_is_refused() -> None:
    """As Meteor, setUserId after unblock() fails the method and changes nothing."""

    def sneaky(this: MethodInvocation, *_: Any) -> None:
        this.unblock()
        this.set_user_id("u")

    async with DDPServer() as server:
        server.methods({"sneaky": sneaky})
        async with await WireClient.open(server.url) as client:
            await client.handshake()
            await client.send({"msg": "method", "id": "m", "method": "sneaky"})
            frames = await client.collect_until(is_result("m"))
            (handle,) = server.connections
            assert handle.user_id is None
    assert frames[-1]["error"]["reason"] == "Internal server error"
