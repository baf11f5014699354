"""The client wing of the DDP core: Meteor's ``DDP.connect`` as sans-I/O code.

``connection.ClientConnection`` composes the rest: ``status`` (the status
machine, with ``retry``'s back-off), ``methods`` (outstanding calls),
``stubs`` (client-side simulations), ``store`` (the local collections) and
``events`` (what it emits). Imports the shared ``ddp`` modules, never
``ddp.server``.
"""

from __future__ import annotations

from ddp_monitor.ddp.client.connection import ClientConnection, MethodCall
from ddp_monitor.ddp.client.status import ConnectionStatus, Status, meteor_status
from ddp_monitor.ddp.client.store import Store

__all__ = [
    "ClientConnection",
    "ConnectionStatus",
    "MethodCall",
    "Status",
    "Store",
    "meteor_status",
]
