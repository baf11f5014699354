"""Scenarios for the differential tests: frames to send, answers to collect and compare.

Owns the scenario builders (``connected_then``, ``before_connect``, ``calls``,
``negotiate``), ``compare`` (ours against Meteor's normalized answer) and
``summary``; imports tests.wire only. The ``servers`` fixture is in this
folder's conftest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tests.wire import SOCKJS, Frame, WireClient, is_close, normalize

__all__ = [
    "SENTINEL",
    "Scenario",
    "answers",
    "before_connect",
    "calls",
    "compare",
    "connected_then",
    "is_result",
    "negotiate",
    "summary",
]

Scenario = Callable[[WireClient], Awaitable[list[Frame]]]

SENTINEL = {"msg": "method", "id": "sentinel", "method": "echo", "params": ["end"]}


async def answers(url: str, scenario: Scenario, *, sockjs: bool = False) -> list[Frame]:
    """Run one scenario on a fresh socket and return the server's raw frames."""
    async with await WireClient.open(url, sockjs=sockjs) as client:
        return await scenario(client)


async def compare(
    servers: dict[str, str], scenario: Scenario, *, sockjs: bool = False
) -> list[Frame]:
    """Assert ours answers as Meteor does; return Meteor's normalized answer."""
    reference = normalize(await answers(servers["meteor"], scenario, sockjs=sockjs))
    ours = normalize(await answers(servers["ours"], scenario, sockjs=sockjs))
    assert ours == reference
    return reference


def summary(frames: Sequence[Frame]) -> list[str]:
    """``msg`` of each frame, with the error reason when there is one ("error:Bad request")."""
    out = []
    for frame in frames:
        if is_close(frame):
            out.append("close")
        elif SOCKJS in frame:
            out.append(f"sockjs:{frame[SOCKJS]}")
        elif frame.get("msg") == "error":
            out.append(f"error:{frame.get('reason')}")
        else:
            out.append(str(frame.get("msg")))
    return out


def is_result(method_id: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("msg") == "result" and frame.get("id") == method_id


def connected_then(*frames: str | dict[str, Any]) -> Scenario:
    """Handshake, send the frames, collect through the sentinel's result."""

    async def scenario(client: WireClient) -> list[Frame]:
        got = await client.handshake()
        await client.send(*frames, SENTINEL)
        return got + await client.collect_until(is_result("sentinel"))

    return scenario


def before_connect(*frames: str | dict[str, Any]) -> Scenario:
    """Send the frames with no ``connect``; each one earns exactly one error frame."""

    async def scenario(client: WireClient) -> list[Frame]:
        await client.send(*frames)
        # Meteor 1.9 sends server_id first; current Meteor (and ours) do not.
        got = await client.collect_until(lambda frame: "server_id" not in frame)
        return got + await client.collect_count(len(frames) - 1)

    return scenario


def calls(*calls: tuple[str, list[Any]]) -> Scenario:
    """Handshake, then call each (method, params) with ids m0, m1, ...; collect through the sentinel."""
    return connected_then(
        *(
            {"msg": "method", "id": f"m{i}", "method": name, "params": params}
            for i, (name, params) in enumerate(calls)
        )
    )


def negotiate(connect: dict[str, Any]) -> Scenario:
    """Send one ``connect``; collect through ``connected``, or through ``failed`` and the close."""

    async def scenario(client: WireClient) -> list[Frame]:
        await client.send(connect)
        got = await client.collect_until(
            lambda frame: frame.get("msg") in ("connected", "failed")
        )
        if got[-1].get("msg") == "failed":
            got.append(await client.recv())
        return got

    return scenario
