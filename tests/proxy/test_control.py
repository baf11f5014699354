"""The control endpoint: the proxied connections as a live publication, and methods to fault and close them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.control import ControlEndpoint
from ddp_monitor.transport.client import DDPClient
from tests.proxy.proxy_helpers import until_row
from tests.timeouts import TIMEOUT

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]


@pytest_asyncio.fixture
async def control(proxy: DDPProxy) -> AsyncIterator[DDPClient]:
    """A DDP client connected to the proxy's control endpoint."""
    endpoint = ControlEndpoint(proxy, port=0)
    await endpoint.start()
    try:
        async with DDPClient(endpoint.url) as client:
            yield client
    finally:
        await endpoint.stop()


async def until(client: DDPClient, condition: Callable[[], object]) -> object:
    """``condition()`` once it is truthy, checked after each of the client's events."""
    async with asyncio.timeout(TIMEOUT):
        while not (value := condition()):
            changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            remove = client.add_listener(
                lambda _, changed=changed: changed.done() or changed.set_result(None)
            )
            try:
                await changed
            finally:
                remove()
        return value


async def until_doc(
    client: DDPClient, collection: str, test: Callable[[dict[str, object]], bool]
) -> dict[str, object]:
    """The first document of ``collection`` for which ``test`` holds."""
    found = await until(
        client,
        lambda: next(
            (d for d in client.store.collection(collection).values() if test(d)), None
        ),
    )
    assert isinstance(found, dict)
    return found


async def test_connections_publication_follows_the_proxied_clients(
    proxy: DDPProxy, control: DDPClient
) -> None:
    """Subscribing to `connections` shows each proxied client with its session, live, and removes it when it goes."""
    await control.subscribe("connections").wait_ready()
    async with DDPClient(proxy.url) as app_client:
        await app_client.call("echo", 1)
        doc = await until_doc(
            control, "connections", lambda d: d.get("session") == app_client.session
        )
        assert doc["ddpVersion"] == "1"
        assert doc["clientAddress"] == "127.0.0.1"
        await app_client.subscribe("items", 2).wait_ready()
        await until_doc(
            control,
            "connections",
            lambda d: [s["name"] for s in d["subscriptions"]] == ["items"],  # type: ignore[union-attr, index]
        )
    await until(control, lambda: not control.store.collection("connections"))


async def test_set_faults_over_ddp_then_clear(
    proxy: DDPProxy, control: DDPClient
) -> None:
    """proxy.setFaults merges milliseconds into a connection's faults, the row shows them, proxy.clearFaults removes them."""
    await control.subscribe("connections").wait_ready()
    async with DDPClient(proxy.url) as app_client:
        await app_client.call("echo", 1)
        connection = await until_row(proxy, lambda c: c.session == app_client.session)
        answer = await control.call(
            "proxy.setFaults", connection.id, {"toClient": {"latencyMs": 50}}
        )
        assert answer == {"toClient": {"latencyMs": 50.0}}
        answer = await control.call(
            "proxy.setFaults", connection.id, {"dropReady": ["x"]}
        )
        assert answer == {"toClient": {"latencyMs": 50.0}, "dropReady": ["x"]}
        await until_doc(control, "connections", lambda d: d["faults"] == answer)
        assert connection.faults.to_client.latency == 0.05
        await control.call("proxy.clearFaults", connection.id)
        await until_doc(control, "connections", lambda d: d["faults"] == {})


async def test_faults_for_all_reach_new_connections(
    proxy: DDPProxy, control: DDPClient
) -> None:
    """Faults set for all (id null) show in the `proxy` settings and a new connection starts with them."""
    await control.subscribe("proxy").wait_ready()
    await control.call("proxy.setFaults", None, {"holdDataMs": 1})
    await until_doc(
        control, "proxy", lambda d: d["faultsForAll"] == {"holdDataMs": 1.0}
    )
    async with DDPClient(proxy.url) as app_client:
        await app_client.call("echo", 1)
        connection = await until_row(proxy, lambda c: c.session == app_client.session)
        assert connection.faults.hold_data == 0.001
    await control.call("proxy.clearFaults", None)
    assert proxy.faults_for_all.to_wire() == {}


async def test_close_over_ddp_reconnects_the_client(
    proxy: DDPProxy, control: DDPClient
) -> None:
    """proxy.close closes the client's socket (it reconnects); proxy.frames returns its log."""
    async with DDPClient(proxy.url) as app_client:
        await app_client.call("echo", 1)
        connection = await until_row(proxy, lambda c: c.session == app_client.session)
        frames = await control.call("proxy.frames", connection.id, 5)
        assert len(frames) <= 5
        assert {f["dir"] for f in frames} <= {"toServer", "toClient"}
        await control.call("proxy.close", connection.id)
        await app_client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
        await app_client.wait_for_status(ConnectionStatus.CONNECTED, TIMEOUT)


async def test_control_errors_are_meteor_errors(control: DDPClient) -> None:
    """An unknown connection is `not-found`; faults it cannot mean are `bad-faults` with the reason."""
    with pytest.raises(MethodError) as missing:
        await control.call("proxy.close", "nope")
    assert missing.value.error == "not-found"
    with pytest.raises(MethodError) as bad:
        await control.call("proxy.setFaults", None, {"latency": 5})
    assert bad.value.error == "bad-faults"
    assert bad.value.reason == "unknown fault latency"
