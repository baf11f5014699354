"""DDP clients from npm (``ddp``, ``simpleddp``, ``sockjs-client`` over websocket and xhr-polling) through the proxy to real Meteor."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddp_monitor.proxy import DDPProxy
from tests.test_interop_npm import CLIENTS, check_plan, run_client

pytestmark = [pytest.mark.npm, pytest.mark.meteor, pytest.mark.asyncio]


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_npm_client_through_the_proxy(
    npm_clients: Path, proxy: DDPProxy, client: str
) -> None:
    """A third-party client through the proxy gets the app's results, errors and documents, as it does directly."""
    check_plan(await run_client(npm_clients, client, proxy.url))
