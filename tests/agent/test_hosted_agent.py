"""ddp-monitor's own server with the Python agent (``hosting.agent``), watched by real clients.

The same protocol as the Meteor agent (test_agent.py): our demo server on a
loopback port in the test's loop, ``install_agent`` on it, ``DDPClient``\\ s
as the panel and as the app's clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import pytest_asyncio

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.hosting.agent import install_agent
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.server import DDPServer
from tests.agent.agent_helpers import PUBLICATION, SECRET, rows, until_row
from tests.demo_process import demo_server_process
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio

FORWARDED = "203.0.113.9"


@asynccontextmanager
async def client(url: str, **options: Any) -> AsyncIterator[DDPClient]:
    ddp = DDPClient(url, **options)
    await ddp.start()
    try:
        # start() returns before `connected`; a method's answer comes after it.
        async with asyncio.timeout(TIMEOUT):
            await ddp.call("echo", None)
        assert ddp.session is not None
        yield ddp
    finally:
        await ddp.close()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[DDPServer]:
    """Our demo server behind one proxy (``HTTP_FORWARDED_COUNT=1``), the agent on."""
    ours = create_demo_server(forwarded_count=1)
    install_agent(ours, SECRET)
    async with ours:
        yield ours


@pytest_asyncio.fixture
async def watcher(server: DDPServer) -> AsyncIterator[DDPClient]:
    async with client(server.url) as panel:
        await panel.subscribe(PUBLICATION, SECRET).wait_ready()
        yield panel


async def test_rows_show_each_client_and_never_the_agents_own(
    server: DDPServer, watcher: DDPClient
) -> None:
    """A row per client: the forwarded address as the app computes it, its subscriptions, a method in flight, the server's name; the panel's own connection is not one."""
    async with client(server.url, headers={"X-Forwarded-For": FORWARDED}) as app:
        await app.subscribe("items", 2).wait_ready()
        slow = asyncio.ensure_future(app.call("slow", 400))
        row = await until_row(
            watcher, lambda r: r["session"] == app.session and r["methodsInFlight"]
        )
        assert row["appClientAddress"] == FORWARDED
        assert row["forwardedFor"] == FORWARDED
        assert row["clientAddress"] == "127.0.0.1"
        assert [m["name"] for m in row["methodsInFlight"]] == ["slow"]
        assert [(s["name"], s["params"], s["ready"]) for s in row["subscriptions"]] == [
            ("items", [2], True)
        ]
        assert row["server"].endswith(f":{os.getpid()}")
        assert row["framesToServer"] >= 3
        assert row["framesToClient"] >= 4
        async with asyncio.timeout(TIMEOUT):
            assert await slow == 400
        await until_row(
            watcher, lambda r: r["session"] == app.session and not r["methodsInFlight"]
        )
        assert watcher.session not in rows(watcher)
        assert set(rows(watcher)) == {app.session}


async def test_close_makes_the_client_reconnect_with_a_new_id(
    server: DDPServer, watcher: DDPClient
) -> None:
    async with client(server.url) as app:
        first = app.session
        await until_row(watcher, lambda r: r["_id"] == first)
        await watcher.call("ddpMonitorAgent.close", SECRET, first)
        again = await until_row(watcher, lambda r: r["_id"] not in (first,))
        assert again["_id"] == app.session != first
        assert first not in rows(watcher)


async def test_frames_for_the_panel_hold_no_secrets(
    server: DDPServer, watcher: DDPClient
) -> None:
    """As the Meteor agent's: passwords and tokens masked, the rest as sent."""
    async with client(server.url) as app:
        secrets = {
            "password": {"digest": "d1g3st"},
            "resume": "t0k3n",
            "kept": "v1s1ble",
        }
        assert await app.call("echo", secrets) == secrets
        found = await watcher.call("ddpMonitorAgent.frames", SECRET, app.session)
    texts = [f["text"] for f in found]
    assert {f["dir"] for f in found} == {"toServer", "toClient"}
    assert not any("d1g3st" in t or "t0k3n" in t for t in texts)
    method = next(json.loads(t) for t in texts if '"echo"' in t and "v1s1ble" in t)
    assert method["params"] == [{"password": "***", "resume": "***", "kept": "v1s1ble"}]
    result = next(json.loads(t) for t in texts if '"result"' in t and "v1s1ble" in t)
    assert result["result"]["resume"] == "***"
    # Seconds from the session's start, in order (`connect` came just before it).
    times = [f["at"] for f in found]
    assert times == sorted(times)
    assert times[0] > -1
    assert times[-1] < TIMEOUT


async def test_a_wrong_secret_is_refused_and_sees_nothing(
    server: DDPServer, watcher: DDPClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "ddp_monitor.hosting.agent")
    async with client(server.url) as stranger:
        with pytest.raises(MethodError) as refused:
            async with asyncio.timeout(TIMEOUT):
                await stranger.subscribe(PUBLICATION, "not the secret").wait_ready()
        assert refused.value.error == "forbidden"
        assert rows(stranger) == {}
        for method, params in (
            ("ddpMonitorAgent.close", [watcher.session]),
            ("ddpMonitorAgent.setFaults", [None, {"toClient": {"latencyMs": 500}}]),
            ("ddpMonitorAgent.frames", [watcher.session]),
        ):
            with pytest.raises(MethodError) as error:
                await stranger.call(method, 12345, *params)
            assert error.value.error == "forbidden", method
        # It stays a client like any other (it never gave the secret).
        await until_row(watcher, lambda r: r["_id"] == stranger.session)
    assert "wrong secret" in caplog.text


async def test_without_a_secret_nothing_is_registered() -> None:
    """No ``install_agent``: Meteor's own 404s for the publication and the methods; an empty secret is refused."""
    async with create_demo_server() as plain, client(plain.url) as stranger:
        with pytest.raises(MethodError) as missing:
            async with asyncio.timeout(TIMEOUT):
                await stranger.subscribe(PUBLICATION, SECRET).wait_ready()
        assert missing.value.error == 404
        with pytest.raises(MethodError) as no_method:
            await stranger.call("ddpMonitorAgent.close", SECRET, "x")
        assert no_method.value.error == 404
        with pytest.raises(ValueError, match="secret"):
            install_agent(plain, "")


async def test_wrong_secrets_and_too_many_calls_are_limited(
    server: DDPServer,
) -> None:
    """Five wrong secrets lock the address out, the right one too; an agent connection makes at most 20 calls a second."""
    async with client(server.url) as panel:
        answers = await asyncio.gather(
            *(panel.call("ddpMonitorAgent.clearFaults", SECRET) for _ in range(30)),
            return_exceptions=True,
        )
        limited = [a for a in answers if isinstance(a, MethodError)]
        assert 0 < len(limited) <= 10
        assert {a.error for a in limited} == {"too-many-requests"}
    # Another connection from the same address: its own call rate is fresh.
    async with client(server.url) as guesser:
        for guess in range(5):
            with pytest.raises(MethodError) as wrong:
                await guesser.call("ddpMonitorAgent.clearFaults", f"guess {guess}")
            assert wrong.value.error == "forbidden"
        with pytest.raises(MethodError) as locked:
            await guesser.call("ddpMonitorAgent.clearFaults", SECRET)
        assert locked.value.error == "too-many-requests"


async def test_latency_to_the_client_and_refused_faults(
    server: DDPServer, watcher: DDPClient
) -> None:
    """toClient.latencyMs delays what the session sends, shown in the row; faults needing the network are refused with why; the fault bar's "off" values pass; null applies to new connections."""
    async with client(server.url) as app:
        me = app.session

        async def set_faults(ident: str | None, faults: dict[str, Any]) -> Any:
            return await watcher.call(
                "ddpMonitorAgent.setFaults", SECRET, ident, faults
            )

        assert await set_faults(me, {"toClient": {"latencyMs": 250}}) == {
            "toClient": {"latencyMs": 250}
        }
        sent = time.monotonic()
        assert await app.call("echo", "late") == "late"
        assert time.monotonic() - sent >= 0.25
        shown = await until_row(watcher, lambda r: r["_id"] == me and r["faults"])
        assert shown["faults"] == {"toClient": {"latencyMs": 250}}
        await watcher.call("ddpMonitorAgent.clearFaults", SECRET, me)
        sent = time.monotonic()
        await app.call("echo", "soon")
        assert time.monotonic() - sent < 0.25

        for impossible in (
            {"toClient": {"bandwidth": 1024}},
            {"holdDataMs": 1000},
            {"deadLink": True},
        ):
            with pytest.raises(MethodError) as network:
                await set_faults(me, impossible)
            assert network.value.error == "bad-faults"
            assert "proxy" in str(network.value.reason)
        with pytest.raises(MethodError) as bad:
            await set_faults(me, {"toClient": {"latencyMs": -1}})
        assert bad.value.error == "bad-faults"
        off = {
            "toClient": {"latencyMs": 0, "bandwidth": 0},
            "toServer": {"latencyMs": 0},
            "deadLink": False,
            "holdDataMs": 0,
            "batterySavingMs": 0,
        }
        assert await set_faults(me, off) == {}

        assert await set_faults(None, {"toClient": {"latencyMs": 300}}) == {
            "toClient": {"latencyMs": 300}
        }
    async with client(server.url) as late:
        row = await until_row(watcher, lambda r: r["_id"] == late.session)
        assert row["faults"] == {"toClient": {"latencyMs": 300}}
        sent = time.monotonic()
        await late.call("echo", 1)
        assert time.monotonic() - sent >= 0.3
        # A panel that comes now gets the faults for all, until its secret
        # marks it: its own link is never faulted.
        async with client(server.url) as panel:
            await panel.subscribe(PUBLICATION, SECRET).wait_ready()
            sent = time.monotonic()
            with pytest.raises(MethodError):
                await panel.call("ddpMonitorAgent.frames", SECRET, "no such id")
            assert time.monotonic() - sent < 0.3
            assert panel.session not in rows(watcher)


async def test_serve_turns_the_agent_on_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ddp-monitor serve --demo`` with ``DDP_MONITOR_AGENT_SECRET``, as the Meteor agent reads it."""
    monkeypatch.setenv("DDP_MONITOR_AGENT_SECRET", SECRET)
    async with (
        demo_server_process(0) as ours,
        client(ours.url) as app,
        client(ours.url) as panel,
    ):
        await panel.subscribe(PUBLICATION, SECRET).wait_ready()
        row = await until_row(panel, lambda r: r["_id"] == app.session)
        assert row["appClientAddress"] == "127.0.0.1"
        assert set(rows(panel)) == {app.session}
