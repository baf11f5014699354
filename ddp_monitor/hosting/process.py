"""The hosted server's own process: a ``DDPServer`` on its own loop, reporting to the window by pipe.

Owns ``main`` (the child process's entry point) and ``Reporter`` (connection
news batched every ``HostingPlan.flush_seconds``, as one ``Batch``); imports
asyncio, ``transport.server``, ``demo.server`` (for the demo app) and
``hosting.views``; never Qt. The window's process pays only for reading the
batches: the server's own work (1,000 subscribers' merge boxes, encoding,
writing) and its objects (which its collector would otherwise scan) live here.

Batching follows the old in-window adaptor: a connection that opens and
closes inside one batch is never shown; a changed one is sent once per batch
with its state read at flush time. Batches go out through a writer thread, so
a window busy for a moment (sorting a million documents) never blocks this
loop on a full pipe.
"""

from __future__ import annotations

import asyncio
import queue
import signal
import socket
import threading
from multiprocessing.connection import Connection
from typing import Any

from ddp_monitor.hosting.views import (
    Batch,
    CloseConnection,
    Command,
    ConnectionState,
    ConnectionView,
    Failed,
    HostingPlan,
    Report,
    Serving,
    SetForwarding,
    Stop,
    Watch,
)
from ddp_monitor.transport.server import (
    ConnectionChanged,
    ConnectionClosed,
    ConnectionHandle,
    ConnectionOpened,
    DDPServer,
)

__all__ = ["Reporter", "main"]


def main(pipe: Connection, sock: socket.socket, plan: HostingPlan) -> None:
    """Host ``plan`` on ``sock`` (bound by the window) until told to stop or the window goes."""
    # Ctrl-C in a terminal reaches the whole process group: the window decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    writer = _Writer(pipe)
    try:
        asyncio.run(_host(pipe, sock, plan, writer))
    finally:
        writer.close()


async def _host(
    pipe: Connection, sock: socket.socket, plan: HostingPlan, writer: _Writer
) -> None:
    server = _server(plan)
    try:
        await server.start(sock=sock)
    except OSError as exc:
        writer.send(Failed(f"Cannot host: {exc.strerror or exc}."))
        return
    reporter = Reporter(server, writer, plan.flush_seconds)
    writer.send(Serving(server.url))
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()

    def read() -> None:
        try:
            while pipe.poll():
                if reporter.command(pipe.recv()):
                    stopped.set()
        except (EOFError, OSError):  # the window is gone
            stopped.set()

    loop.add_reader(pipe.fileno(), read)
    try:
        await stopped.wait()
    finally:
        loop.remove_reader(pipe.fileno())
        await server.stop()
        reporter.flush()
        reporter.detach()


def _server(plan: HostingPlan) -> DDPServer:
    options: dict[str, Any] = {
        "host": plan.host,
        "forwarded_count": plan.forwarded_count,
        "forwarded_rule": plan.forwarded_rule,
    }
    server = DDPServer(**options)
    if plan.app == "demo":
        from ddp_monitor.demo.server import install_demo

        install_demo(server)
    return server


class _Writer:
    """Sends reports from a thread of its own: a full pipe blocks it, not the loop."""

    def __init__(self, pipe: Connection) -> None:
        self._pipe = pipe
        self._queue: queue.SimpleQueue[Report | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="reports", daemon=True)
        self._thread.start()

    def send(self, report: Report) -> None:
        self._queue.put(report)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while (report := self._queue.get()) is not None:
            try:
                self._pipe.send(report)
            except OSError:  # the window is gone
                return


class Reporter:
    """Connection news, batched; the window's commands, obeyed."""

    def __init__(self, server: DDPServer, writer: _Writer, every: float) -> None:
        self._server = server
        self._writer = writer
        self._every = every
        self._opened: dict[str, ConnectionHandle] = {}
        self._changed: dict[str, ConnectionHandle] = {}
        self._closed: list[str] = []
        self._shown: set[str] = set()
        self._live: dict[str, ConnectionHandle] = {}
        self._watched: str | None = None
        self._frames_due = False
        self._pending: asyncio.TimerHandle | None = None
        self._hook = server.add_listener(self._on_event)

    def detach(self) -> None:
        self._hook.stop()
        if self._pending is not None:
            self._pending.cancel()

    def command(self, command: Command) -> bool:
        """Do what the window asks; True for ``Stop``."""
        if isinstance(command, Stop):
            return True
        if isinstance(command, CloseConnection):
            handle = self._handle(command.connection_id)
            if handle is not None and not handle.closed:
                handle.close()
        elif isinstance(command, SetForwarding):
            self._server.forwarded_count = command.count
            self._server.forwarded_rule = command.rule
        elif isinstance(command, Watch):
            self._watched = command.connection_id
            self._frames_due = command.connection_id is not None
            self._schedule()
        return False

    def _handle(self, connection_id: str) -> ConnectionHandle | None:
        return self._live.get(connection_id)

    def _on_event(
        self, event: ConnectionOpened | ConnectionClosed | ConnectionChanged
    ) -> None:
        handle = event.connection
        key = handle.id
        if isinstance(event, ConnectionChanged):
            if key in self._shown:
                self._changed[key] = handle
            # An unshown one is still in _opened and will be read fresh.
        elif isinstance(event, ConnectionOpened):
            self._opened[key] = self._live[key] = handle
        elif self._live.pop(key, None) and self._opened.pop(key, None) is None:
            self._changed.pop(key, None)
            if key in self._shown:
                self._closed.append(key)
        if key == self._watched:
            self._frames_due = True
        self._schedule()

    def _schedule(self) -> None:
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._every, self.flush)

    def flush(self) -> None:
        """Send the collected news as one ``Batch`` (the timer calls this)."""
        self._pending = None
        opened = tuple(ConnectionView.of(h) for h in self._opened.values())
        changed = tuple(
            (key, ConnectionState.of(h)) for key, h in self._changed.items()
        )
        closed = tuple(self._closed)
        self._opened, self._changed, self._closed = {}, {}, []
        frames = None
        if self._frames_due and self._watched is not None:
            handle = self._handle(self._watched)
            if handle is not None:
                frames = (handle.id, tuple(handle.recent_frames))
        self._frames_due = False
        if not (opened or changed or closed or frames):
            return
        self._shown.difference_update(closed)
        self._shown.update(view.id for view in opened)
        self._writer.send(Batch(opened, changed, closed, frames))
