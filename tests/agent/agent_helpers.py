"""The agent's names and waiting on its rows, for the agent's tests.

Owns where the agent's file is, the test secret, the publication's names
and ``until_row`` (the first row a watching ``DDPClient`` holds that passes
a test, awaited on the client's events, never polled); imports the client
library and tests.timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ddp_monitor.ddp.client.events import Event
from ddp_monitor.transport.client import DDPClient
from tests.timeouts import TIMEOUT

__all__ = ["AGENT", "COLLECTION", "PUBLICATION", "SECRET", "rows", "until_row"]

AGENT = Path(__file__).resolve().parents[2] / "packaging" / "meteor-agent" / "agent.js"
SECRET = "the agent's test secret, 32 chars"
PUBLICATION = COLLECTION = "ddpMonitorAgent.connections"

Row = dict[str, Any]


def rows(watcher: DDPClient) -> dict[str, Row]:
    """The agent's rows the watcher holds now, by connection id (each with its ``_id``)."""
    docs = watcher.store.collection(COLLECTION)
    return {ident: {**doc, "_id": ident} for ident, doc in docs.items()}


async def until_row(watcher: DDPClient, test: Callable[[Row], bool]) -> Row:
    """The first row (now or later) for which ``test`` holds."""
    loop = asyncio.get_running_loop()
    found: asyncio.Future[Row] = loop.create_future()

    def look(_: Event | None = None) -> None:
        for row in rows(watcher).values():
            if not found.done() and test(row):
                found.set_result(row)

    look()
    remove = watcher.add_listener(look)
    try:
        async with asyncio.timeout(TIMEOUT):
            return await found
    finally:
        remove()
