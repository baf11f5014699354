"""The proxy records each client connection (issue 16): the same story the client itself records.

Differential: one real ``DDPClient`` records its own session (its core's
events) while the proxy in front of the app records the same connection from
its frames only; the documents, calls and subscriptions must match.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    StatusChanged,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.proxy import ProxyConnectionClosed
from ddp_monitor.recording.recorder import Recorder, Recording, load
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT

#: What both sides know the same way (status and handshake differ by nature:
#: the proxy sees one socket, the client its whole life).
_SHARED = (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    DocumentMoved,
    MethodResultReceived,
    MethodCompleted,
    SubscriptionRequested,
    SubscriptionReady,
    SubscriptionStopped,
)


def _story(items: list[Any]) -> list[Any]:
    return [item for item in items if isinstance(item, _SHARED)]


def _the_one_recording(folder: Path) -> Recording:
    (path,) = folder.glob("*.ddprec")
    return load(path)


@pytest.mark.asyncio
async def test_the_proxys_recording_of_a_connection_matches_the_clients_own(
    ddp_server: str, tmp_path: Path
) -> None:
    async with DDPProxy(ddp_server, port=0, record_to=tmp_path) as proxy:
        closed = asyncio.get_running_loop().create_future()
        proxy.add_listener(
            lambda e: (
                closed.done() or closed.set_result(None)
                if isinstance(e, ProxyConnectionClosed)
                else None
            )
        )
        client = DDPClient(proxy.url)
        own = Recorder(proxy.url)
        own.attach(client)
        async with asyncio.timeout(TIMEOUT):
            await client.start()
            await client.wait_for_status(ConnectionStatus.CONNECTED)
            first = client.subscribe("items", 4)
            await first.wait_ready()
            assert await client.call("add", 1, 2) == 3
            with pytest.raises(MethodError):
                await client.call("fail")
            first.stop()
            second = client.subscribe("items", 2)
            await second.wait_ready()
            await client.close()
            await closed

    recording = _the_one_recording(tmp_path)
    wire = [r.item for r in recording.items]
    client_side = [item for _, item in own.items()]
    assert _story(wire) == _story(client_side)
    # items(4), then after the stop items(2): the server removes four, adds two.
    assert sum(isinstance(e, DocumentAdded) for e in wire) == 6
    assert sum(isinstance(e, DocumentRemoved) for e in wire) == 4
    calls = [e for e in wire if isinstance(e, MethodCalled)]
    assert [(c.name, c.params) for c in calls] == [("add", [1, 2]), ("fail", [])]
    statuses = [e.status.status for e in wire if isinstance(e, StatusChanged)]
    assert statuses == ["connected", "failed"]  # that socket, opened and over
    assert recording.header.extra["proxied_client"]["address"] == "127.0.0.1"
