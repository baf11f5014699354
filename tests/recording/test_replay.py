"""A recording replayed against a server: same answers, a changed one, missing ones (issue 16).

Real sockets: sessions recorded against Meteor 1.9.3 and our demo server,
replayed against the same server, against a ``DDPServer`` of the test's whose
methods answer otherwise, and against one that never answers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ddp_monitor.demo.names import ACCOUNT
from ddp_monitor.profiles import (
    LoginKind,
    LoginSpec,
    Profile,
    ProfileStore,
    SecretStore,
)
from ddp_monitor.recording.credentials import (
    Credentials,
    CredentialsError,
    from_profile,
)
from ddp_monitor.recording.recorder import Recorder, Recording, load, read
from ddp_monitor.recording.replay import Call, Skipped, Subscribe, Unsubscribe, plan
from ddp_monitor.recording.replay_report import (
    DEFAULT_IGNORE,
    Ignore,
    compare,
    diff,
    exit_status,
)
from ddp_monitor.recording.replay_run import ReplayError, replay
from ddp_monitor.transport.server import DDPServer, MethodInvocation, Subscription
from tests.keyrings import MemoryKeyring
from tests.recording.sessions import changed_server, login_session, record, scenario
from tests.timeouts import TIMEOUT


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


# -- the plan's rules, on lines as a file holds them ------------------------------------
HEADER = '{"format": "ddp-monitor recording", "version": 1, "started": "2026-01-01T00:00:00+00:00"}'


def lines(*items: str) -> Recording:
    return read([HEADER, *items])


def test_a_stop_is_the_clients_unless_a_nosub_frame_caused_it() -> None:
    the_plan = plan(
        lines(
            '{"t": 1, "k": "sub_requested", "id": "a", "name": "items", "params": [1]}',
            '{"t": 2, "k": "sub_requested", "id": "b", "name": "items", "params": [2]}',
            '{"t": 3, "k": "sub_stopped", "id": "a", "error": null}',
            '{"t": 4, "k": "in", "frame": {"msg": "nosub", "id": "b"}}',
            '{"t": 4, "k": "sub_stopped", "id": "b", "error": null}',
        )
    )
    assert the_plan.actions == [
        Subscribe(1, 1.0, "items", [1]),
        Subscribe(2, 2.0, "items", [2]),
        Unsubscribe(1, 3.0),
    ]
    assert the_plan.answers == {
        ("subscription", 2): {"outcome": "nosub", "error": None}
    }
    # The stopped one had no answer from the server: replayed, not compared.
    assert the_plan.skipped == [
        Skipped(
            "subscription", 1, "items", "the recording holds no answer from the server"
        )
    ]


def test_masked_calls_and_meteors_relogins_are_not_replayed() -> None:
    login = (
        '"name": "login", "params": [{"resume": "***"}], "masked": ["params.0.resume"]'
    )
    the_plan = plan(
        lines(
            f'{{"t": 1, "k": "method_called", "id": "1", {login}, "wait": true}}',
            '{"t": 2, "k": "method_called", "id": "2", "name": "changePassword", '
            '"params": ["***", "***"], "masked": ["params.0", "params.1"]}',
            '{"t": 3, "k": "lost", "reason": "gone", "local": false}',
            f'{{"t": 4, "k": "method_called", "id": "3", {login}, "wait": true}}',
            '{"t": 5, "k": "connected", "session": "s", "version": "1"}',
            '{"t": 6, "k": "method_called", "id": "4", "name": "add", "params": [1, 2]}',
            '{"t": 6.5, "k": "method_result", "id": "4", "result": 3}',
        )
    )
    assert the_plan.actions == [
        Call(1, 1.0, "login", [{"resume": "***"}], wait=True, login=True),
        Call(4, 6.0, "add", [1, 2]),
    ]
    assert [(s.index, s.name) for s in the_plan.skipped] == [
        (1, "login"),  # replayed, but the file holds no answer to compare
        (2, "changePassword"),
        (3, "login"),
    ]
    whys = {s.index: s.why for s in the_plan.skipped}
    assert "masked" in whys[2]
    assert "re-login" in whys[3]
    assert the_plan.answers == {("call", 4): {"result": 3}}


def test_a_diff_names_each_path_and_both_values() -> None:
    recorded = {"a": 1, "b": [1, 2], "c": {"d": True}, "gone": 0}
    replayed = {"a": 1.0, "b": [1, 3], "c": {"d": 1}, "new": None}
    assert diff(recorded, replayed) == [
        {"path": "b.1", "change": "changed", "recorded": 2, "replayed": 3},
        {"path": "c.d", "change": "changed", "recorded": True, "replayed": 1},
        {"path": "gone", "change": "removed", "recorded": 0},
        {"path": "new", "change": "added", "replayed": None},
    ]
    assert diff([1], [1, 2]) == [
        {"path": "", "change": "changed", "recorded": [1], "replayed": [1, 2]}
    ]


@pytest.mark.parametrize(
    ("pattern", "name", "path", "ignored"),
    [
        ("result", "add", "result", True),
        ("result", "add", "result.total", True),  # a parent ignores its children
        ("result.total", "add", "result", False),
        ("*At", "tasks.add", "result.createdAt", True),
        ("documents.tasks.*.createdAt", None, "documents.tasks.x1.createdAt", True),
        ("add:result", "add", "result", True),
        ("add:result", "echo", "result", False),
        ("tasks.add:result", "tasks.add", "result", True),
    ],
)
def test_ignore_patterns(
    pattern: str, name: str | None, path: str, ignored: bool
) -> None:
    assert Ignore.parse(pattern).ignores(name, path) is ignored


def test_an_empty_ignore_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a path"):
        Ignore.parse("add:")


def test_credentials_come_from_a_profile_and_its_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    ada = Profile("ada", "localhost:3000", login=LoginSpec(LoginKind.PASSWORD, "ada"))
    token = Profile("t", "localhost:3000", login=LoginSpec(LoginKind.RESUME))
    none = Profile("none", "localhost:3000")
    store.save([ada, token, none])
    store.secrets.set(SecretStore.key(ada), "lovelace")
    store.secrets.set(SecretStore.key(token), "tok")
    assert from_profile("ada", store) == Credentials("ada", "lovelace")
    assert from_profile("t", store) == Credentials(token="tok")
    assert "lovelace" not in repr(from_profile("ada", store))
    for name, why in [
        ("nobody", "no profile named 'nobody' ('ada', 't', 'none')"),
        ("none", "does not log in"),
    ]:
        with pytest.raises(CredentialsError, match=re.escape(why)):
            from_profile(name, store)
    store.secrets.delete(SecretStore.key(token))
    with pytest.raises(CredentialsError, match="no saved secret"):
        from_profile("t", store)


@pytest.mark.asyncio
async def test_recorded_pacing_keeps_the_recorded_pauses(our_server: Any) -> None:
    the_plan = plan(
        lines(
            '{"t": 1, "k": "method_called", "id": "1", "name": "add", "params": [1, 2]}',
            '{"t": 1.1, "k": "method_result", "id": "1", "result": 3}',
            '{"t": 1.4, "k": "method_called", "id": "2", "name": "add", "params": [2, 2]}',
            '{"t": 1.5, "k": "method_result", "id": "2", "result": 4}',
        )
    )
    paced = await replay(the_plan, str(our_server.url), pacing="recorded")
    # A lower bound only: the second call waited for its recorded moment.
    assert paced.seconds >= 0.4
    assert paced.answers == the_plan.answers


@pytest.mark.asyncio
async def test_a_connection_lost_midway_ends_the_run_and_says_so(
    our_server: Any, tmp_path: Path
) -> None:
    recording = await record(str(our_server.url), tmp_path / "s.ddprec", scenario)
    server = changed_server()
    server.methods({"echo": lambda this, *_: this.connection.close()})
    await server.start()
    try:
        lost = await replay(plan(recording), str(server.url), timeout=TIMEOUT)
    finally:
        await server.stop()
    assert lost.problem is not None
    assert lost.problem.startswith("the connection was lost")
    assert lost.documents is None  # not compared: the run did not end
    lines = compare(plan(recording), lost.answers, lost.documents)
    assert [x["outcome"] for x in lines] == [
        "same",
        "different",
        "same",
        "same",
        "missing",
    ]
