"""The Qt face of the hosted ``DDPServer``: its connections as batched signals, hosting as actions.

Owns ``ServerAdaptor``; imports QtCore, ``transport.server``,
``ddp.server.forwarding`` and (only when asked to host the demo) ``demo``. Under qasync the server runs
on the GUI thread, so this is just a listener on ``DDPServer.add_listener``
(docs/architecture.md section 3): no threads, no locks.

Batching, as ``ClientAdaptor`` does: opened, changed and closed connections
are collected and handed on every ``FLUSH_MS`` in one ``connections_flushed``
emission, so 1,000 clients connecting (or one chatty client changing its
counters on every frame) cost a few model updates, not thousands. A
connection that opens and closes inside one batch is never shown.
"""

from __future__ import annotations

import errno
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.qt.client_adaptor import FLUSH_MS
from ddp_monitor.transport.server import (
    ConnectionChanged,
    ConnectionClosed,
    ConnectionHandle,
    ConnectionOpened,
    DDPServer,
    Hook,
    forwarded_count_from_environment,
)

__all__ = ["ServerAdaptor", "forwarded_count_from_environment"]


class ServerAdaptor(QObject):
    """Signals for the hosted server's connections; hosting actions for the panel.

    Args:
        server: a server that is already running (the app's embedded demo), or
            None to start without one. ``close()`` stops whatever runs.

    Signals:
        hosting_changed(str): the URL clients should use, "" once stopped.
        hosting_failed(str): why hosting could not start, in words.
        connections_flushed(list, list, list): a batch, in this order of
            application: opened ``ConnectionHandle`` values, changed ones
            (counters or subscriptions moved), and ids of closed connections.
        forwarding_changed(int, object): ``HTTP_FORWARDED_COUNT`` and the
            ``ForwardedRule`` the panel computes client addresses with.
    """

    hosting_changed = Signal(str)
    hosting_failed = Signal(str)
    connections_flushed = Signal(list, list, list)
    forwarding_changed = Signal(int, object)

    def __init__(
        self, server: DDPServer | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._server: DDPServer | None = None
        self._hook: Hook | None = None
        self._opened: dict[str, ConnectionHandle] = {}
        self._changed: dict[str, ConnectionHandle] = {}
        self._closed: list[str] = []
        self._shown: set[str] = set()
        self.forwarded_count = (
            server.forwarded_count
            if server is not None
            else forwarded_count_from_environment()
        )
        self.forwarded_rule = (
            server.forwarded_rule if server is not None else ForwardedRule.CURRENT
        )
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        if server is not None:
            self._attach(server)

    # -- state -----------------------------------------------------------------
    @property
    def server(self) -> DDPServer | None:
        return self._server

    @property
    def url(self) -> str:
        """The URL other clients should use ("" when not hosting)."""
        return str(self._server.url) if self._server is not None else ""

    @property
    def host(self) -> str:
        return self._server.host if self._server is not None else "127.0.0.1"

    @property
    def port(self) -> int:
        return self._server.port if self._server is not None else 0

    def shown(self) -> list[ConnectionHandle]:
        """The live connections already handed on in a batch."""
        if self._server is None:
            return []
        return [c for c in self._server.connections if c.id in self._shown]

    def connection(self, connection_id: str) -> ConnectionHandle | None:
        if self._server is None:
            return None
        return next(
            (c for c in self._server.connections if c.id == connection_id), None
        )

    # -- actions -----------------------------------------------------------------
    async def start(self, host: str, port: int, *, demo: bool = True) -> bool:
        """Host a server on ``host:port`` (0: a free port), with the demo app or empty.

        Stops the one hosted before. A port that is taken (or any other socket
        error) becomes ``hosting_failed`` with the reason; nothing is raised.
        """
        await self.stop()
        server = self._make_server(host.strip() or "127.0.0.1", port, demo)
        try:
            await server.start()
        except OSError as exc:
            self.hosting_failed.emit(_why(exc, host, port))
            return False
        self._attach(server)
        return True

    async def stop(self) -> None:
        """Stop hosting: every connection closes (their rows go), the port is freed."""
        server, self._server = self._server, None
        if server is None:
            return
        await server.stop()
        # Connections close while the server stops; take their news, then detach.
        self.flush()
        if self._hook is not None:
            self._hook.stop()
            self._hook = None
        self._drop_all()
        self.hosting_changed.emit("")

    async def close(self) -> None:
        """Stop the server (if any) and the timer: the app is closing."""
        await self.stop()
        self._flush_timer.stop()

    @Slot(str)
    def close_connection(self, connection_id: str) -> bool:
        """Close one client's connection, as the server's ``connection.close()``."""
        handle = self.connection(connection_id)
        if handle is None or handle.closed:
            return False
        handle.close()
        return True

    def set_forwarding(self, count: int, rule: ForwardedRule) -> None:
        """Proxies in front (``HTTP_FORWARDED_COUNT``) and which rule applies.

        New connections get their ``client_address`` by it; the panel shows
        every existing row as it would be computed behind that many proxies.
        """
        rule = ForwardedRule(rule)
        if (count, rule) == (self.forwarded_count, self.forwarded_rule):
            return
        self.forwarded_count, self.forwarded_rule = count, rule
        if self._server is not None:
            self._server.forwarded_count = count
            self._server.forwarded_rule = rule
        self.forwarding_changed.emit(count, rule)

    # -- listening -----------------------------------------------------------------
    def _make_server(self, host: str, port: int, demo: bool) -> DDPServer:
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "forwarded_count": self.forwarded_count,
            "forwarded_rule": self.forwarded_rule,
        }
        if not demo:
            return DDPServer(**options)
        # Imported here, as app.desktop does: an empty server never loads the demo.
        from ddp_monitor.demo.server import create_demo_server

        return create_demo_server(**options)

    def _attach(self, server: DDPServer) -> None:
        self._server = server
        self._hook = server.add_listener(self._on_event)
        for handle in server.connections:
            self._opened[handle.id] = handle
        self._schedule()
        self.hosting_changed.emit(self.url)

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
            self._opened[key] = handle
        elif self._opened.pop(key, None) is None:
            self._changed.pop(key, None)
            if key in self._shown:
                self._closed.append(key)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _drop_all(self) -> None:
        self._opened.clear()
        self._changed.clear()
        if self._shown:
            closed, self._shown = sorted(self._shown), set()
            self.connections_flushed.emit([], [], closed)

    @Slot()
    def flush(self) -> None:
        """Hand the collected connection news on (the timer calls this)."""
        opened = list(self._opened.values())
        changed = list(self._changed.values())
        closed = self._closed
        self._opened, self._changed, self._closed = {}, {}, []
        if not (opened or changed or closed):
            return
        self._shown.difference_update(closed)
        self._shown.update(h.id for h in opened)
        self.connections_flushed.emit(opened, changed, closed)


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
    return f"Cannot host on {where}: {exc.strerror or exc}."
