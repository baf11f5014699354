"""Our DDPClient against Meteor's OWN client (DDP.connect in the real 1.9.3 runtime), scenario by scenario.

Both clients run the same plan (tests/peers/meteor/client_app.js; its Python
twin tests/peers/plan_client.py) against their own copy of one scripted server
(tests/peers/scenario_server.py), which records every frame each client sends.
Each test asserts the SAME normalized outcome: the frames in order, and the
lines each client reported (status changes, callbacks) without their times.
Over 400 lines: one scenario per test, each spelling out its plan and the exact
frames expected, which share the helpers above them and read best together.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import _ensure_meteor
from tests.peers.meteor_client import Plan, run_meteor_client
from tests.peers.plan_client import run_our_client
from tests.peers.scenario_server import Received, ScenarioServer, Script

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]

Line = dict[str, Any]
TIMING = ("t", "retryTime", "delay")


@dataclass
class Run:
    """What one client did: its lines and the frames its server received."""

    lines: list[Line]
    frames: list[Received]

    @property
    def outcome(self) -> list[Line]:
        """The lines without their times (compared between the clients)."""
        return [
            {k: v for k, v in line.items() if k not in TIMING} for line in self.lines
        ]

    def statuses(self) -> list[tuple[str, int]]:
        return [
            (line["status"], line["retryCount"])
            for line in self.lines
            if line["event"] == "status"
        ]

    def delays(self) -> list[float]:
        """retryTime - now (ms) of every waiting status, as the client reported it."""
        return [line["delay"] for line in self.lines if "delay" in line]


@pytest.fixture(scope="module", autouse=True)
def _meteor_installed() -> None:
    # conftest's rule: install the peer once; skip without node, fail under CI.
    _ensure_meteor()


async def both(plan: Plan, script: Script | None = None) -> tuple[Run, Run]:
    """Run Meteor's client and ours concurrently, each against its own scripted server."""
    servers = [await ScenarioServer(script).start() for _ in range(2)]
    try:
        meteor, ours = await asyncio.gather(
            run_meteor_client(plan, servers[0].url),
            run_our_client(plan, servers[1].url),
        )
    finally:
        for server in servers:
            await server.stop()
    ours_frames = as_meteor_193_sends(servers[1].normalized())
    return Run(meteor, servers[0].normalized()), Run(ours, ours_frames)


def as_meteor_193_sends(frames: list[Received]) -> list[Received]:
    """Our frames without what session resumption adds, which is checked here.

    Our client asks for resumption as Meteor's newest one does (the 1.9.3 one
    in these tests does not): a reconnect's ``connect`` carries
    ``receivedCount`` next to ``session``, and a deliberate disconnect says
    ``{"msg": "disconnect"}`` as the last frame on its socket. Everything
    else must match Meteor's client frame for frame.
    """
    out: list[Received] = []
    for index, (socket, frame) in enumerate(frames):
        if frame.get("msg") == "disconnect":
            assert frame == {"msg": "disconnect"}
            later = frames[index + 1 :]
            assert all(other != socket for other, _ in later), "not the last frame"
            continue
        if frame.get("msg") == "connect" and "session" in frame:
            count = frame.pop("receivedCount")
            assert type(count) is int
            assert count >= 0
        assert "receivedCount" not in frame
        out.append((socket, frame))
    return out


def connected(count: int = 1) -> Line:
    return {
        "do": "await",
        "match": {"event": "status", "status": "connected"},
        "count": count,
    }


def settled(label: str) -> Line:
    return {"do": "await", "match": {"event": "callback", "label": label}}


CONNECT = {"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}


def reconnect_frame(session: str, version: str = "1") -> dict[str, Any]:
    return {
        "msg": "connect",
        "session": session,
        "version": version,
        "support": ["1", "pre2", "pre1"],
    }


@pytest.mark.parametrize("updated_first", [False, True])
async def test_calls_and_a_subscription_send_the_same_frames(
    updated_first: bool,
) -> None:
    """Plain calls, a wait call, a subscription and its stop: the same frames and callbacks as Meteor's client."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "call", "label": "a", "name": "add", "params": [1, 2]},
            {"do": "subscribe", "label": "s", "name": "items", "params": [3]},
            {"do": "call", "label": "w", "name": "echo", "params": ["w"], "wait": True},
            {"do": "call", "label": "c", "name": "echo", "params": [{"$date": 0}]},
            settled("c"),
            {"do": "await", "match": {"event": "ready", "label": "s"}},
            {"do": "unsubscribe", "label": "s"},
        ]
    }
    script = Script(docs={"items": 3}, updated_first=updated_first)
    meteor, ours = await both(plan, script)
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, {"msg": "method", "id": "1", "method": "add", "params": [1, 2]}),
        (1, {"msg": "sub", "id": "sub1", "name": "items", "params": [3]}),
        (1, {"msg": "method", "id": "2", "method": "echo", "params": ["w"]}),
        (1, {"msg": "method", "id": "3", "method": "echo", "params": [{"$date": 0}]}),
        (1, {"msg": "unsub", "id": "sub1"}),
    ]
    assert ours.outcome == meteor.outcome
    assert meteor.lines[-2] == {**meteor.lines[-2], "event": "stop", "error": None}


def method(id_: str, name: str, *params: Any) -> dict[str, Any]:
    return {"msg": "method", "id": id_, "method": name, "params": list(params)}


async def test_dropped_socket_resends_like_meteor() -> None:
    """Socket dropped with a normal, a noRetry and a wait call out: same statuses, re-sent frames, errors and callbacks."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "call", "label": "a", "name": "echo", "params": ["a"]},
            {
                "do": "call",
                "label": "n",
                "name": "echo",
                "params": ["n"],
                "noRetry": True,
            },
            {"do": "call", "label": "w", "name": "echo", "params": ["w"], "wait": True},
            connected(2),
            settled("a"),
            settled("n"),
            settled("w"),
        ]
    }
    # Socket 1 answers nothing and drops once both calls of block 0 are in.
    meteor, ours = await both(plan, Script(hold=frozenset({1}), drop_after={1: 2}))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, method("1", "echo", "a")),
        (1, method("2", "echo", "n")),
        (2, reconnect_frame("s1")),
        (2, method("1", "echo", "a")),  # re-sent; the noRetry one is not
        (2, method("3", "echo", "w")),  # the wait block after block 0 finished
    ]
    assert meteor.statuses() == [
        ("connected", 0),
        ("waiting", 0),
        ("connecting", 1),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome
    failed = [line for line in meteor.lines if line.get("label") == "n"]
    assert failed[0]["error"]["error"] == "invocation-failed"


async def test_refused_connections_back_off_like_meteor() -> None:
    """Three refused attempts: the same statuses and retry counts, delays in Meteor's windows."""
    plan: Plan = {"steps": [connected()]}
    meteor, ours = await both(plan, Script(refuse=3))
    assert ours.frames == meteor.frames == [(1, CONNECT)]
    assert meteor.statuses() == [
        ("waiting", 0),
        ("connecting", 1),
        ("waiting", 1),
        ("connecting", 2),
        ("waiting", 2),
        ("connecting", 3),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome
    # retry.js: 10 ms below count 2, then 1 s * 2.2^2 * (0.75 .. 1.25), fuzzed by each
    # client's own random draw: compare each with the window, not with each other.
    # The reported delay is retryTime - now at the change (a ms or two of slack).
    for run in (meteor, ours):
        first, second, third = run.delays()
        assert first == pytest.approx(10, abs=2)
        assert second == pytest.approx(10, abs=2)
        assert 3630 - 2 <= third <= 6050 + 2


async def test_failed_with_a_supported_version_reconnects_offering_it() -> None:
    """`failed` with pre2: both reconnect offering pre2 and work; the same statuses."""
    plan: Plan = {
        "steps": [
            connected(2),
            {"do": "call", "label": "a", "name": "echo", "params": [1]},
            settled("a"),
        ]
    }
    meteor, ours = await both(plan, Script(failed={1: "pre2"}))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (2, {**CONNECT, "version": "pre2"}),  # no session: none was ever given
        (2, method("1", "echo", 1)),
    ]
    assert meteor.statuses() == [
        ("connected", 0),
        ("waiting", 0),
        ("connecting", 1),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome


async def test_failed_with_an_unsupported_version_fails_for_good() -> None:
    """`failed` with an unknown version: both end failed with the same reason text."""
    plan: Plan = {
        "steps": [{"do": "await", "match": {"event": "status", "status": "failed"}}]
    }
    meteor, ours = await both(plan, Script(failed={1: "9"}))
    assert ours.frames == meteor.frames == [(1, CONNECT)]
    assert ours.outcome == meteor.outcome
    assert meteor.lines[-2] == {
        **meteor.lines[-2],
        "status": "failed",
        "connected": False,
        "retryCount": 0,
        "reason": "DDP version negotiation failed; server requested version 9",
    }


async def test_silent_server_trips_the_heartbeat_like_meteor() -> None:
    """heartbeatInterval/Timeout 200 ms and a silent server: both ping once, go waiting, reconnect."""
    plan: Plan = {
        "options": {"heartbeatInterval": 200, "heartbeatTimeout": 200},
        "steps": [
            connected(2),
            {"do": "call", "label": "a", "name": "echo", "params": [1]},
            settled("a"),
        ],
    }
    meteor, ours = await both(plan, Script(silent=frozenset({1})))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, {"msg": "ping"}),
        (2, reconnect_frame("s1")),
        (2, method("1", "echo", 1)),
    ]
    assert meteor.statuses() == [
        ("connected", 0),
        ("waiting", 0),
        ("connecting", 1),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome
    for run in (meteor, ours):  # a ping after the interval, the loss after the timeout
        opened, lost = [line["t"] for line in run.lines if line["event"] == "status"][
            :2
        ]
        assert 400 - 5 <= lost - opened <= 400 + 3000


async def test_disconnect_and_reconnect_like_meteor() -> None:
    """disconnect() with a call out, calls and subs while offline, reconnect(): same frames, statuses, errors."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "call", "label": "a", "name": "echo", "params": ["a"]},
            {"do": "sleep", "ms": 150},  # as a user would: the frame is out by then
            {"do": "disconnect"},
            {"do": "await", "match": {"event": "status", "status": "offline"}},
            {"do": "call", "label": "b", "name": "echo", "params": ["b"]},
            {"do": "call", "label": "n", "name": "echo", "noRetry": True},
            {"do": "subscribe", "label": "s", "name": "items"},
            {"do": "subscribe", "label": "gone", "name": "items", "params": [0]},
            {"do": "unsubscribe", "label": "gone"},  # the unsub is lost: not re-sent
            {"do": "reconnect"},
            connected(2),
            settled("a"),
            settled("b"),
            settled("n"),
            {"do": "await", "match": {"event": "ready", "label": "s"}},
        ]
    }
    meteor, ours = await both(plan, Script(hold=frozenset({1})))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, method("1", "echo", "a")),
        (2, reconnect_frame("s1")),
        (2, method("1", "echo", "a")),
        (2, method("2", "echo", "b")),
        (2, {"msg": "sub", "id": "sub1", "name": "items", "params": []}),
    ]
    assert meteor.statuses() == [
        ("connected", 0),
        ("offline", 0),
        ("connecting", 0),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome
    # Meteor marks a block-0 call made offline as sent (the stream dropped it), so a
    # noRetry one fails at the reconnect without ever reaching the server.
    n = [line for line in meteor.lines if line.get("label") == "n"]
    assert [line["error"]["error"] for line in n] == ["invocation-failed"] * 2


async def test_reconnect_while_waiting_tries_at_once_like_meteor() -> None:
    """reconnect() while waiting after refusals: connecting at once, the same retry counts as Meteor."""
    waiting_2 = {"event": "status", "status": "waiting", "retryCount": 2}
    plan: Plan = {
        "steps": [
            {"do": "await", "match": waiting_2},
            {"do": "reconnect"},  # refused again: waiting 2 again, 3.6 s or more
            {"do": "await", "match": waiting_2, "count": 2},
            {"do": "reconnect"},
            connected(),
        ]
    }
    meteor, ours = await both(plan, Script(refuse=4))
    assert ours.frames == meteor.frames == [(1, CONNECT)]
    assert meteor.statuses() == [
        ("waiting", 0),
        ("connecting", 1),
        ("waiting", 1),
        ("connecting", 2),
        ("waiting", 2),
        ("connecting", 2),  # retry.js: count - 1, then _retryNow's + 1
        ("waiting", 2),
        ("connecting", 2),
        ("connected", 0),
    ]
    assert ours.outcome == meteor.outcome


async def test_subscription_renewed_after_a_reconnect_like_meteor() -> None:
    """A ready subscription and a dropped socket: the same `sub` re-sent with the same id, after the calls."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "subscribe", "label": "s", "name": "items", "params": [2]},
            {"do": "await", "match": {"event": "ready", "label": "s"}},
            {"do": "call", "label": "a", "name": "echo", "params": ["a"]},
            connected(2),
            settled("a"),
            {"do": "sleep", "ms": 50},  # room for a second onReady (neither fires one)
        ]
    }
    meteor, ours = await both(plan, Script(drop_after={1: 1}, docs={"items": 2}))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, {"msg": "sub", "id": "sub1", "name": "items", "params": [2]}),
        (1, method("1", "echo", "a")),
        (2, reconnect_frame("s1")),
        (2, method("1", "echo", "a")),
        (2, {"msg": "sub", "id": "sub1", "name": "items", "params": [2]}),
    ]
    assert [line["event"] for line in meteor.lines].count("ready") == 1
    assert ours.outcome == meteor.outcome


def without_repeats(lines: list[Line]) -> list[Line]:
    """The outcome with a status line dropped when it equals the status before it."""
    out: list[Line] = []
    last: Line | None = None
    for line in lines:
        if line["event"] == "status":
            if line == last:
                continue
            last = line
        out.append(line)
    return out


async def test_retry_false_fails_then_revives_like_meteor() -> None:
    """retry: false: a drop gives failed (no reason); reconnect() revives; offline twice is one change here."""
    plan: Plan = {
        "options": {"retry": False},
        "steps": [
            connected(),
            {"do": "reconnect"},  # while connected: nothing at all
            {"do": "call", "label": "a", "name": "echo", "params": ["a"]},
            {"do": "await", "match": {"event": "status", "status": "failed"}},
            {"do": "call", "label": "n", "name": "echo", "noRetry": True},
            {"do": "reconnect"},
            connected(2),
            settled("a"),
            settled("n"),
            {"do": "disconnect"},
            {"do": "disconnect"},
            {"do": "reconnect"},
            connected(3),
        ],
    }
    meteor, ours = await both(plan, Script(drop_after={1: 1}))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, method("1", "echo", "a")),
        (2, reconnect_frame("s1")),
        (2, method("1", "echo", "a")),  # the noRetry call never reaches the server
        (3, reconnect_frame("s2")),
    ]
    assert meteor.statuses() == [
        ("connected", 0),
        ("failed", 0),
        ("connecting", 0),
        ("connected", 0),
        ("offline", 0),
        ("offline", 0),
        ("connecting", 0),
        ("connected", 0),
    ]
    # Deliberate (ddp/client/status.py: StatusChanged only on a real change): Meteor's second
    # disconnect() swaps in an equal {status: 'offline'} object and notifies again;
    # ours reports the one change. Everything else is the same, line for line.
    assert ours.outcome == without_repeats(meteor.outcome)
    assert ours.statuses().count(("offline", 0)) == 1


async def test_nosub_error_and_ejson_values_like_meteor() -> None:
    """A `nosub` with Meteor's 404 error stops the subscription with the same error; binary round-trips."""
    not_found = {
        "isClientSafe": True,
        "error": 404,
        "reason": "Subscription 'nope' not found",
        "message": "Subscription 'nope' not found [404]",
        "errorType": "Meteor.Error",
    }
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "subscribe", "label": "x", "name": "nope", "params": [1]},
            {
                "do": "call",
                "label": "a",
                "name": "echo",
                "params": [{"$binary": "AAE="}],
            },
            {"do": "await", "match": {"event": "stop", "label": "x"}},
            settled("a"),
        ]
    }
    meteor, ours = await both(plan, Script(nosub={"nope": not_found}))
    assert ours.frames == meteor.frames
    assert ours.outcome == meteor.outcome
    stop = next(line for line in meteor.lines if line["event"] == "stop")
    assert stop["error"] == {
        "errorType": "Meteor.Error",
        "error": 404,
        "reason": "Subscription 'nope' not found",
    }
