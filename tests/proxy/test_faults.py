"""Each fault measured against its promise, through the proxy to the real Meteor 1.9.3 server."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, WayFaults, from_wire
from ddp_monitor.proxy import DDPProxy, ProxiedConnection, ProxyEvent
from ddp_monitor.transport.client import DDPClient
from tests.peers.meteor_client import run_meteor_client
from tests.proxy.proxy_helpers import until_row
from tests.timeouts import SCALE, TIMEOUT

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await call()
    return loop.time() - start


async def _median_rtt(client: DDPClient, runs: int = 5) -> float:
    return statistics.median(
        [await _timed(lambda: client.call("echo", 1)) for _ in range(runs)]
    )


async def _row_of(proxy: DDPProxy, client: DDPClient) -> ProxiedConnection:
    return await until_row(
        proxy, lambda c: c.session is not None and c.session == client.session
    )


async def test_latency_adds_what_it_says(proxy: DDPProxy) -> None:
    """150 ms to the client and 50 ms to the server add 200 ms to a call's round trip (within 10%)."""
    async with asyncio.timeout(4 * TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        base = await _median_rtt(client)
        connection = await _row_of(proxy, client)
        proxy.set_faults(
            connection.id,
            Faults(
                to_client=WayFaults(latency=0.15), to_server=WayFaults(latency=0.05)
            ),
        )
        added = await _median_rtt(client) - base
        assert added == pytest.approx(0.2, rel=0.1)
        proxy.set_faults(connection.id, NO_FAULTS)
        assert await _median_rtt(client) - base < 0.02  # clearing restores the flow


async def test_bandwidth_spaces_the_apps_frames(proxy: DDPProxy) -> None:
    """At 20,000 bytes/s to the client, items(300) takes its bytes / 20,000 seconds (within 10%)."""
    async with asyncio.timeout(4 * TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        proxy.set_faults(connection.id, Faults(to_client=WayFaults(bandwidth=20_000)))
        counts = connection.counts
        before = counts.bytes_to_client + counts.bytes_to_server
        took = await _timed(lambda: client.subscribe("items", 300).wait_ready())
        carried = counts.bytes_to_client + counts.bytes_to_server - before
        assert took == pytest.approx(carried / 20_000, rel=0.1)


async def test_delayed_result_delays_that_call_only(proxy: DDPProxy) -> None:
    """Delaying add's result by 0.6 s makes add take 0.6 s while echo, sent after it, answers at once."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        proxy.set_faults(connection.id, from_wire({"delayResultMs": {"add": 600}}))
        add = asyncio.ensure_future(_timed(lambda: client.call("add", 1, 2)))
        echo = await _timed(lambda: client.call("echo", "fast"))
        assert echo < 0.3
        assert not add.done()
        assert await add == pytest.approx(0.6, abs=0.15)


async def test_hold_data_holds_ready_but_not_results(proxy: DDPProxy) -> None:
    """Holding data for 0.8 s delays a subscription's ready by that much; a method result still comes at once."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        loop = asyncio.get_running_loop()
        start = loop.time()
        proxy.set_faults(connection.id, Faults(hold_data=0.8))
        ready = asyncio.ensure_future(client.subscribe("items", 3).wait_ready())
        result: list[float] = []
        client.apply_nowait(
            "add",
            [1, 1],
            on_result_received=lambda *_: result.append(loop.time() - start),
        )
        await ready
        assert loop.time() - start >= 0.8
        assert result
        assert result[0] < 0.5


async def test_drop_one_in_n_added_loses_those_documents(proxy: DDPProxy) -> None:
    """Dropping one `added` in 5 leaves the client without the 5th and the 10th document."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        proxy.set_faults(connection.id, Faults(drop_one_in={"added": 5}))
        await client.subscribe("items", 10).wait_ready()
        assert sorted(client.store.collection("items")) == sorted(
            f"i{k}" for k in range(10) if k not in (4, 9)
        )


async def test_battery_saving_sends_the_client_waiting_and_its_calls_queue(
    proxy: DDPProxy,
) -> None:
    """Battery saving for 1.5 s: the client goes waiting, its reconnects are refused, its call waits and goes out after."""
    async with asyncio.timeout(6 * TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        loop = asyncio.get_running_loop()
        start = loop.time()
        proxy.set_faults(connection.id, Faults(battery_saving=1.5))
        await client.wait_for_status(ConnectionStatus.WAITING)
        queued = asyncio.ensure_future(client.call("add", 2, 3))
        await asyncio.sleep(0.3 * SCALE)
        assert not queued.done()
        waiting = client.status
        assert client.status.status is not ConnectionStatus.CONNECTED
        await client.wait_for_status(ConnectionStatus.CONNECTED)
        assert loop.time() - start >= 1.5
        assert waiting.retry_count >= 0
        assert await queued == 5


async def test_reset_drops_the_client_without_a_close(proxy: DDPProxy) -> None:
    """Reset ends the client's TCP connection with no close frame; the client goes waiting and comes back."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        reasons: list[str] = []
        client.add_listener(lambda e: reasons.append(getattr(e, "reason", "")))
        await client.call("echo", 0)
        connection = await _row_of(proxy, client)
        proxy.reset(connection.id)
        await client.wait_for_status(ConnectionStatus.WAITING)
        assert "connection lost without a close frame" in reasons
        await client.wait_for_status(ConnectionStatus.CONNECTED)


#: Meteor's client with short heartbeats (DDP.connect options): a silent link
#: is noticed between interval + timeout and 2 x interval + timeout.
HEARTBEAT = {"heartbeatInterval": 2000, "heartbeatTimeout": 1000}


@pytest.mark.parametrize(
    "faults",
    [{"deadLink": True}, {"toClient": {"swallowPongs": True}}],
    ids=["dead-link", "swallowed-pongs"],
)
async def test_meteor_client_notices_a_silent_link_in_its_heartbeat_time(
    proxy: DDPProxy, faults: dict[str, Any]
) -> None:
    """Meteor's own client behind a dead link (or losing its pongs) goes waiting within its heartbeat time, then reconnects."""
    faulted: list[str] = []

    def fault_after_first_result(event: ProxyEvent) -> None:
        connection = event.connection
        if not faulted and any(
            '"msg":"result"' in text for _, _, text in connection.recent
        ):
            faulted.append(connection.id)
            proxy.set_faults(connection.id, from_wire(faults))

    remove = proxy.add_listener(fault_after_first_result)
    plan = {
        "options": HEARTBEAT,
        "timeout_ms": 30000,
        "steps": [
            {"do": "await", "match": {"event": "status", "status": "connected"}},
            {"do": "call", "label": "before", "name": "echo", "params": [1]},
            {"do": "await", "match": {"event": "callback", "label": "before"}},
            {"do": "await", "match": {"event": "status", "status": "waiting"}},
            {
                "do": "await",
                "match": {"event": "status", "status": "connected"},
                "count": 2,
            },
            {"do": "call", "label": "after", "name": "echo", "params": [2]},
            {"do": "await", "match": {"event": "callback", "label": "after"}},
        ],
    }
    try:
        lines = await run_meteor_client(plan, proxy.url)
    finally:
        remove()
    callback = next(line for line in lines if line.get("label") == "before")
    waiting = next(line for line in lines if line.get("status") == "waiting")
    noticed = (waiting["t"] - callback["t"]) / 1000
    assert 3.0 - 0.1 <= noticed <= 5.0 + 0.5 * SCALE
    after = next(
        line
        for line in lines
        if line.get("label") == "after" and line["event"] == "callback"
    )
    assert after["result"] == 2
