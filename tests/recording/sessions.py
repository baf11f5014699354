"""Sessions to record, and a server whose answers differ, shared by the replay tests.

Owns the recorded scenarios of tests/recording/test_replay.py, tests/cli/test_replay.py
and tests/ui/test_replay_dialog.py; imports the client, the recorder and the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.demo.names import ACCOUNT
from ddp_monitor.recording.recorder import Recorder, Recording, load
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.server import DDPServer, MethodInvocation, Subscription
from tests.timeouts import TIMEOUT

__all__ = ["Session", "changed_server", "login_session", "record", "scenario"]

Session = Callable[[DDPClient], Awaitable[None]]


async def record(url: str, path: Path, session: Session) -> Recording:
    """Run ``session`` on a client to ``url`` with a recorder attached; save, load."""
    client = DDPClient(url)
    recorder = Recorder(url)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        await session(client)
        recorder.save(path)
    return load(path)


async def scenario(client: DDPClient) -> None:
    """Two subscriptions (one stopped by the client), a result and an error."""
    handle = client.subscribe("items", 5)
    await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
    assert await asyncio.wait_for(client.call("add", 2, 3), TIMEOUT) == 5
    with pytest.raises(MethodError):
        await asyncio.wait_for(client.call("fail"), TIMEOUT)
    handle.stop()
    handle = client.subscribe("items", 3)
    await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
    assert await asyncio.wait_for(client.call("echo", {"a": [1, "b"]}), TIMEOUT)


def changed_server() -> DDPServer:
    """The demo's scenario, but ``add`` is off by one and ``echo`` is gone."""
    server = DDPServer(host="127.0.0.1", port=0)

    def items(sub: Subscription, n: int = 0, *_: Any) -> None:
        for k in range(n):
            sub.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
        sub.ready()

    def fail(this: MethodInvocation) -> None:
        raise MethodError("boom", "Boom: requested failure", {"scenario": "fail"})

    server.methods({"add": lambda this, a, b: a + b + 1, "fail": fail})
    server.publish("items", items)
    return server


async def login_session(client: DDPClient) -> None:
    await asyncio.wait_for(Accounts.of(client).login_with_password(*ACCOUNT), TIMEOUT)
    assert await asyncio.wait_for(client.call("add", 1, 1), TIMEOUT) == 2
