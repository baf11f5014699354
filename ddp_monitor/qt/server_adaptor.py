"""The Qt face of the hosted server: its process's reports as signals, hosting as actions.

Owns ``ServerAdaptor``; imports QtCore, ``hosting.launch`` and
``hosting.views`` (the server library itself loads only in the child),
``ddp.server.forwarding`` and ``demo.names`` (the demo's account). The hosted server runs in a process of its own
(``hosting``): with 1,000 subscribers its merge boxes, encoding and writes
stalled the window's loop for 150-330 ms when it shared it (issue 12), and
its objects lengthened the window's garbage collections. This adaptor binds
the port (so the URL is known at once and a taken port is reported in
words), starts the child, and turns what it reports into signals; the window
pays only for reading those reports.

The child batches the news every ``FLUSH_MS`` (a connection that opens and
closes inside one batch is never shown); a pipe notifier hands each batch on
as one ``connections_flushed`` emission, so 1,000 clients connecting are a
few model updates. The last frames of one connection (the one the panel
shows, ``watch``) come with every batch it changes in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import socket

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.demo import names as demo_names
from ddp_monitor.hosting.launch import (
    HostedProcess,
    bind,
    forwarded_count_from_environment,
)
from ddp_monitor.hosting.views import (
    CLOSED,
    Batch,
    CloseConnection,
    ConnectionState,
    ConnectionView,
    Failed,
    HostingPlan,
    SetForwarding,
    Stop,
    Watch,
)
from ddp_monitor.qt.client_adaptor import FLUSH_MS
from ddp_monitor.transport.wiretap import Frame

__all__ = ["ServerAdaptor", "forwarded_count_from_environment"]

#: How long a stopping server may take to close its connections and exit.
_STOP_SECONDS = 5.0


class ServerAdaptor(QObject):
    """Signals for the hosted server's connections; hosting actions for the panel.

    Starts with nothing hosted; ``host`` or ``start`` hosts the demo app (or
    an empty server); ``close()`` stops whatever runs.

    Signals:
        hosting_changed(str): the URL clients should use, "" once stopped.
        hosting_failed(str): why hosting could not start (or stopped), in words.
        connections_flushed(list, list, list): a batch, in this order of
            application: opened ``ConnectionView`` values, ``(id, state)`` of
            changed ones (``ConnectionState``), and ids of closed connections.
        frames_changed(str): new last frames of the watched connection.
        forwarding_changed(int, object): ``HTTP_FORWARDED_COUNT`` and the
            ``ForwardedRule`` the panel computes client addresses with.
    """

    hosting_changed = Signal(str)
    hosting_failed = Signal(str)
    connections_flushed = Signal(list, list, list)
    frames_changed = Signal(str)
    forwarding_changed = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._child: HostedProcess | None = None
        self._notifier: QSocketNotifier | None = None
        self._ended: asyncio.Future[None] | None = None
        self._url = ""
        self._demo = False
        self._host = "127.0.0.1"
        self._port = 0
        self._views: dict[str, ConnectionView] = {}  # shown, as they opened
        self._states: dict[str, ConnectionState] = {}  # their last state
        self._frames: tuple[str, tuple[Frame, ...]] | None = None
        self._watched: str | None = None
        self.forwarded_count = forwarded_count_from_environment()
        self.forwarded_rule = ForwardedRule.CURRENT

    # -- state -----------------------------------------------------------------
    @property
    def url(self) -> str:
        """The URL other clients should use ("" when not hosting)."""
        return self._url

    @property
    def demo_account(self) -> tuple[str, str] | None:
        """The demo's account (username, password) while it is the app hosted."""
        return demo_names.ACCOUNT if self._url and self._demo else None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def count(self) -> int:
        """Live connections already handed on in a batch."""
        return len(self._views)

    def shown(self) -> list[ConnectionView]:
        """The live connections already handed on in a batch, oldest first, as they are now."""
        states = self._states
        return [dataclasses.replace(v, state=states[k]) for k, v in self._views.items()]

    def connection(self, connection_id: str) -> ConnectionView | None:
        view = self._views.get(connection_id)
        if view is None:
            return None
        return dataclasses.replace(view, state=self._states[connection_id])

    def recent_frames(self, connection_id: str) -> tuple[Frame, ...]:
        """The last frames of ``connection_id`` if it is the watched one (else none yet)."""
        if self._frames is None or self._frames[0] != connection_id:
            return ()
        return self._frames[1]

    # -- actions -----------------------------------------------------------------
    def host_now(self, host: str, port: int, *, demo: bool = True) -> bool:
        """Bind ``host:port`` (0: a free port) and start serving it in the child.

        The URL is known on return and clients may connect at once (they wait
        in the listen queue until the child serves). A taken port (or any
        other socket error) becomes ``hosting_failed``; nothing is raised.
        Something must already be stopped (``stop``).
        """
        assert self._child is None, "stop() the hosted server first"
        host = host.strip() or "127.0.0.1"
        try:
            sock = bind(host, port)
        except OSError as exc:
            self.hosting_failed.emit(_why(exc, host, port))
            return False
        plan = HostingPlan(
            host,
            "demo" if demo else "empty",
            self.forwarded_count,
            self.forwarded_rule,
            FLUSH_MS / 1000,
        )
        with sock:  # the child has its own copy once started
            self._port = int(sock.getsockname()[1])
            self._child = HostedProcess(sock, plan)
        self._host, self._demo = host, demo
        shown = f"[{host}]" if ":" in host else host
        self._url = f"ws://{shown}:{self._port}/websocket"
        self._notifier = QSocketNotifier(
            self._child.fileno(), QSocketNotifier.Type.Read, self
        )
        self._notifier.activated.connect(self._read)
        if self._watched is not None:
            self._child.send(Watch(self._watched))
        self.hosting_changed.emit(self._url)
        return True

    async def start(self, host: str, port: int, *, demo: bool = True) -> bool:
        """Stop what is hosted, then ``host_now``: True when the port is ours."""
        await self.stop()
        return self.host_now(host, port, demo=demo)

    async def stop(self) -> None:
        """Stop hosting: every connection closes (their rows go), the port is freed."""
        child = self._child
        if child is None:
            return
        self._ended = asyncio.get_running_loop().create_future()
        child.send(Stop())
        try:
            async with asyncio.timeout(_STOP_SECONDS):
                while not child.ended:  # the child's last batch, then its exit
                    await asyncio.shield(self._ended)
        except TimeoutError:
            pass
        self._detach()
        child.finish(_STOP_SECONDS)
        self._drop_all()
        self.hosting_changed.emit("")

    async def close(self) -> None:
        """Stop the server (if any): the app is closing."""
        await self.stop()

    @Slot(str)
    def close_connection(self, connection_id: str) -> bool:
        """Close one client's connection, as the server's ``connection.close()``."""
        state = self._states.get(connection_id)
        if self._child is None or state is None or state[CLOSED]:
            return False
        self._child.send(CloseConnection(connection_id))
        return True

    def watch(self, connection_id: str | None) -> None:
        """Ask for the last frames of this connection (the one the panel shows)."""
        self._watched = connection_id
        if self._frames is not None and self._frames[0] != connection_id:
            self._frames = None
        if self._child is not None:
            self._child.send(Watch(connection_id))

    def set_forwarding(self, count: int, rule: ForwardedRule) -> None:
        """Proxies in front (``HTTP_FORWARDED_COUNT``) and which rule applies.

        New connections get their ``client_address`` by it; the panel shows
        every existing row as it would be computed behind that many proxies.
        """
        rule = ForwardedRule(rule)
        if (count, rule) == (self.forwarded_count, self.forwarded_rule):
            return
        self.forwarded_count, self.forwarded_rule = count, rule
        if self._child is not None:
            self._child.send(SetForwarding(count, rule))
        self.forwarding_changed.emit(count, rule)

    # -- the child's reports ---------------------------------------------------------
    @Slot()
    def _read(self) -> None:
        child = self._child
        if child is None:
            return
        for report in child.reports():
            if isinstance(report, Batch):
                self._apply(report)
            elif isinstance(report, Failed):
                self.hosting_failed.emit(report.why)
        if not child.ended:
            return
        if self._ended is not None:
            if not self._ended.done():
                self._ended.set_result(None)
            return
        # Ended without being asked: it failed to start, or died.
        self._detach()
        child.finish(_STOP_SECONDS)
        self._drop_all()
        if child.process.exitcode not in (0, None):
            self.hosting_failed.emit(
                f"The hosted server stopped (exit status {child.process.exitcode})."
            )
        self.hosting_changed.emit("")

    def _apply(self, batch: Batch) -> None:
        views, states = self._views, self._states
        for view in batch.opened:
            views[view.id] = view
            states[view.id] = view.state
        changed = [(k, state) for k, state in batch.changed if k in views]
        for key, state in changed:
            states[key] = state
        for key in batch.closed:
            views.pop(key, None)
            states.pop(key, None)
        if batch.opened or changed or batch.closed:
            self.connections_flushed.emit(
                list(batch.opened), changed, list(batch.closed)
            )
        if batch.frames is not None and batch.frames[0] == self._watched:
            self._frames = batch.frames
            self.frames_changed.emit(batch.frames[0])

    def _detach(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        self._child, self._ended = None, None
        self._url = ""

    def _drop_all(self) -> None:
        self._frames = None
        self._states = {}
        if self._views:
            closed, self._views = list(self._views), {}
            self.connections_flushed.emit([], [], closed)


def _why(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is taken: another program listens there. "
            "Pick another port, or 0 for a free one."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"Cannot host on {where}: this machine has no address {host}."
    if exc.errno == errno.EACCES:
        return f"Cannot host on {where}: ports below 1024 need administrator rights."
    if isinstance(exc, socket.gaierror):
        return f"Cannot host on {where}: {host} is not an address of this machine."
    return f"Cannot host on {where}: {exc.strerror or exc}."
