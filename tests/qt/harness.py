"""The asyncio + Qt test harness of docs/architecture.md section 4, shared by tests/qt and tests/ui.

Owns the ``qloop`` fixture, ``next_emission``, ``until`` and ``demo_server``;
imports qasync, pytest-qt's ``qapp``, ``tests.timeouts`` and (lazily)
``ddp_monitor.demo.server``. Scenarios run as coroutines on a qasync loop that is
not marked as running, so pytest-asyncio tests and plain qtbot tests still work
after it (the three traps the architecture note lists).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication

from tests.timeouts import TIMEOUT

__all__ = ["demo_server", "next_emission", "qloop", "run", "until"]

T = TypeVar("T")


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop for one test; run scenarios with ``run(qloop, coro)``."""
    # Closing a test's window must not quit the application (and stop this loop).
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)  # not already_running: see the module docstring
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


def run(loop: asyncio.AbstractEventLoop, scenario: Coroutine[Any, Any, T]) -> T:
    """Run ``scenario`` on the qasync loop, bounded by ``TIMEOUT`` times 3."""
    return loop.run_until_complete(asyncio.wait_for(scenario, TIMEOUT * 3))


async def next_emission(
    signal: SignalInstance, within: float = TIMEOUT
) -> tuple[Any, ...]:
    """The arguments of the next emission of ``signal`` (replaces waitSignal in coroutines)."""
    fut: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not fut.done():
            fut.set_result(args)

    signal.connect(on_emit)
    try:
        async with asyncio.timeout(within):
            return await fut
    finally:
        signal.disconnect(on_emit)


async def until(
    signal: SignalInstance, condition: Callable[[], bool], within: float = TIMEOUT
) -> None:
    """Wait, emission by emission of ``signal``, until ``condition()`` holds."""
    async with asyncio.timeout(within):
        while not condition():
            await next_emission(signal, within)


@asynccontextmanager
async def demo_server(port: int = 0, **options: Any) -> AsyncIterator[Any]:
    """The embedded demo server on 127.0.0.1 (a free port unless one is given).

    ``options`` go to ``DDPServer`` (e.g. ``disconnect_grace_period``).
    """
    from ddp_monitor.demo.server import create_demo_server

    server = create_demo_server(host="127.0.0.1", port=port, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
