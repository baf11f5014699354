"""The fault layer on the client's own connection: a bad network without any proxy (our server and Meteor's)."""

from __future__ import annotations

import asyncio
import math
import statistics

import pytest

from ddp_monitor.ddp.client.events import TransportLost
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, WayFaults
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.client.fault_layer import BATTERY_SAVING_REASON
from tests.timeouts import SCALE, TIMEOUT

pytestmark = pytest.mark.asyncio


async def _rtt(client: DDPClient) -> float:
    loop = asyncio.get_running_loop()
    times = []
    for i in range(5):
        start = loop.time()
        await client.call("echo", i)
        times.append(loop.time() - start)
    return statistics.median(times)


async def test_latency_on_the_clients_own_link(ddp_server: str) -> None:
    """100 ms each way on the client's own link adds 200 ms to a round trip (within 10%); clearing removes it."""
    async with asyncio.timeout(4 * TIMEOUT), DDPClient(ddp_server) as client:
        base = await _rtt(client)
        client.set_faults(
            Faults(to_server=WayFaults(latency=0.1), to_client=WayFaults(latency=0.1))
        )
        assert await _rtt(client) - base == pytest.approx(0.2, rel=0.1)
        client.set_faults(NO_FAULTS)
        assert await _rtt(client) - base < 0.02


async def test_battery_saving_drops_the_socket_refuses_attempts_and_wakes(
    ddp_server: str, request: pytest.FixtureRequest
) -> None:
    """Battery saving: waiting, attempts fail as 'battery saving', calls queue; clearing reconnects at once and sends them."""
    async with asyncio.timeout(4 * TIMEOUT), DDPClient(ddp_server) as client:
        reasons: list[str] = []
        client.add_listener(
            lambda e: reasons.append(e.reason) if isinstance(e, TransportLost) else None
        )
        await client.call("echo", 0)
        first = client.session
        client.set_faults(Faults(battery_saving=math.inf))
        await client.wait_for_status(ConnectionStatus.WAITING)
        queued = asyncio.ensure_future(client.call("add", 1, 2))
        await client.wait_for_status(ConnectionStatus.CONNECTING)
        await client.wait_for_status(ConnectionStatus.WAITING)
        assert BATTERY_SAVING_REASON in reasons
        assert not queued.done()
        client.set_faults(NO_FAULTS)
        await client.wait_for_status(ConnectionStatus.CONNECTED)
        assert await queued == 3
        # Woken within the grace period, our server resumes the session;
        # Meteor 1.9.3 has no resumption and gives a new one.
        ours = request.node.callspec.params["ddp_server"] == "ours"
        assert (client.session == first) == ours


async def test_dead_link_is_noticed_by_the_heartbeat_and_clearing_restores(
    ddp_server: str,
) -> None:
    """A dead link on the client's own link: its heartbeat notices (waiting); cleared, the next socket connects."""
    async with (
        asyncio.timeout(4 * TIMEOUT),
        DDPClient(ddp_server, heartbeat_interval=0.5, heartbeat_timeout=0.5) as client,
    ):
        await client.call("echo", 0)
        loop = asyncio.get_running_loop()
        start = loop.time()
        client.set_faults(Faults(dead_link=True))
        await client.wait_for_status(ConnectionStatus.WAITING)
        assert 1.0 - 0.05 <= loop.time() - start <= 1.5 + 0.5 * SCALE
        client.set_faults(NO_FAULTS)
        await client.wait_for_status(ConnectionStatus.CONNECTED)
        assert await client.call("add", 2, 2) == 4
