"""Fixtures of the proxy's tests: a ``DDPProxy`` in front of the real Meteor 1.9.3 server.

Owns ``proxy`` (a proxy on a free loopback port, upstream the session's
Meteor peer) and ``forwarding_meteor`` (a private Meteor peer with
``HTTP_FORWARDED_COUNT=1``, as an app behind one proxy is run); imports the
proxy library and the shared fixtures' types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from ddp_monitor.proxy import DDPProxy
from tests.peers.meteor_server import MeteorServer


@pytest_asyncio.fixture
async def proxy(meteor_server: MeteorServer) -> AsyncIterator[DDPProxy]:
    """A proxy on a free port in front of the real Meteor server."""
    async with DDPProxy(meteor_server.http_url, port=0) as running:
        yield running


@pytest.fixture
def forwarding_meteor(
    meteor_server_factory: Callable[..., MeteorServer],
) -> MeteorServer:
    """A private real Meteor server that trusts one proxy (``HTTP_FORWARDED_COUNT=1``)."""
    return meteor_server_factory(env={"HTTP_FORWARDED_COUNT": "1"})
