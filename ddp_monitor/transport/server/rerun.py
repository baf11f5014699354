"""``Session._setUserId`` on a live socket: re-run every subscription, send the diff.

Owns the asyncio half of Meteor's ``_setUserId`` (``livedata_server.js``): the
core (``ddp.server.ServerSession.begin_set_user_id`` / ``end_set_user_id``)
holds the state; this runs the handlers one after another, named subs in
order and then the server's universal publications, as Meteor's fiber does,
waiting for each coroutine handler before the next. Imports ``ddp`` types,
``ports`` (the driver, as a protocol) and ``callbacks``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator

from ddp_monitor.ddp.server.subscription import ServerSubscription
from ddp_monitor.transport.server.callbacks import spawn
from ddp_monitor.transport.server.ports import SessionDriver

__all__ = ["set_user_id"]


def set_user_id(driver: SessionDriver, user_id: str | None) -> asyncio.Future[None]:
    """Change the session's user; the future is done once the diff is queued.

    Plain-function handlers run here and now, so with no coroutine
    publication the diff and the held-back ``ready`` are queued before this
    returns.

    Raises:
        TypeError: ``user_id`` is neither a string nor None.
    """
    subs = driver.session.begin_set_user_id(user_id)
    done: asyncio.Future[None] = driver.loop.create_future()
    _advance(_steps(driver, subs), done)
    return done


def _steps(
    driver: SessionDriver, subs: list[ServerSubscription]
) -> Iterator[Awaitable[None]]:
    session = driver.session
    for sub in subs:
        pending = driver.run_subscription(sub)
        if pending is not None:
            yield pending
    session.universal_subs_allowed()
    for handler in list(driver.universal_publications):
        universal = session.start_universal(handler)
        if universal is not None:
            pending = driver.run_subscription(universal)
            if pending is not None:
                yield pending
    session.end_set_user_id()
    driver.pump()


def _advance(steps: Iterator[Awaitable[None]], done: asyncio.Future[None]) -> None:
    pending = next(steps, None)
    if pending is None:
        done.set_result(None)
        return

    async def wait() -> None:
        await pending
        _advance(steps, done)

    spawn(wait())
