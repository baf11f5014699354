"""The proxy's control endpoint: a DDP server whose data are the proxied connections.

Owns ``ControlEndpoint``: a ``transport.server.DDPServer`` with one
publication and a few methods, so any DDP client (a Meteor app's end-to-end
test with ``DDP.connect``, ``ddp-monitor watch``, the window attached to a
proxy on another machine) can see the connections and fault them. Imports
``ddp`` (faults' wire form, errors), ``transport.server`` and the siblings
``proxy`` and ``rows``.

| name | kind | what |
|---|---|---|
| ``connections`` | publication | collection ``connections``: one document per proxied connection (``rows.row``), live |
| ``proxy`` | publication | collection ``proxy``: one document ``settings`` (upstream, port, ``faultsForAll``) |
| ``proxy.setFaults(id, faults)`` | method | merge ``faults`` (wire form, ``ddp.faults``) into connection ``id``'s, or all's with ``null`` |
| ``proxy.clearFaults(id)`` | method | no faults on ``id`` (``null``: all, and every connection) |
| ``proxy.close(id)`` | method | close the client's socket (its Meteor client reconnects) |
| ``proxy.closeUpstream(id)`` | method | the app drops the session; the client's socket stays |
| ``proxy.reset(id)`` | method | reset the client's TCP connection |
| ``proxy.frames(id, limit?)`` | method | the connection's recent frames (``rows.frames``) |

Errors are Meteor.Errors: ``not-found`` for an unknown connection,
``bad-faults`` (with the reason) for faults it cannot mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, from_wire
from ddp_monitor.proxy.proxy import (
    DDPProxy,
    ProxyConnectionChanged,
    ProxyConnectionClosed,
    ProxyConnectionOpened,
    ProxyEvent,
)
from ddp_monitor.proxy.relay import ProxiedConnection
from ddp_monitor.proxy.rows import frames, row
from ddp_monitor.transport.server import DDPServer, MethodInvocation, Subscription

__all__ = ["ControlEndpoint"]


class ControlEndpoint:
    """Serves ``proxy``'s connections and fault controls over DDP on ``host:port``."""

    def __init__(
        self, proxy: DDPProxy, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.proxy = proxy
        self.server = DDPServer(host=host, port=port)
        self._settings_subs: list[Subscription] = []
        self.server.publish("connections", self._publish_connections)
        self.server.publish("proxy", self._publish_settings)
        self.server.methods(
            {
                "proxy.setFaults": self._set_faults,
                "proxy.clearFaults": self._clear_faults,
                "proxy.close": self._act(DDPProxy.close),
                "proxy.closeUpstream": self._act(DDPProxy.close_upstream),
                "proxy.reset": self._act(DDPProxy.reset),
                "proxy.frames": self._frames,
            }
        )

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    # -- publications ------------------------------------------------------------------

    def _publish_connections(self, sub: Subscription) -> None:
        for connection in self.proxy.connections:
            sub.added("connections", connection.id, row(connection))

        def follow(event: ProxyEvent) -> None:
            if not sub.active:
                return
            ident = event.connection.id
            if isinstance(event, ProxyConnectionOpened):
                sub.added("connections", ident, row(event.connection))
            elif isinstance(event, ProxyConnectionChanged):
                sub.changed("connections", ident, row(event.connection))
            elif isinstance(event, ProxyConnectionClosed):
                sub.removed("connections", ident)

        sub.on_stop(self.proxy.add_listener(follow))
        sub.ready()

    def _publish_settings(self, sub: Subscription) -> None:
        sub.added("proxy", "settings", self._settings())
        self._settings_subs.append(sub)
        sub.on_stop(lambda: self._settings_subs.remove(sub))
        sub.ready()

    def _settings(self) -> dict[str, Any]:
        proxy = self.proxy
        return {
            "upstream": proxy.upstream_http,
            "url": proxy.url,
            "faultsForAll": proxy.faults_for_all.to_wire(),
        }

    def _settings_changed(self) -> None:
        for sub in list(self._settings_subs):
            if sub.active:
                sub.changed("proxy", "settings", self._settings())

    # -- methods ------------------------------------------------------------------------

    def _connection(self, connection_id: Any) -> ProxiedConnection:
        if not isinstance(connection_id, str):
            raise MethodError("bad-request", "a connection id (a string) is expected")
        try:
            return self.proxy.connection(connection_id)
        except KeyError:
            raise MethodError(
                "not-found", f"no proxied connection {connection_id}"
            ) from None

    def _current(self, connection_id: Any) -> Faults:
        if connection_id is None:
            return self.proxy.faults_for_all
        return self._connection(connection_id).faults

    def _set_faults(
        self, this: MethodInvocation, connection_id: Any, faults: Any
    ) -> dict[str, Any]:
        try:
            merged = from_wire(faults, base=self._current(connection_id))
        except ValueError as exc:
            raise MethodError("bad-faults", str(exc)) from None
        self.proxy.set_faults(connection_id, merged)
        self._settings_changed()
        return self._current(connection_id).to_wire()

    def _clear_faults(self, this: MethodInvocation, connection_id: Any = None) -> None:
        if connection_id is not None:
            self._connection(connection_id)
        self.proxy.set_faults(connection_id, NO_FAULTS)
        self._settings_changed()

    def _act(self, action: Callable[[DDPProxy, str], None]) -> Callable[..., None]:
        def method(this: MethodInvocation, connection_id: Any) -> None:
            action(self.proxy, self._connection(connection_id).id)

        return method

    def _frames(
        self, this: MethodInvocation, connection_id: Any, limit: Any = None
    ) -> list[dict[str, Any]]:
        count = limit if isinstance(limit, int) and limit > 0 else None
        return frames(self._connection(connection_id), count)
