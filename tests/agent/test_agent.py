"""ddp-monitor's Meteor agent loaded into the real Meteor 1.9.3 server, with real clients.

The clients: ddp-monitor's ``DDPClient`` (with an X-Forwarded-For header),
the npm ``ddp`` package, Meteor's own DDP client (``DDP.connect`` in the
peer's client scenario) and Meteor's browser client in headless Chromium.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.transport.client import DDPClient
from tests.agent.agent_helpers import PUBLICATION, SECRET, rows, until_row
from tests.agent.conftest import start_agent_meteor
from tests.peers.meteor_browser import MeteorBrowser
from tests.peers.meteor_client import run_meteor_client
from tests.peers.meteor_server import MeteorServer
from tests.timeouts import TIMEOUT

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]

FORWARDED = "203.0.113.9"


class NpmClient:
    """tests/peers/npm/agent_client.js: the npm ``ddp`` client, reconnecting by itself."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    async def connected(self, count: int) -> dict[str, Any]:
        """The ``count``-th ``connected`` line (1: the first connection)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            while sum(line["event"] == "connected" for line in self.lines) < count:
                raw = await self.process.stdout.readline()
                assert raw, f"the npm client ended: {self.lines}"
                self.lines.append(json.loads(raw))
                assert self.lines[-1]["event"] != "fatal", self.lines[-1]
        return [line for line in self.lines if line["event"] == "connected"][count - 1]


@asynccontextmanager
async def npm_client(npm_clients: Path, http_url: str) -> AsyncIterator[NpmClient]:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(npm_clients / "agent_client.js"),
        http_url,
        cwd=npm_clients,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield NpmClient(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        async with asyncio.timeout(TIMEOUT):
            await process.wait()


async def test_rows_show_each_client_with_the_address_meteor_computes(
    agent_meteor: MeteorServer, watcher: DDPClient, npm_clients: Path
) -> None:
    """A client behind X-Forwarded-For shows the forwarded address; one without shows Meteor's null (HTTP_FORWARDED_COUNT=1); the watcher is never listed."""
    async with (
        DDPClient(agent_meteor.url, headers={"X-Forwarded-For": FORWARDED}) as ours,
        npm_client(npm_clients, agent_meteor.http_url) as npm,
    ):
        whoami = await ours.call("whoami")
        await ours.subscribe("items", 4).wait_ready()
        assert whoami["clientAddress"] == FORWARDED
        shown = await until_row(
            watcher,
            lambda r: (
                r["_id"] == ours.session
                and bool(r["subscriptions"])
                and r["subscriptions"][0]["ready"]
            ),
        )
        assert shown["appClientAddress"] == whoami["clientAddress"]
        assert shown["clientAddress"] == "127.0.0.1"
        assert shown["forwardedFor"] == FORWARDED
        assert shown["httpHeaders"]["x-forwarded-for"] == FORWARDED
        assert "cookie" not in shown["httpHeaders"]
        assert shown["transport"] == "websocket-raw"
        assert shown["ddpVersion"] == "1"
        (sub,) = shown["subscriptions"]
        assert (sub["name"], sub["params"], sub["documents"]) == ("items", [4], 4)
        # Counted from the session's start (after `connected`): whoami and sub up;
        # result, updated, four added and ready down.
        assert (shown["framesToServer"], shown["framesToClient"]) == (2, 7)

        first = await npm.connected(1)
        theirs = await until_row(watcher, lambda r: r["_id"] == first["session"])
        # Meteor's rule with one trusted proxy and no header: null, as whoami says.
        assert first["whoami"]["clientAddress"] is None
        assert theirs["appClientAddress"] is None
        assert theirs["clientAddress"] == "127.0.0.1"
        assert watcher.session not in rows(watcher)


async def test_close_makes_each_client_reconnect_with_a_new_id(
    agent_meteor: MeteorServer, watcher: DDPClient, npm_clients: Path
) -> None:
    """ddpMonitorAgent.close on a row: ddp-monitor's client, the npm ddp client and Meteor's own DDP.connect each come back with a new session, whose row appears."""
    async with (
        DDPClient(agent_meteor.url) as ours,
        npm_client(npm_clients, agent_meteor.http_url) as npm,
    ):
        old = (await ours.call("whoami"))["id"]
        await until_row(watcher, lambda r: r["_id"] == old)
        await watcher.call("ddpMonitorAgent.close", SECRET, old)
        # Sent while the client notices the close, the call runs on the new session.
        new = (await ours.call("whoami"))["id"]
        assert ours.session == new != old
        await until_row(watcher, lambda r: r["_id"] == new)

        first = await npm.connected(1)
        await until_row(watcher, lambda r: r["_id"] == first["session"])
        await watcher.call("ddpMonitorAgent.close", SECRET, first["session"])
        second = await npm.connected(2)
        assert second["session"] != first["session"]
        assert second["whoami"]["id"] == second["session"]
        await until_row(watcher, lambda r: r["_id"] == second["session"])
        assert first["session"] not in rows(watcher)

    # Meteor's own client: known by a ticker interval no one else asks for.
    marker = 4321
    plan = {
        "timeout_ms": 20000,
        "steps": [
            {"do": "call", "label": "before", "name": "whoami"},
            {"do": "subscribe", "label": "t", "name": "ticker", "params": [marker]},
            {"do": "await", "match": {"event": "status", "status": "waiting"}},
            {
                "do": "await",
                "match": {"event": "status", "status": "connected"},
                "count": 2,
            },
            {"do": "call", "label": "after", "name": "whoami"},
            {"do": "await", "match": {"event": "callback", "label": "after"}},
        ],
    }
    running = asyncio.ensure_future(run_meteor_client(plan, agent_meteor.http_url))
    meteors = await until_row(
        watcher,
        lambda r: any(s["params"] == [marker] for s in r["subscriptions"]),
    )
    await watcher.call("ddpMonitorAgent.close", SECRET, meteors["_id"])
    lines = await running
    (before,) = [
        x for x in lines if x.get("label") == "before" and x["event"] == "callback"
    ]
    (after,) = [
        x for x in lines if x.get("label") == "after" and x["event"] == "callback"
    ]
    assert before["result"]["id"] == meteors["_id"] != after["result"]["id"]


async def test_frames_for_the_panel_hold_no_secrets(
    agent_meteor: MeteorServer, watcher: DDPClient
) -> None:
    """A row's frames come with passwords and tokens masked, as in a recording; the rest as sent."""
    async with DDPClient(agent_meteor.url) as ours:
        me = (await ours.call("whoami"))["id"]
        secrets = {
            "password": {"digest": "d1g3st"},
            "resume": "t0k3n",
            "kept": "v1s1ble",
        }
        assert await ours.call("echo", secrets) == secrets
        found = await watcher.call("ddpMonitorAgent.frames", SECRET, me)
    texts = [f["text"] for f in found]
    assert {f["dir"] for f in found} == {"toServer", "toClient"}
    assert not any("d1g3st" in t or "t0k3n" in t for t in texts)
    method = next(json.loads(t) for t in texts if '"echo"' in t)
    assert method["params"] == [{"password": "***", "resume": "***", "kept": "v1s1ble"}]
    result = next(json.loads(t) for t in texts if '"result"' in t and "v1s1ble" in t)
    assert result["result"]["resume"] == "***"


async def test_a_wrong_secret_is_refused_and_sees_nothing(
    agent_meteor: MeteorServer, watcher: DDPClient
) -> None:
    """The publication stops with 'forbidden' and sends no row; every method refuses too."""
    async with DDPClient(agent_meteor.url) as stranger:
        handle = stranger.subscribe(PUBLICATION, "not the secret")
        with pytest.raises(MethodError) as refused:
            async with asyncio.timeout(TIMEOUT):
                await handle.wait_ready()
        assert refused.value.error == "forbidden"
        assert rows(stranger) == {}
        # Two more tries (five from one address lock it out for a minute).
        for method, params in (
            ("ddpMonitorAgent.close", [watcher.session]),
            ("ddpMonitorAgent.setFaults", [None, {"holdDataMs": 1000}]),
        ):
            with pytest.raises(MethodError) as error:
                await stranger.call(method, 12345, *params)
            assert error.value.error == "forbidden", method
        # It stays a client like any other (it never gave the secret).
        await until_row(watcher, lambda r: r["_id"] == stranger.session)
    assert "wrong secret" in agent_meteor.stderr_text()


async def test_without_a_secret_the_agent_registers_nothing(
    meteor_installed: None,
) -> None:
    """No secret: no publication, no method (Meteor's own 404s), and the log says why."""
    server = await asyncio.to_thread(start_agent_meteor, {})
    try:
        async with DDPClient(server.url) as stranger:
            with pytest.raises(MethodError) as missing:
                async with asyncio.timeout(TIMEOUT):
                    await stranger.subscribe(PUBLICATION, SECRET).wait_ready()
            assert missing.value.error == 404
            with pytest.raises(MethodError) as no_method:
                await stranger.call("ddpMonitorAgent.close", SECRET, "x")
            assert no_method.value.error == 404
        assert "ddp-monitor agent: off" in server.stderr_text()
    finally:
        await asyncio.to_thread(server.stop)


async def test_wrong_secrets_are_rate_limited_by_address(
    meteor_installed: None,
) -> None:
    """After five wrong secrets from one address, even the right one waits a minute."""
    server = await asyncio.to_thread(
        start_agent_meteor, {"DDP_MONITOR_AGENT_SECRET": SECRET}
    )
    try:
        async with DDPClient(server.url) as guesser:
            for guess in range(5):
                with pytest.raises(MethodError) as wrong:
                    await guesser.call("ddpMonitorAgent.clearFaults", f"guess {guess}")
                assert wrong.value.error == "forbidden"
            with pytest.raises(MethodError) as limited:
                await guesser.call("ddpMonitorAgent.clearFaults", SECRET)
            assert limited.value.error == "too-many-requests"
        assert "too many wrong secrets" in server.stderr_text()
    finally:
        await asyncio.to_thread(server.stop)


async def test_faults_inside_the_server(
    agent_meteor: MeteorServer, watcher: DDPClient
) -> None:
    """Hold data holds a subscription's ready but not a result; latency delays results; impossible faults are refused with why."""
    async with DDPClient(agent_meteor.url) as ours:
        me = (await ours.call("whoami"))["id"]

        async def set_faults(faults: dict[str, Any]) -> Any:
            return await watcher.call("ddpMonitorAgent.setFaults", SECRET, me, faults)

        assert await set_faults({"holdDataMs": 60_000}) == {"holdDataMs": 60_000}
        held = ours.subscribe("items", 3)
        # A result passes a hold (its `updated`, a data message, waits).
        answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        call = ours.apply_nowait(
            "add",
            [1, 2],
            on_result_received=lambda _, value: answered.set_result(value),
        )
        async with asyncio.timeout(TIMEOUT):
            assert await answered == 3
        assert not held.ready.done()
        assert not call.result.done()
        shown = await until_row(watcher, lambda r: r["_id"] == me and r["faults"])
        assert shown["faults"] == {"holdDataMs": 60_000}
        await watcher.call("ddpMonitorAgent.clearFaults", SECRET, me)
        async with asyncio.timeout(TIMEOUT):
            await held.wait_ready()  # released when the hold goes
            assert await call == 3

        await set_faults({"toClient": {"latencyMs": 200}})
        sent = time.monotonic()
        assert await ours.call("echo", "late") == "late"
        assert time.monotonic() - sent >= 0.2
        await watcher.call("ddpMonitorAgent.clearFaults", SECRET, me)

        with pytest.raises(MethodError) as network:
            await set_faults({"toClient": {"bandwidth": 1024}})
        assert network.value.error == "bad-faults"
        assert "proxy" in str(network.value.reason)
        with pytest.raises(MethodError) as unknown:
            await set_faults({"jitter": 3})
        assert unknown.value.reason == "unknown fault jitter"
        # The panel's fault bar sends every key; the ones the agent cannot do, off.
        assert (
            await set_faults(
                {
                    "toClient": {"latencyMs": 0, "bandwidth": 0},
                    "toServer": {"latencyMs": 0},
                    "deadLink": False,
                    "holdDataMs": 0,
                    "batterySavingMs": 0,
                }
            )
            == {}
        )


async def test_swallowed_pongs_never_reach_the_client(
    agent_meteor: MeteorServer, watcher: DDPClient
) -> None:
    """toClient.swallowPongs: a ping gets no pong (the result after it still comes); cleared, pongs come back first."""
    async with connect(agent_meteor.url) as socket:
        await socket.send(
            json.dumps({"msg": "connect", "version": "1", "support": ["1"]})
        )
        connected = json.loads(await socket.recv())
        if "server_id" in connected:  # Meteor before 2.3 says this first
            connected = json.loads(await socket.recv())
        session = connected["session"]
        await until_row(watcher, lambda r: r["_id"] == session)

        async def ping_then_call(label: str) -> list[str]:
            await socket.send(json.dumps({"msg": "ping", "id": label}))
            await socket.send(
                json.dumps(
                    {"msg": "method", "id": label, "method": "echo", "params": [1]}
                )
            )
            kinds: list[str] = []
            async with asyncio.timeout(TIMEOUT):
                while "result" not in kinds:
                    kinds.append(json.loads(await socket.recv())["msg"])
            return kinds

        await watcher.call(
            "ddpMonitorAgent.setFaults",
            SECRET,
            session,
            {"toClient": {"swallowPongs": True}},
        )
        assert "pong" not in await ping_then_call("a")
        await watcher.call("ddpMonitorAgent.clearFaults", SECRET, session)
        assert (await ping_then_call("b"))[0] == "pong"


@pytest.mark.browser
@pytest.mark.usefixtures("meteor_browser")
async def test_close_sends_the_browser_waiting_then_back(
    agent_meteor: MeteorServer, watcher: DDPClient
) -> None:
    """Meteor's browser client: its row (HeadlessChrome, SockJS's websocket) and Close: waiting, then a new session."""
    async with MeteorBrowser(agent_meteor.http_url, "--scenario", "close") as page:
        armed = await page.until(lambda line: line["event"] == "armed")
        shown = await until_row(watcher, lambda r: r["_id"] == armed["session"])
        assert "HeadlessChrome" in shown["userAgent"]
        assert shown["transport"] == "websocket"
        await watcher.call("ddpMonitorAgent.close", SECRET, armed["session"])
        await page.until(lambda line: line.get("status") == "waiting")
        again = await until_row(
            watcher,
            lambda r: (
                "HeadlessChrome" in r["userAgent"] and r["_id"] != armed["session"]
            ),
        )
        result = await page.result()
    assert result["sessions"] == [armed["session"], again["_id"]]
