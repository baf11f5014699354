"""Records a DDPClient's events with loop time, and awaits the one a test needs.

Owns ``Recorder``; imports the client's public API and tests.timeouts. Every
wait is bounded by ``TIMEOUT``; nothing polls or sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ddp_monitor.ddp.client.events import Event, StatusChanged
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.wiretap import Direction, Frame
from tests.timeouts import TIMEOUT

__all__ = ["Recorder"]


class Recorder:
    """Every event (and, with ``frames=True``, every frame) of one client."""

    def __init__(self, client: DDPClient, *, frames: bool = False) -> None:
        self.loop = asyncio.get_running_loop()
        self.events: list[tuple[float, Event]] = []
        self.frames: list[Frame] = []
        self._waiters: list[tuple[Callable[[Event], bool], asyncio.Future[Event]]] = []
        client.add_listener(self._on_event)
        if frames:
            client.wiretap.add(self.frames.append)

    def _on_event(self, event: Event) -> None:
        self.events.append((self.loop.time(), event))
        for waiter in list(self._waiters):
            predicate, future = waiter
            if not future.done() and predicate(event):
                future.set_result(event)
                self._waiters.remove(waiter)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for _, e in self.events if isinstance(e, kind)]

    def statuses(self) -> list[tuple[str, int]]:
        """(status, retry_count) of every StatusChanged, in order."""
        return [
            (str(e.status.status), e.status.retry_count) for e in self.of(StatusChanged)
        ]

    def sent_texts(self) -> list[str]:
        return [
            f.data
            for f in self.frames
            if f.direction is Direction.OUT and isinstance(f.data, str)
        ]

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        *,
        after: int = 0,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 (a default bound for every wait)
    ) -> Event:
        """The first event from index ``after`` on that matches (maybe one already seen)."""
        for _, event in self.events[after:]:
            if predicate(event):
                return event
        future: asyncio.Future[Event] = self.loop.create_future()
        self._waiters.append((predicate, future))
        async with asyncio.timeout(timeout):
            return await future

    async def wait_status(
        self,
        status: ConnectionStatus,
        retry_count: int | None = None,
        *,
        after: int = 0,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 (a default bound for every wait)
    ) -> StatusChanged:
        def matches(event: Event) -> bool:
            return (
                isinstance(event, StatusChanged)
                and event.status.status is status
                and (retry_count is None or event.status.retry_count == retry_count)
            )

        found = await self.wait_for(matches, after=after, timeout=timeout)
        assert isinstance(found, StatusChanged)
        return found
