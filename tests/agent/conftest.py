"""Fixtures of the agent's tests: the real Meteor 1.9.3 server with ddp-monitor's agent loaded.

Owns ``agent_meteor`` (one server for the module: the agent with ``SECRET``
and ``HTTP_FORWARDED_COUNT=1``, as an app behind one proxy is run) and
``watcher`` (a ``DDPClient`` subscribed to the agent's publication), and
re-exports ``qloop`` for the window's tests; imports tests.peers (the
launcher), tests.qt.harness and the client library.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from ddp_monitor.transport.client import DDPClient
from tests.agent.agent_helpers import AGENT, PUBLICATION, SECRET
from tests.peers.meteor_server import MeteorServer
from tests.qt.harness import qloop

__all__ = ["agent_meteor", "qloop", "start_agent_meteor", "watcher"]


def start_agent_meteor(env: dict[str, str] | None = None) -> MeteorServer:
    """A private Meteor server with the agent file loaded and ``env`` (nothing else)."""
    return MeteorServer(env=env or {}, args=["--agent", str(AGENT)]).start()


@pytest.fixture(scope="module")
def agent_meteor(meteor_installed: None) -> Iterator[MeteorServer]:
    """The real Meteor server with the agent on (secret ``SECRET``), trusting one proxy."""
    server = start_agent_meteor(
        {"DDP_MONITOR_AGENT_SECRET": SECRET, "HTTP_FORWARDED_COUNT": "1"}
    )
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def watcher(agent_meteor: MeteorServer) -> AsyncIterator[DDPClient]:
    """A DDP client watching the agent's connections, as the window's panel does."""
    client = DDPClient(agent_meteor.url)
    await client.start()
    try:
        await client.subscribe(PUBLICATION, SECRET).wait_ready()
        yield client
    finally:
        await client.close()
