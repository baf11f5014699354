"""Our DDPClient against Meteor's OWN client (DDP.connect in the real 1.9.3 runtime), scenario by scenario.

Both clients run the same plan (tests/peers/meteor/client_app.js; its Python
twin tests/peers/plan_client.py) against their own copy of one scripted server
(tests/peers/scenario_server.py), which records every frame each client sends.
Each test asserts the SAME normalized outcome: the frames in order, and the
lines each client reported (status changes, callbacks) without their times.
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
    return Run(meteor, servers[0].normalized()), Run(ours, servers[1].normalized())


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


async def test_calls_and_a_subscription_send_the_same_frames() -> None:
    """Plain calls, a wait call and a subscription: the same frames, in the same order, as Meteor's client."""
    plan: Plan = {
        "steps": [
            connected(),
            {"do": "call", "label": "a", "name": "add", "params": [1, 2]},
            {"do": "subscribe", "label": "s", "name": "items", "params": [3]},
            {"do": "call", "label": "w", "name": "echo", "params": ["w"], "wait": True},
            {"do": "call", "label": "c", "name": "echo", "params": [{"$date": 0}]},
            settled("c"),
            {"do": "await", "match": {"event": "ready", "label": "s"}},
        ]
    }
    meteor, ours = await both(plan, Script(docs={"items": 3}))
    assert ours.frames == meteor.frames
    assert meteor.frames == [
        (1, CONNECT),
        (1, {"msg": "method", "id": "1", "method": "add", "params": [1, 2]}),
        (1, {"msg": "sub", "id": "sub1", "name": "items", "params": [3]}),
        (1, {"msg": "method", "id": "2", "method": "echo", "params": ["w"]}),
        (1, {"msg": "method", "id": "3", "method": "echo", "params": [{"$date": 0}]}),
    ]
    assert ours.outcome == meteor.outcome
