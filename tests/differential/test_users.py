"""setUserId re-runs and universal publications answer frame for frame as Meteor's.

The real Meteor 1.9.3 server runs tests/differential/meteor_user_scenario.js
(appended to the shared scenario in a private copy of the peer); ours runs the
same names re-implemented below. Both get the same frames; the answers must be
equal once tests.wire.normalize has named the random session ids.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from ddp_monitor.transport.server.ddp_server import (
    DDPServer,
    MethodInvocation,
    Subscription,
)
from tests.differential.user_peer import user_scenario_meteor
from tests.peers.meteor_server import MeteorServer
from tests.wire import Frame, WireClient, normalize

pytestmark = [pytest.mark.meteor]


def install_user_scenario(server: DDPServer) -> None:
    """meteor_user_scenario.js (and app.js's ``echo`` and ``items``) on our server."""
    stops: list[str | None] = []

    def set_user(this: MethodInvocation, user_id: Any = None, *_: Any) -> Any:
        this.set_user_id(user_id)
        return user_id

    def take_stops(this: MethodInvocation, *_: Any) -> list[str | None]:
        taken = list(stops)
        stops.clear()
        return taken

    def universal(sub: Subscription) -> None:
        sub.added("things", "shared", {"a": "universal", "u": 1})
        if sub.user_id:
            sub.added("users", sub.user_id, {"username": f"user-{sub.user_id}"})
        sub.ready()

    def by_user(sub: Subscription) -> None:
        user = sub.user_id
        sub.added("things", "same", {"title": "same for everyone"})
        sub.added("things", "shared", {"a": "named", "b": 2})
        if user:
            sub.added("things", "mixed", {"keep": 1, "who": user, "onlyUser": True})
            sub.added("things", f"mine-{user}", {"owner": user})
            sub.added("private", "p1", {"secret": f"for {user}"})
        else:
            sub.added("things", "mixed", {"keep": 1, "who": None, "onlyAnon": True})
            sub.added("things", "anon", {"guest": True})
            sub.added("guest", "g1", {"hello": "guest"})
        sub.ready()

    def fails_for_user(sub: Subscription) -> None:
        from ddp_monitor.ddp.errors import MethodError

        if sub.user_id:
            raise MethodError("nope", "not for users")
        sub.ready()

    def stop_count(sub: Subscription) -> None:
        user = sub.user_id
        sub.on_stop(lambda: stops.append(user))
        sub.ready()

    def items(sub: Subscription, n: Any = 0, *_: Any) -> None:
        for k in range(int(n)):
            sub.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
        sub.ready()

    server.methods(
        {
            "echo": lambda this, x=None, *_: x,
            "setUser": set_user,
            "stops": take_stops,
        }
    )
    server.publish(None, universal)
    server.publish("byUser", by_user)
    server.publish("failsForUser", fails_for_user)
    server.publish("stopCount", stop_count)
    server.publish("items", items)


@pytest.fixture(scope="module")
def meteor_user_server() -> Iterator[MeteorServer]:
    """The real Meteor server with the user scenario (one per module: it takes seconds)."""
    from tests.conftest import _ensure_meteor

    _ensure_meteor()
    with user_scenario_meteor() as server:
        yield server


@pytest_asyncio.fixture
async def servers(meteor_user_server: MeteorServer) -> AsyncIterator[dict[str, str]]:
    server = DDPServer()
    install_user_scenario(server)
    async with server:
        yield {"meteor": meteor_user_server.url, "ours": server.url}


def is_result(method_id: str) -> Any:
    return lambda frame: frame.get("msg") == "result" and frame.get("id") == method_id


async def login_logout_script(client: WireClient) -> list[Frame]:
    """Subscribe four ways, then setUser u1, u2, null, a number; then the stop log."""
    got = await client.handshake()
    await client.send(
        {"msg": "sub", "id": "s1", "name": "byUser"},
        {"msg": "sub", "id": "s2", "name": "failsForUser"},
        {"msg": "sub", "id": "s3", "name": "items", "params": [2]},
        {"msg": "sub", "id": "s4", "name": "stopCount"},
        {"msg": "method", "id": "sentinel", "method": "echo", "params": ["x"]},
    )
    got += await client.collect_until(is_result("sentinel"))
    for n, user in enumerate(["u1", "u2", None, 5]):
        await client.send(
            {"msg": "method", "id": f"m{n}", "method": "setUser", "params": [user]}
        )
        got += await client.collect_until(is_result(f"m{n}"))
    await client.send({"msg": "method", "id": "st", "method": "stops", "params": []})
    return got + await client.collect_until(is_result("st"))


async def answers(url: str) -> list[Frame]:
    async with await WireClient.open(url) as client:
        return normalize(await login_logout_script(client))


def frames_of(frames: list[Frame], msg: str) -> list[Frame]:
    return [f for f in frames if f.get("msg") == msg]


@pytest.mark.asyncio
async def test_set_user_id_sends_only_the_diff_as_meteor_does(
    servers: dict[str, str],
) -> None:
    """Logging in and out re-runs every publication; the client gets Meteor's exact diff."""
    reference = await answers(servers["meteor"])
    ours = await answers(servers["ours"])
    assert ours == reference
    # What the comparison covered, as recorded from Meteor:
    login = reference[
        reference.index({"msg": "result", "id": "sentinel", "result": "x"}) + 1 :
    ]
    assert login[0]["msg"] == "nosub"  # a rerun's error goes out at once
    assert {"msg": "ready", "subs": ["s1", "s3", "s4"]} in login  # one held-back ready
    assert not any(f.get("id") == "same" for f in login)  # unchanged: nothing sent


@pytest.mark.asyncio
async def test_universal_publication_at_connect_matches_meteor(
    servers: dict[str, str],
) -> None:
    """A universal publication's documents follow `connected`, with no ready."""

    async def script(client: WireClient) -> list[Frame]:
        got = await client.handshake()
        await client.send(
            {"msg": "method", "id": "sentinel", "method": "echo", "params": ["x"]}
        )
        return got + await client.collect_until(is_result("sentinel"))

    results = []
    for url in (servers["meteor"], servers["ours"]):
        async with await WireClient.open(url) as client:
            results.append(normalize(await script(client)))
    assert results[0] == results[1]
    assert frames_of(results[0], "ready") == []
