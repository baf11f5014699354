"""Meteor's own DDP client, directly and through the proxy with no fault: the same callbacks, the same frames.

Against the real Meteor 1.9.3 server (calls, a wait call, errors, EJSON, a
subscription) and against the scripted servers of the client differential
tests (a dropped socket with calls out, refused handshakes, a silent server),
each scenario runs twice: Meteor's client straight to its server, and Meteor's
client through a ``DDPProxy`` in front of an identical server. The proxy must
be invisible: the same status changes and callbacks, and the same frames at
the server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ddp_monitor.proxy import DDPProxy
from tests.peers.meteor_client import Plan, run_meteor_client
from tests.peers.meteor_server import MeteorServer
from tests.peers.scenario_server import ScenarioServer, Script

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]

Line = dict[str, Any]
TIMING = ("t", "retryTime", "delay")


def outcome(lines: list[Line]) -> list[Line]:
    """The lines without their times."""
    return [{k: v for k, v in line.items() if k not in TIMING} for line in lines]


def by_label(lines: list[Line]) -> dict[Any, list[Line]]:
    """Each operation's own lines, in order (independent operations may interleave
    differently from run to run: the app answers a method and a subscription in
    whatever order its fibers finish, with or without a proxy)."""
    found: dict[Any, list[Line]] = {}
    for line in outcome(lines):
        found.setdefault(line.get("label", line["event"]), []).append(line)
    return found


def connected(count: int = 1) -> Line:
    return {
        "do": "await",
        "match": {"event": "status", "status": "connected"},
        "count": count,
    }


def settled(label: str) -> Line:
    return {"do": "await", "match": {"event": "callback", "label": label}}


async def test_meteor_client_through_the_proxy_sees_what_it_sees_directly(
    meteor_server: MeteorServer, proxy: DDPProxy
) -> None:
    """Calls (plain, wait, failing, EJSON) and a subscription: Meteor's client reports the same through the proxy."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "call", "label": "a", "name": "add", "params": [1, 2]},
            {"do": "subscribe", "label": "s", "name": "items", "params": [3]},
            {"do": "call", "label": "w", "name": "echo", "params": ["w"], "wait": True},
            {"do": "call", "label": "d", "name": "echo", "params": [{"$date": 0}]},
            {"do": "call", "label": "f", "name": "fail", "params": []},
            settled("f"),
            {"do": "await", "match": {"event": "ready", "label": "s"}},
            {"do": "unsubscribe", "label": "s"},
            {
                "do": "subscribe",
                "label": "x",
                "name": "no-such-publication",
                "params": [],
            },
            {"do": "await", "match": {"event": "stop", "label": "x"}},
        ]
    }
    direct, proxied = await asyncio.gather(
        run_meteor_client(plan, meteor_server.http_url),
        run_meteor_client(plan, proxy.url),
    )
    assert by_label(proxied) == by_label(direct)


async def _direct_and_proxied(plan: Plan, script: Script) -> tuple[Any, Any]:
    """Meteor's client to a scripted server, and through a proxy to another: (lines, frames) each."""
    servers = [await ScenarioServer(script).start() for _ in range(2)]
    try:
        async with DDPProxy(servers[1].url, port=0) as proxy:
            direct, proxied = await asyncio.gather(
                run_meteor_client(plan, servers[0].url),
                run_meteor_client(plan, proxy.url),
            )
    finally:
        for server in servers:
            await server.stop()
    return (direct, servers[0].normalized()), (proxied, servers[1].normalized())


SCENARIOS: dict[str, tuple[Plan, Script]] = {
    "dropped socket with calls out": (
        {
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
                {
                    "do": "call",
                    "label": "w",
                    "name": "echo",
                    "params": ["w"],
                    "wait": True,
                },
                connected(2),
                settled("a"),
                settled("n"),
                settled("w"),
            ]
        },
        Script(hold=frozenset({1}), drop_after={1: 2}),
    ),
    "refused handshakes": (
        {"steps": [connected()], "timeout_ms": 40000},
        Script(refuse=3),
    ),
    "silent server": (
        {
            "options": {"heartbeatInterval": 500, "heartbeatTimeout": 500},
            "steps": [connected(), connected(2)],
        },
        Script(silent=frozenset({1})),
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_scripted_scenarios_are_the_same_through_the_proxy(scenario: str) -> None:
    """A dropped socket, refused handshakes, a silent server: the same statuses, callbacks and server-side frames through the proxy."""
    plan, script = SCENARIOS[scenario]
    (direct, direct_frames), (proxied, proxied_frames) = await _direct_and_proxied(
        plan, script
    )
    assert outcome(proxied) == outcome(direct)
    assert proxied_frames == direct_frames
