"""The demo server's login and logout as a client sees them on the wire.

A login or logout re-runs the publications (Meteor's ``_setUserId``): the
client gets only what differs (the user's private tasks and user document),
then one ``ready``, then the method's answer; logging out destroys the token
and closes the other connections that used it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.wire import Frame, WireClient, is_close, websocket_url

pytestmark = pytest.mark.asyncio

PASSWORD_LOGIN = {"user": {"username": "demo"}, "password": "demo"}


def is_result(method_id: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("msg") == "result" and frame.get("id") == method_id


async def call(
    client: WireClient, method_id: str, name: str, *params: Any
) -> list[Frame]:
    """Send a method and return every frame up to and including its result."""
    await client.send(
        {"msg": "method", "id": method_id, "method": name, "params": list(params)}
    )
    return await client.collect_until(is_result(method_id))


def result_of(frames: list[Frame]) -> Any:
    return frames[-1].get("result")


async def logged_in_with_tasks(url: str) -> tuple[WireClient, str, str, str]:
    """A client logged in as demo, with one public and one private task, subscribed to tasks."""
    client = await WireClient.open(url)
    await client.handshake()
    user_id = result_of(await call(client, "l", "login", PASSWORD_LOGIN))["id"]
    public = result_of(await call(client, "a1", "tasks.add", "public task"))
    private = result_of(await call(client, "a2", "tasks.add", "private task", True))
    await client.send({"msg": "sub", "id": "t", "name": "tasks"})
    await client.collect_until(lambda f: f.get("msg") == "ready")
    return client, user_id, public, private


async def test_logout_sends_only_what_the_user_loses_then_ready(
    our_server: Any,
) -> None:
    """Logging out removes the private task and the user document, nothing else."""
    client, user_id, public, private = await logged_in_with_tasks(
        websocket_url(str(our_server.url))
    )
    async with client:
        frames = await call(client, "out", "logout")
    kinds = [(f["msg"], f.get("collection"), f.get("id")) for f in frames]
    # Old view order: `users` was published (at login) before `tasks` (at sub).
    assert kinds == [
        ("removed", "users", user_id),
        ("removed", "tasks", private),
        ("ready", None, None),
        ("updated", None, None),
        ("result", None, "out"),
    ]
    assert frames[2]["subs"] == ["t"]
    assert all(f.get("id") != public for f in frames)


async def test_login_adds_the_private_tasks_without_resending_public_ones(
    our_server: Any,
) -> None:
    """Logging back in adds what the user sees; unchanged documents are not re-sent."""
    client, user_id, _public, private = await logged_in_with_tasks(
        websocket_url(str(our_server.url))
    )
    async with client:
        await call(client, "out", "logout")
        frames = await call(client, "in", "login", PASSWORD_LOGIN)
    data = [f for f in frames if f["msg"] in ("added", "changed", "removed")]
    assert [(f["msg"], f["collection"], f["id"]) for f in data] == [
        ("added", "tasks", private),
        ("added", "users", user_id),
    ]
    assert data[1]["fields"]["username"] == "demo"
    ready = [f for f in frames if f["msg"] == "ready"]
    assert ready == [{"msg": "ready", "subs": ["t"]}]
    assert frames.index(ready[0]) > frames.index(data[-1])


async def test_private_task_needs_a_login(our_server: Any) -> None:
    """A logged-out caller gets Meteor's not-authorized error for a private task."""
    async with await WireClient.open(websocket_url(str(our_server.url))) as client:
        await client.handshake()
        frames = await call(client, "a", "tasks.add", "secret", True)
    assert frames[-1]["error"]["error"] == "not-authorized"


async def test_logout_closes_the_other_connections_on_the_same_token(
    our_server: Any,
) -> None:
    """A connection resumed with the logged-out token is closed; one with its own token stays."""
    url = websocket_url(str(our_server.url))
    async with (
        await WireClient.open(url) as first,
        await WireClient.open(url) as same_token,
        await WireClient.open(url) as own_token,
    ):
        for client in (first, same_token, own_token):
            await client.handshake()
        token = result_of(await call(first, "l", "login", PASSWORD_LOGIN))["token"]
        await call(same_token, "r", "login", {"resume": token})
        await call(own_token, "l", "login", PASSWORD_LOGIN)
        await call(first, "out", "logout")
        closed = await same_token.collect_until(lambda f: False)
        assert is_close(closed[-1])
        assert result_of(await call(first, "e", "echo", "still here")) == "still here"
        assert result_of(await call(own_token, "e", "echo", "me too")) == "me too"
    async with await WireClient.open(url) as again:
        await again.handshake()
        frames = await call(again, "r", "login", {"resume": token})
    assert frames[-1]["error"]["reason"] == (
        "You've been logged out by the server. Please log in again."
    )
