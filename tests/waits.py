"""Waiting for a state that no event announces, always under a timeout.

Owns ``eventually``; imports tests.timeouts. For what a test can await (a
future, a signal, a frame), await that instead: this is for server-side counts
(open sockets, background tasks) that change in the same loop turn a socket's
handler ends, with no event to listen for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.timeouts import TIMEOUT

__all__ = ["eventually"]


async def eventually(condition: Callable[[], bool]) -> None:
    """Yield to the loop until ``condition()`` holds (bounded by TIMEOUT)."""
    async with asyncio.timeout(TIMEOUT):
        while not condition():  # noqa: ASYNC110 (nothing to await, see above)
            await asyncio.sleep(0.005)
