"""``AgentAdaptor``: the Server panel's third source, a Meteor app's servers through their agent.

Owns attaching to (and detaching from) any number of app servers that run
ddp-monitor's Meteor agent (``packaging/meteor-agent``): one ``DDPClient``
each, subscribed to ``ddpMonitorAgent.connections`` with the secret, their
rows merged for one table, and the panel's actions routed to the server
that holds the connection. Imports QtCore, ``qt.row_source`` (batching and
actions), ``ddp.errors`` (the agent's refusals) and ``transport.client``.

The agent publishes rows in the proxy control endpoint's shape and adds
``server`` (host name and process id); this adaptor adds ``agentUrl`` (where
it attached), so rows say which server of a fleet each connection is on.
The panel speaks the control endpoint's method names; ``call`` translates
them to the agent's, with the secret first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from ddp_monitor.ddp.errors import DDPError, MethodError
from ddp_monitor.qt.row_source import Row, RowSource
from ddp_monitor.transport.client import DDPClient

__all__ = ["ATTACH_TIMEOUT", "COLLECTION", "PUBLICATION", "AgentAdaptor"]

PUBLICATION = COLLECTION = "ddpMonitorAgent.connections"
#: Seconds an attach may take (connect and the publication's ready).
ATTACH_TIMEOUT = 10.0

#: The control endpoint's method names (the panel's) -> the agent's.
_METHODS = {
    "proxy.close": "ddpMonitorAgent.close",
    "proxy.setFaults": "ddpMonitorAgent.setFaults",
    "proxy.clearFaults": "ddpMonitorAgent.clearFaults",
    "proxy.frames": "ddpMonitorAgent.frames",
}
#: Methods that take null for every connection: sent to every attached server.
_FOR_ALL = {"proxy.setFaults", "proxy.clearFaults"}


@dataclass(slots=True)
class _Attached:
    """One app server the window is attached to."""

    url: str
    secret: str
    client: DDPClient
    unlisten: Callable[[], None]

    def holds(self, connection_id: str) -> bool:
        return connection_id in self.client.store.collection(COLLECTION)

    async def call(self, method: str, *params: Any) -> Any:
        return await self.client.call(method, self.secret, *params)


def _why(url: str, exc: BaseException) -> str:
    """An attach's failure in words (the agent's refusals named)."""
    error = exc.error if isinstance(exc, MethodError) else None
    if error == "forbidden":
        return f"{url} refused the secret (the agent logged the attempt)"
    if error == 404:
        return (
            f"no ddp-monitor agent answers at {url}: the app lacks the package, "
            "or it is off (no DDP_MONITOR_AGENT_SECRET on that server)"
        )
    if isinstance(exc, TimeoutError):
        return f"cannot attach to {url}: no answer within {ATTACH_TIMEOUT:g} s"
    return f"cannot attach to {url}: {exc or type(exc).__name__}"


class AgentAdaptor(RowSource):
    """Attaches to app servers running the agent; batches their rows for one table.

    Signals: those of ``RowSource``.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.attached: dict[str, _Attached] = {}

    @property
    def active(self) -> bool:
        return bool(self.attached)

    # -- attaching ---------------------------------------------------------------------

    async def attach(self, url: str, secret: str) -> bool:
        """Attach to the app server at ``url`` with the agent's ``secret``; False on failure."""
        url = url.strip()
        if not url or not secret:
            self.proxying_failed.emit("give the app server's URL and its agent secret")
            return False
        if url in self.attached:
            await self.detach(url)
        try:
            client = DDPClient(url)
        except ValueError as exc:
            self.proxying_failed.emit(f"cannot attach to {url}: {exc}")
            return False
        try:
            async with asyncio.timeout(ATTACH_TIMEOUT):
                await client.start()
                await client.subscribe(PUBLICATION, secret).wait_ready()
        except (DDPError, OSError, TimeoutError) as exc:
            await client.close()
            self.proxying_failed.emit(_why(url, exc))
            return False
        self.attached[url] = _Attached(
            url, secret, client, client.add_listener(self._mark)
        )
        self._mark()
        self.proxying_changed.emit(self.describe())
        return True

    async def detach(self, url: str) -> None:
        """Detach from one server; its rows go."""
        found = self.attached.pop(url, None)
        if found is None:
            return
        found.unlisten()
        await found.client.close()
        self._mark()
        self.proxying_changed.emit(self.describe())

    async def stop(self) -> None:
        """Detach from every server."""
        for url in list(self.attached):
            await self.detach(url)
        self._forget_rows()

    def describe(self) -> str:
        """The state line: which servers are attached ("" when none)."""
        if not self.attached:
            return ""
        count = len(self.attached)
        servers = "1 app server" if count == 1 else f"{count} app servers"
        return f"Attached to {servers}: " + ", ".join(self.attached)

    # -- rows and actions --------------------------------------------------------------

    def rows(self) -> dict[str, Row]:
        """Every attached server's rows, by connection id, each with ``agentUrl``."""
        out: dict[str, Row] = {}
        for attached in self.attached.values():
            for ident, doc in attached.client.store.collection(COLLECTION).items():
                out[ident] = {
                    **{k: v for k, v in doc.items() if k != "_id"},
                    "agentUrl": attached.url,
                }
        return out

    async def call(self, method: str, *params: Any) -> Any:
        """A control method, run by the agent of the server holding the connection."""
        name = _METHODS.get(method)
        if name is None:
            raise RuntimeError(
                f"{method} is not offered by the agent (the proxy has it)"
            )
        target = params[0] if params else None
        if target is None and method in _FOR_ALL:
            answers = [await a.call(name, *params) for a in self.attached.values()]
            return answers[-1] if answers else None
        for attached in self.attached.values():
            if isinstance(target, str) and attached.holds(target):
                return await attached.call(name, *params)
        raise RuntimeError(f"no connection {target} on the attached app servers")
