"""What ``DDPClient`` hands back to its users: call and subscription handles.

Owns ``PendingMethod``, ``SubscriptionHandle`` and the ``SubscriptionEnded`` error;
imports asyncio and ``ddp`` value types only.
The handles hold futures that ``DDPClient`` settles from core events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from ddp_monitor.ddp.errors import DDPError, SubscriptionError

__all__ = ["PendingMethod", "ResultCallback", "SubscriptionEnded", "SubscriptionHandle"]

#: ``on_result_received(error, result)``: Meteor's ``onResultReceived(err, res)``.
ResultCallback = Callable[[DDPError | None, Any], None]


class SubscriptionEnded(DDPError):
    """The subscription stopped before it became ready, without an error."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    # Nobody has to await a handle: read the outcome so asyncio never logs
    # "Future exception was never retrieved" for a call made fire-and-forget.
    if not future.cancelled():
        future.exception()


class PendingMethod:
    """A method call on its way; ``await`` it (or ``.result``) for the server's answer.

    Attributes:
        id: the DDP method id ("1", "2", ...; never reused on this connection).
        name: the method name.
        stub_value: what the client stub returned (None without a stub).
        result: settles with the result once both ``result`` and ``updated``
            arrived; raises ``MethodError`` for a Meteor.Error and
            ``ConnectionLost`` when the client closes first.
    """

    __slots__ = ("id", "name", "on_result_received", "result", "stub_value")

    def __init__(
        self,
        id_: str,
        name: str,
        stub_value: Any,
        result: asyncio.Future[Any],
        on_result_received: ResultCallback | None,
    ) -> None:
        self.id = id_
        self.name = name
        self.stub_value = stub_value
        self.result = result
        self.on_result_received = on_result_received
        result.add_done_callback(_retrieve)

    def __await__(self) -> Generator[Any, None, Any]:
        return self.result.__await__()

    def __repr__(self) -> str:
        return f"<PendingMethod {self.id} {self.name!r} done={self.result.done()}>"


class SubscriptionHandle:
    """A live subscription: what Meteor's ``subscribe`` returns, its subscription handle.

    ``await handle.ready`` (or ``await handle.wait_ready(timeout)``) returns once
    the server sent ``ready``; it raises ``SubscriptionError`` when ``nosub``
    carried an error first, ``SubscriptionEnded`` when the subscription ended
    without one, and ``ConnectionLost`` when the client closed. After a
    reconnect the subscription is renewed by the core and ``ready`` stays done,
    as Meteor does not fire ``onReady`` twice.

    Attributes:
        id: the DDP subscription id (17 characters, as Random.id()).
        name, params: as given to ``subscribe``.
        ready: a future, done when the subscription is ready.
        error: the ``nosub`` error, if one ended the subscription.
        stopped: True once it ended (``stop()``, ``nosub`` or close).
    """

    __slots__ = ("_stop", "error", "id", "name", "params", "ready", "stopped")

    def __init__(
        self,
        id_: str,
        name: str,
        params: list[Any],
        ready: asyncio.Future[None],
        stop: Callable[[SubscriptionHandle], None],
    ) -> None:
        self.id = id_
        self.name = name
        self.params = params
        self.ready = ready
        self.error: SubscriptionError | None = None
        self.stopped = False
        self._stop = stop
        ready.add_done_callback(_retrieve)

    async def wait_ready(self) -> None:
        """Wait until ready (bound it with ``asyncio.timeout``)."""
        await asyncio.shield(self.ready)

    def stop(self) -> None:
        """Unsubscribe (Meteor's ``handle.stop()``); idempotent."""
        if not self.stopped:
            self._stop(self)

    def ended(self, error: BaseException | None) -> None:
        """The client's report that the subscription is over (not for users)."""
        self.stopped = True
        if isinstance(error, SubscriptionError):
            self.error = error
        if not self.ready.done():
            self.ready.set_exception(
                error
                or SubscriptionEnded(f"subscription {self.name!r} ended before ready")
            )

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "ready" if self.ready.done() else "new"
        return f"<SubscriptionHandle {self.id} {self.name!r} {state}>"
