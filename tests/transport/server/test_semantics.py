"""Meteor's server semantics beyond the wire: hooks, publications of cursors, client-safe errors.

Each behaviour is Meteor 1.9.3's ``ddp-server`` as its code has it (cited per
test); the peer app has no Mongo cursors or hooks to compare against, so these
run our server with our client over real sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from ddp_monitor.ddp.errors import MethodError, SubscriptionError
from ddp_monitor.ddp.server import Collection
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.server import ConnectionHandle, DDPServer
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def server() -> AsyncIterator[DDPServer]:
    async with DDPServer(port=0) as srv:
        srv.methods({"echo": lambda this, x=None: x})
        yield srv


async def test_a_hook_stopped_by_an_earlier_one_does_not_run(server: DDPServer) -> None:
    """onConnection: a hook stopped by an earlier hook of the same connection is skipped (callback-hook each())."""
    calls: list[str] = []
    later: Any = None

    def first(conn: ConnectionHandle) -> None:
        calls.append("first")
        later.stop()

    server.on_connection(first)
    later = server.on_connection(lambda conn: calls.append("second"))
    async with DDPClient(server.url) as client:
        await client.call("echo", 1)
    assert calls == ["first"]


async def test_a_publication_may_return_one_cursor_per_collection(
    server: DDPServer,
) -> None:
    """A list of cursors on distinct collections publishes each, then ready (_publishHandlerResult)."""
    tasks, notes = Collection("tasks"), Collection("notes")
    tasks.insert({"_id": "t1", "title": "a"})
    notes.insert({"_id": "n1", "text": "b"})
    server.publish("both", lambda sub: [tasks.find(), notes.find()])
    server.publish("none", lambda sub: [])
    async with DDPClient(server.url) as client:
        await client.subscribe("both").wait_ready()
        await client.subscribe("none").wait_ready()
        assert dict(client.store.collection("tasks")) == {"t1": {"title": "a"}}
        assert dict(client.store.collection("notes")) == {"n1": {"text": "b"}}


@pytest.mark.parametrize(
    "returned",
    [
        pytest.param(lambda c: [c.find(), c.find()], id="two-cursors-one-collection"),
        pytest.param(lambda c: [c.find(), {"_id": 1}], id="not-all-cursors"),
        pytest.param(lambda c: {"_id": 1}, id="a-document"),
    ],
)
async def test_what_a_publication_may_not_return_fails_it(
    server: DDPServer, returned: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything else truthy ends the subscription with Meteor's 500, and the server log says why."""
    collection = Collection("things")
    server.publish("wrong", lambda sub: returned(collection))
    async with DDPClient(server.url) as client:
        with pytest.raises(SubscriptionError) as info:
            async with _timeout():
                await client.subscribe("wrong").wait_ready()
    assert info.value.error == 500
    assert "Publish function" in caplog.text


class ClientSafe(Exception):
    """Meteor's ``isClientSafe`` error of a package that does not use Meteor.Error."""

    is_client_safe = True

    def __init__(self) -> None:
        super().__init__("validation failed")
        self.error = "validation-error"
        self.reason = "Title is required"
        self.details = [{"name": "title", "type": "required"}]


class Sanitized(Exception):
    def __init__(self) -> None:
        super().__init__("database password is hunter2")
        self.sanitized_error = MethodError("db-down", "Try again later")


async def test_client_safe_errors_reach_the_client_whole(server: DDPServer) -> None:
    """An error marked client-safe, or carrying a client-safe sanitized_error, is sent as it is, not as 500."""

    def validate(this: Any) -> None:
        raise ClientSafe()

    def sanitize(this: Any) -> None:
        raise Sanitized()

    server.methods({"validate": validate, "sanitize": sanitize})
    async with DDPClient(server.url) as client:
        with pytest.raises(MethodError) as info:
            await client.call("validate")
        assert info.value == MethodError(
            "validation-error",
            "Title is required",
            [{"name": "title", "type": "required"}],
        )
        with pytest.raises(MethodError) as info:
            await client.call("sanitize")
        assert info.value == MethodError("db-down", "Try again later")


async def test_on_message_sees_each_message_before_it_runs(
    server: DDPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Meteor's onMessage: every queued message, decoded, before its handler; a failing hook is logged only."""
    seen: list[tuple[str, Any, str]] = []

    def record(message: dict[str, Any], conn: ConnectionHandle) -> None:
        seen.append((message["msg"], message.get("params"), conn.id))

    def broken(message: dict[str, Any], conn: ConnectionHandle) -> None:
        raise RuntimeError("hook bug")

    server.on_message(record)
    hook = server.on_message(broken)
    server.publish("nothing", lambda sub: sub.ready())
    async with DDPClient(server.url) as client:
        await client.subscribe("nothing").wait_ready()
        when = await client.call("echo", {"$date": 0})
        hook.stop()
        await client.call("echo", 2)
        session = client.session
    assert [(m, p) for m, p, _ in seen] == [
        ("sub", []),
        ("method", [when]),
        ("method", [2]),
    ]
    assert {c for _, _, c in seen} == {session}
    assert caplog.text.count("Exception in onMessage callback") == 2


async def test_a_method_that_is_not_a_function_is_refused(server: DDPServer) -> None:
    """methods({"kitten": "kitten"}) raises at once, as Meteor's "must be a function"."""
    with pytest.raises(TypeError, match="Method 'kitten' must be a function"):
        server.methods({"kitten": "kitten"})  # type: ignore[dict-item]
    assert "kitten" not in server.method_names


async def test_a_lone_surrogate_reaches_every_subscriber() -> None:
    """A task titled with a lone UTF-16 surrogate is delivered to all subscribers; none of them loses its session."""
    async with create_demo_server(port=0) as server:
        clients = [DDPClient(server.url) for _ in range(3)]
        for client in clients:
            await client.start()
        try:
            sessions = []
            for client in clients[:2]:
                await client.subscribe("tasks").wait_ready()
                sessions.append(client.session)
            evil = await clients[2].call("tasks.add", "\ud800 evil")
            fine = await clients[2].call("tasks.add", "fine")
            for client in clients[:2]:
                await _document(client, "tasks", fine)
                task = client.store.get("tasks", evil) or {}
                assert task.get("title") == "\ud800 evil"
            assert [c.session for c in clients[:2]] == sessions
        finally:
            for client in clients:
                await client.close()


def _timeout() -> Any:
    return asyncio.timeout(TIMEOUT)


async def _document(client: DDPClient, collection: str, id_: str) -> None:
    """Until ``client`` holds the document (bounded by TIMEOUT)."""
    arrived = asyncio.get_running_loop().create_future()

    def on_event(event: Any) -> None:
        if client.store.get(collection, id_) is not None and not arrived.done():
            arrived.set_result(None)

    remove = client.add_listener(on_event)
    try:
        on_event(None)
        async with _timeout():
            await arrived
    finally:
        remove()
