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
import os
import queue
import select
import signal
import socket
import threading
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
    same_but_counters,
    state_of,
)
from ddp_monitor.hosting.wire import Receiver, encode
from ddp_monitor.transport.server import (
    ConnectionChanged,
    ConnectionClosed,
    ConnectionHandle,
    ConnectionOpened,
    DDPServer,
)

__all__ = ["NICENESS", "Reporter", "main"]

#: How much lower than the window the server's process runs (Unix ``nice``).
NICENESS = 5


def main(pipe: socket.socket, sock: socket.socket, plan: HostingPlan) -> None:
    """Host ``plan`` on ``sock`` (bound by the window) until told to stop or the window goes."""
    # Ctrl-C in a terminal reaches the whole process group: the window decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # On a machine with fewer free cores than busy processes the scheduler
    # makes the window wait for the server's time slice; a busy hosted server
    # should slow itself, not the window showing it.
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    writer = _Writer(pipe)
    try:
        asyncio.run(_host(pipe, sock, plan, writer))
    finally:
        writer.close()


async def _host(
    pipe: socket.socket, sock: socket.socket, plan: HostingPlan, writer: _Writer
) -> None:
    server = _server(plan)
    try:
        await server.start(sock=sock)
    except OSError as exc:
        writer.send(Failed(f"Cannot host: {exc.strerror or exc}."))
        return
    reporter = Reporter(server, writer, plan.flush_seconds, plan.counters_seconds)
    writer.send(Serving(server.url))
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    receiver = Receiver(pipe)

    def read() -> None:
        for command in receiver.receive():
            if reporter.command(command):
                stopped.set()
        if receiver.ended:  # the window is gone
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
    """Sends reports from a thread of its own: a full socket blocks it, not the loop."""

    def __init__(self, pipe: socket.socket) -> None:
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
                # Blocking, from this thread: the loop's reader made the
                # socket non-blocking, so write with a deadline-free select.
                _send_all(self._pipe, encode(report))
            except OSError:  # the window is gone
                return


def _send_all(sock: socket.socket, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            select.select([], [sock], [])
            continue
        view = view[sent:]


class Reporter:
    """Connection news, batched; the window's commands, obeyed."""

    def __init__(
        self, server: DDPServer, writer: _Writer, every: float, counters: float
    ) -> None:
        self._server = server
        self._writer = writer
        self._every = every
        self._counters_every = counters
        self._counters_due = 0.0  # loop time the next counter-only news may go
        self._sent: dict[str, ConnectionState] = {}  # the state the window has
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
        """Send the collected news as one ``Batch`` (the timer calls this).

        A connection whose counters alone moved waits for the counters'
        cadence (``HostingPlan.counters_seconds``): with 1,000 subscribers
        every row's counters move with every change, and the panel need not
        repaint 1,000 rows 16 times a second to show them.
        """
        self._pending = None
        now = asyncio.get_running_loop().time()
        counters_now = now >= self._counters_due
        opened = tuple(ConnectionView.of(h) for h in self._opened.values())
        changed: list[tuple[str, ConnectionState]] = []
        waiting: dict[str, ConnectionHandle] = {}
        for key, handle in self._changed.items():
            state = state_of(handle)
            sent = self._sent.get(key)
            if sent == state:
                continue
            if sent is not None and not counters_now and same_but_counters(sent, state):
                waiting[key] = handle
                continue
            changed.append((key, state))
        closed = tuple(self._closed)
        self._opened, self._changed, self._closed = {}, waiting, []
        for view in opened:
            self._sent[view.id] = view.state
        for key, state in changed:
            self._sent[key] = state
        for key in closed:
            self._sent.pop(key, None)
        if counters_now and changed:
            self._counters_due = now + self._counters_every
        if waiting:
            self._schedule()
        frames = None
        if self._frames_due and self._watched is not None:
            watched = self._handle(self._watched)
            if watched is not None:
                frames = (watched.id, tuple(watched.recent_frames))
        self._frames_due = False
        if not (opened or changed or closed or frames):
            return
        self._shown.difference_update(closed)
        self._shown.update(view.id for view in opened)
        self._writer.send(Batch(opened, tuple(changed), closed, frames))
