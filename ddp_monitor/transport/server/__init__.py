"""The server wing: ``DDPServer`` drives ``ddp.server``'s sessions over WebSockets.

``ddp_server`` (listening, routing, registries), ``connection`` (one socket's
driver), ``handle`` (``this.connection``), ``context`` (a handler's ``this``),
``rerun`` (setUserId), ``sockjs`` (Meteor's SockJS framing), ``http_door``
(plain HTTP beside websockets' handshakes), ``sockjs_polling`` and
``polling_socket`` (SockJS's polling transports), ``ports`` (the protocols
those meet on) and ``callbacks`` (running the application's hooks).
Never imports ``transport.client``.
"""

from __future__ import annotations

from ddp_monitor.transport.server.context import MethodInvocation, Subscription
from ddp_monitor.transport.server.ddp_server import (
    ConnectionChanged,
    ConnectionClosed,
    ConnectionOpened,
    DDPServer,
    Hook,
    forwarded_count_from_environment,
)
from ddp_monitor.transport.server.handle import ConnectionHandle

__all__ = [
    "ConnectionChanged",
    "ConnectionClosed",
    "ConnectionHandle",
    "ConnectionOpened",
    "DDPServer",
    "Hook",
    "MethodInvocation",
    "Subscription",
    "forwarded_count_from_environment",
]
