"""A recording replayed against a server: same answers, a changed one, missing ones (issue 16).

Real sockets: sessions recorded against Meteor 1.9.3 and our demo server,
replayed against the same server, against a ``DDPServer`` of the test's whose
methods answer otherwise, and against one that never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.demo.names import ACCOUNT
from ddp_monitor.demo.server import install_demo
from ddp_monitor.recording.credentials import Credentials
from ddp_monitor.recording.recorder import Recorder, Recording, load
from ddp_monitor.recording.replay import plan
from ddp_monitor.recording.replay_report import (
    DEFAULT_IGNORE,
    Ignore,
    compare,
    exit_status,
)
from ddp_monitor.recording.replay_run import ReplayError, replay
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.server import DDPServer, MethodInvocation, Subscription
from tests.timeouts import TIMEOUT

Session = Callable[[DDPClient], Awaitable[None]]


async def record(url: str, path: Path, session: Session) -> Recording:
    """Run ``session`` on a client to ``url`` with a recorder attached; save, load."""
    client = DDPClient(url)
    recorder = Recorder(url)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        await session(client)
        recorder.save(path)
    return load(path)


async def scenario(client: DDPClient) -> None:
    """Two subscriptions (one stopped by the client), a result and an error."""
    handle = client.subscribe("items", 5)
    await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
    assert await asyncio.wait_for(client.call("add", 2, 3), TIMEOUT) == 5
    with pytest.raises(MethodError):
        await asyncio.wait_for(client.call("fail"), TIMEOUT)
    handle.stop()
    handle = client.subscribe("items", 3)
    await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
    assert await asyncio.wait_for(client.call("echo", {"a": [1, "b"]}), TIMEOUT)


def outcomes(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(x["kind"], x.get("index"), x.get("name"), x["outcome"]) for x in lines]


@pytest.mark.asyncio
async def test_a_replay_against_the_same_server_answers_the_same(
    ddp_server: str, tmp_path: Path
) -> None:
    recording = await record(ddp_server, tmp_path / "s.ddprec", scenario)
    the_plan = plan(recording)
    assert [type(a).__name__ for a in the_plan.actions] == [
        "Subscribe",
        "Call",
        "Call",
        "Unsubscribe",
        "Subscribe",
        "Call",
    ]
    # The call after the first ready waits for it, as it did when recorded.
    assert the_plan.actions[1].after == (("subscription", 1),)
    replayed = await replay(the_plan, ddp_server, timeout=TIMEOUT)
    assert replayed.problem is None
    lines = compare(the_plan, replayed.answers, replayed.documents)
    assert outcomes(lines) == [
        ("subscription", 1, "items", "same"),
        ("call", 1, "add", "same"),
        ("call", 2, "fail", "same"),
        ("subscription", 2, "items", "same"),
        ("call", 3, "echo", "same"),
        ("collections", None, None, "same"),
    ]
    assert exit_status(lines) == 0
    # "same" compared something: the answers as recorded.
    assert the_plan.answers[("call", 1)] == {"result": 5}
    ready = the_plan.answers[("subscription", 2)]
    assert ready["outcome"] == "ready"
    assert ready["documents"]["items"]["i2"] == {"k": 2, "text": "item 2"}


def changed_server() -> DDPServer:
    """The demo's scenario, but ``add`` is off by one and ``echo`` is gone."""
    server = DDPServer(host="127.0.0.1", port=0)

    def items(sub: Subscription, n: int = 0, *_: Any) -> None:
        for k in range(n):
            sub.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
        sub.ready()

    def fail(this: MethodInvocation) -> None:
        raise MethodError("boom", "Boom: requested failure", {"scenario": "fail"})

    server.methods({"add": lambda this, a, b: a + b + 1, "fail": fail})
    server.publish("items", items)
    return server


@pytest_asyncio.fixture
async def changed() -> AsyncIterator[str]:
    server = changed_server()
    await server.start()
    try:
        yield str(server.url)
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_a_changed_result_is_different_with_its_diff(
    ddp_server: str, changed: str, tmp_path: Path
) -> None:
    recording = await record(ddp_server, tmp_path / "s.ddprec", scenario)
    the_plan = plan(recording)
    replayed = await replay(the_plan, changed, timeout=TIMEOUT)
    lines = compare(the_plan, replayed.answers, replayed.documents)
    assert outcomes(lines) == [
        ("subscription", 1, "items", "same"),
        ("call", 1, "add", "different"),
        ("call", 2, "fail", "same"),
        ("subscription", 2, "items", "same"),
        ("call", 3, "echo", "different"),
        ("collections", None, None, "same"),
    ]
    assert lines[1]["diff"] == [
        {"path": "result", "change": "changed", "recorded": 5, "replayed": 6}
    ]
    # A method the other server lacks: Meteor's 404, a different answer.
    echo = {d["path"]: d for d in lines[4]["diff"]}
    assert echo["result"] == {
        "path": "result",
        "change": "removed",
        "recorded": {"a": [1, "b"]},
    }
    assert echo["error"]["change"] == "added"
    assert echo["error"]["replayed"]["error"] == 404
    assert echo["error"]["replayed"]["reason"] == "Method 'echo' not found"
    assert exit_status(lines) == 1
    # An ignored path makes the difference go away, and only there.
    ignore = [Ignore.parse("add:result"), Ignore.parse("echo:*")]
    quiet = compare(the_plan, replayed.answers, replayed.documents, ignore)
    assert {x["outcome"] for x in quiet} == {"same"}
    assert Ignore.parse("fail:result").ignores("add", "result") is False


@pytest.mark.asyncio
async def test_an_answer_that_never_comes_is_missing(
    our_server: Any, tmp_path: Path
) -> None:
    recording = await record(str(our_server.url), tmp_path / "s.ddprec", scenario)
    server = DDPServer(host="127.0.0.1", port=0)
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def silent(this: MethodInvocation, *_: Any) -> None:
        await never  # holds the connection's queue: later calls wait too

    async def silent_publication(sub: Subscription, *_: Any) -> None:
        await never

    server.methods({"add": silent})
    server.publish("items", silent_publication)
    await server.start()
    try:
        replayed = await replay(plan(recording), str(server.url), timeout=0.3)
    finally:
        never.cancel()
        await server.stop()
    lines = compare(plan(recording), replayed.answers, replayed.documents)
    assert [x["outcome"] for x in lines if x["kind"] != "collections"] == [
        "missing"
    ] * 5
    assert lines[0]["recorded"]["outcome"] == "ready"
    assert exit_status(lines) == 1


async def login_session(client: DDPClient) -> None:
    await asyncio.wait_for(Accounts.of(client).login_with_password(*ACCOUNT), TIMEOUT)
    assert await asyncio.wait_for(client.call("add", 1, 1), TIMEOUT) == 2


@pytest.mark.asyncio
async def test_a_login_is_replayed_with_fresh_credentials(
    our_server: Any, tmp_path: Path
) -> None:
    url = str(our_server.url)
    recording = await record(url, tmp_path / "login.ddprec", login_session)
    the_plan = plan(recording)
    assert the_plan.logins == 1
    with pytest.raises(ReplayError, match=r"logs in \(call 1\)"):
        await replay(the_plan, url, timeout=TIMEOUT)

    fresh = await replay(the_plan, url, credentials=Credentials(*ACCOUNT))
    ignore = [Ignore.parse(p) for p in DEFAULT_IGNORE]
    lines = compare(the_plan, fresh.answers, fresh.documents, ignore)
    assert outcomes(lines) == [
        ("call", 1, "login", "same"),
        ("call", 2, "add", "same"),
        ("collections", None, None, "same"),  # the user's own document
    ]
    # The new token is masked as the old one was: never in a report.
    assert fresh.answers[("call", 1)]["result"]["token"] == "***"
    assert the_plan.documents["users"]  # the universal publication's user

    wrong = await replay(
        the_plan, url, credentials=Credentials(ACCOUNT[0], "not the password")
    )
    lines = compare(the_plan, wrong.answers, wrong.documents, ignore)
    assert lines[0]["outcome"] == "different"
    assert {d["path"] for d in lines[0]["diff"]} >= {"result", "error"}


@pytest.mark.asyncio
async def test_a_server_out_of_reach_is_a_clear_error(tmp_path: Path) -> None:
    recording = await record_nothing(tmp_path)
    server = DDPServer(host="127.0.0.1", port=0)
    await server.start()
    url = str(server.url)
    await server.stop()  # the port is free again: nobody listens
    with pytest.raises(ReplayError, match="cannot reach"):
        await replay(plan(recording), url, connect_timeout=TIMEOUT)


async def record_nothing(tmp_path: Path) -> Recording:
    path = tmp_path / "empty.ddprec"
    Recorder("ws://127.0.0.1:1/websocket").save(path)
    return load(path)
