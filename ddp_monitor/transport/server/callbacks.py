"""Running the application's callbacks: hooks that may be coroutines and may fail.

Owns ``spawn`` (keep a coroutine running to its end) and ``call_hook`` (call a
user's callback, run the coroutine it returns, log what it raises); imports
the standard library only. ``onConnection``, ``onClose`` and ``onStop``
callbacks all go through ``call_hook``, so each failure is logged the way
Meteor logs it ("Exception in onClose callback") and never reaches the
socket that triggered it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["call_hook", "spawn"]

log = logging.getLogger(__name__)

# asyncio keeps only weak references to tasks: these are the strong ones.
_background: set[asyncio.Future[Any]] = set()


def spawn(pending: Awaitable[Any]) -> None:
    """Run a coroutine (or future) to its end, holding a reference meanwhile."""
    future = asyncio.ensure_future(pending)
    _background.add(future)
    future.add_done_callback(_background.discard)


def call_hook(fn: Callable[..., Any], *args: Any, name: str) -> None:
    """Call ``fn(*args)``; await what it returns in the background; log its error.

    ``name`` is Meteor's word for the hook (``onClose``, ``onConnection``,
    ``onStop``), as in the log line.
    """
    try:
        result = fn(*args)
        if inspect.isawaitable(result):
            spawn(result)
    except Exception:
        log.exception("Exception in %s callback", name)
