"""The ``servers`` fixture of the differential tests: Meteor's URL and ours, one test each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from tests.peers.meteor_server import MeteorServer
from tests.wire import websocket_url


@pytest_asyncio.fixture
async def servers(
    meteor_server: MeteorServer, our_server: Any
) -> AsyncIterator[dict[str, str]]:
    """Raw-WebSocket URLs of the reference (Meteor) and of ours."""
    yield {"meteor": meteor_server.url, "ours": websocket_url(str(our_server.url))}
