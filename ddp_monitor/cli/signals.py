"""Ending a headless command cleanly on SIGINT / SIGTERM.

Owns ``stop_on_signals``; imports asyncio and signal only. Used by ``watch``
and ``serve``: Ctrl-C ends them with status 0 after closing their sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

__all__ = ["stop_on_signals"]


def stop_on_signals() -> asyncio.Event:
    """An event the running loop sets on SIGINT or SIGTERM.

    Where the loop cannot take signal handlers (Windows), Ctrl-C stays a
    ``KeyboardInterrupt``, which the command line also turns into status 0.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
