"""The proxy: a Meteor app's DDP clients one by one, with faults, steerable over DDP.

A room above both wings of the transport: ``proxy`` (``DDPProxy``: listening,
routing, the connections, faults for all), ``relay`` (``ProxiedConnection``:
one client and its upstream socket), ``client_side`` (raw WebSocket or
SockJS), ``passthrough`` (non-DDP HTTP to the app), ``rows`` (a connection as
the panel and the control endpoint show it) and ``control`` (the control
endpoint, a ``DDPServer``). Imports ``ddp`` and ``transport``; ``qt`` and
``cli`` import it, never the other way round.
"""

from __future__ import annotations

from ddp_monitor.proxy.proxy import (
    DEFAULT_PORT,
    DDPProxy,
    ProxyConnectionChanged,
    ProxyConnectionClosed,
    ProxyConnectionOpened,
    ProxyEvent,
)
from ddp_monitor.proxy.relay import ProxiedConnection

__all__ = [
    "DEFAULT_PORT",
    "DDPProxy",
    "ProxiedConnection",
    "ProxyConnectionChanged",
    "ProxyConnectionClosed",
    "ProxyConnectionOpened",
    "ProxyEvent",
]
