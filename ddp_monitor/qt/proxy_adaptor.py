"""``ProxyAdaptor``: the Server panel's proxy mode, as signals and actions.

Owns running a ``DDPProxy`` from the window (with its control endpoint, so a
script can steer the proxy the window shows) or attaching to a headless one
through its control endpoint. Imports QtCore, ``qt.row_source`` (the
batching and actions every row source shares), ``proxy`` (the proxy, its
rows, its control endpoint) and ``transport.client`` (the DDP client that
attaches to a control endpoint).

Both sources give the same rows: the control endpoint's ``connections``
documents (``proxy.rows.row``) keyed by connection id, so the model and the
panel never know whether the proxy runs in this process or on another
machine. The actions are the control endpoint's methods; a local proxy
answers them in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from ddp_monitor.ddp.faults import NO_FAULTS, from_wire
from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.control import ControlEndpoint
from ddp_monitor.proxy.rows import frames, row
from ddp_monitor.qt.row_source import FLUSH_MS, Row, RowSource
from ddp_monitor.transport.client import DDPClient

__all__ = ["FLUSH_MS", "PROXY_RING", "ProxyAdaptor"]

#: Items a proxied connection keeps while Record is on (~3 MB at 300 bytes a frame).
PROXY_RING = 10_000


class ProxyAdaptor(RowSource):
    """Runs or attaches to a proxy; batches its rows for ``ProxyConnectionModel``.

    Signals: those of ``RowSource``.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proxy: DDPProxy | None = None
        self.control: ControlEndpoint | None = None
        self.remote: DDPClient | None = None
        self.recording = False
        self._unlisten: Callable[[], None] | None = None

    @property
    def active(self) -> bool:
        return self.proxy is not None or self.remote is not None

    @property
    def url(self) -> str:
        """Where clients connect ("" when not proxying, or attached)."""
        return self.proxy.url if self.proxy is not None else ""

    # -- starting and stopping -------------------------------------------------------

    async def start(
        self, upstream: str, port: int, control_port: int | None = 0
    ) -> bool:
        """Proxy ``upstream`` on ``port`` (and serve the control endpoint); False on failure."""
        await self.stop()
        proxy = DDPProxy(
            upstream, port=port, record_ring=PROXY_RING if self.recording else 0
        )
        try:
            await proxy.start()
            if control_port is not None:
                self.control = ControlEndpoint(proxy, port=control_port)
                await self.control.start()
        except (OSError, ValueError) as exc:
            await proxy.stop()
            self.control = None
            self.proxying_failed.emit(
                f"cannot proxy {upstream} on port {port}: {getattr(exc, 'strerror', None) or exc}"
            )
            return False
        self.proxy = proxy
        self._unlisten = proxy.add_listener(self._mark)
        control = f"; control {self.control.url}" if self.control is not None else ""
        self.proxying_changed.emit(
            f"Proxying {proxy.upstream_http} at {proxy.url}{control}"
        )
        return True

    async def attach(self, control_url: str) -> bool:
        """Show a headless proxy's connections through its control endpoint."""
        await self.stop()
        client = DDPClient(control_url)
        try:
            async with asyncio.timeout(10):
                await client.start()
                await client.subscribe("connections").wait_ready()
        except Exception as exc:
            await client.close()
            self.proxying_failed.emit(
                f"cannot attach to {control_url}: {exc or type(exc).__name__}"
            )
            return False
        self.remote = client
        self._unlisten = client.add_listener(self._mark)
        self._mark()
        self.proxying_changed.emit(f"Attached to the proxy controlled at {client.url}")
        return True

    async def stop(self) -> None:
        """Stop the proxy (or detach); every row goes."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        proxy, control, remote = self.proxy, self.control, self.remote
        self.proxy = self.control = self.remote = None
        if control is not None:
            await control.stop()
        if proxy is not None:
            await proxy.stop()
        if remote is not None:
            await remote.close()
        self._forget_rows()
        if proxy is not None or remote is not None:
            self.proxying_changed.emit("")

    # -- actions (the control endpoint's methods) --------------------------------------

    async def call(self, method: str, *params: Any) -> Any:
        """Call a control method (``proxy.setFaults``, ``proxy.close``, ...)."""
        if self.remote is not None:
            return await self.remote.call(method, *params)
        proxy = self.proxy
        if proxy is None:
            raise RuntimeError("not proxying")
        return _LOCAL[method](proxy, *params)

    # -- recordings ---------------------------------------------------------------------

    def set_recording(self, on: bool) -> None:
        """Keep a recording of each connection opened from now on (the last
        ``PROXY_RING`` items), to save with ``save_recording``; local only."""
        self.recording = on
        if self.proxy is not None:
            self.proxy.record_ring = PROXY_RING if on else 0

    def save_recording(self, connection_id: str, path: Path) -> int:
        """Write a proxied connection's recording; returns how many items.

        Raises:
            LookupError: the connection is gone, or was opened while recording
                was off, or the proxy is attached (its process has the frames:
                run it with ``--record DIR``). ``OSError`` when writing fails.
        """
        if self.proxy is None:
            raise LookupError(
                "an attached proxy keeps its frames in its own process: "
                "start it with --record DIR to write its recordings"
            )
        try:
            recorder = self.proxy.connection(connection_id).recorder
        except KeyError:
            raise LookupError("that connection is gone") from None
        if recorder is None:
            raise LookupError(
                "that connection opened while Record was off: "
                "switch it on, then reconnect the client"
            )
        return recorder.recorder.save(path)

    # -- rows ---------------------------------------------------------------------------

    def rows(self) -> dict[str, Row]:
        """Every row now, by connection id."""
        if self.proxy is not None:
            return {c.id: row(c) for c in self.proxy.connections}
        if self.remote is not None:
            docs = self.remote.store.collection("connections")
            return {
                ident: {k: v for k, v in doc.items() if k != "_id"}
                for ident, doc in docs.items()
            }
        return {}


def _set_faults(proxy: DDPProxy, connection_id: str | None, wire: Any) -> Any:
    base = (
        proxy.faults_for_all
        if connection_id is None
        else proxy.connection(connection_id).faults
    )
    proxy.set_faults(connection_id, from_wire(wire, base=base))
    return wire


def _clear_faults(proxy: DDPProxy, connection_id: str | None = None) -> None:
    proxy.set_faults(connection_id, NO_FAULTS)


#: A local proxy's answers to the control endpoint's methods (same names).
_LOCAL: dict[str, Callable[..., Any]] = {
    "proxy.setFaults": _set_faults,
    "proxy.clearFaults": _clear_faults,
    "proxy.close": DDPProxy.close,
    "proxy.closeUpstream": DDPProxy.close_upstream,
    "proxy.reset": DDPProxy.reset,
    "proxy.frames": lambda proxy, ident, limit=None: frames(
        proxy.connection(ident), limit
    ),
}
