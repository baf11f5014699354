"""The DDP protocol as plain code: no sockets, no event loop, no clock of its own.

Messages in, messages and events out; the caller passes ``now`` (monotonic
seconds). ``transport`` drives it over websockets; tests drive it with numbers.
"""

from __future__ import annotations

from ddp_monitor.ddp.errors import (
    ConnectionLost,
    DDPError,
    InvalidState,
    MethodError,
    ProtocolError,
    SubscriptionError,
    VersionMismatch,
)

__all__ = [
    "ConnectionLost",
    "DDPError",
    "InvalidState",
    "MethodError",
    "ProtocolError",
    "SubscriptionError",
    "VersionMismatch",
]

# The sans-I/O client core (appended).
from ddp_monitor.ddp.client import ClientConnection
from ddp_monitor.ddp.methods import MethodCall
from ddp_monitor.ddp.status import ConnectionStatus, Status, meteor_status
from ddp_monitor.ddp.store import Store

__all__ += [
    "ClientConnection",
    "ConnectionStatus",
    "MethodCall",
    "Status",
    "Store",
    "meteor_status",
]
