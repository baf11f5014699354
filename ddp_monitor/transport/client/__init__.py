"""The client wing: ``DDPClient`` drives ``ddp.client``'s core over a WebSocket.

``ddp_client`` (the driver), ``link`` (everything websockets), ``handles``
(what ``call``/``subscribe`` return), ``urls`` (Meteor's URL rules) and
``accounts`` (login and logout on a ``DDPClient``). Never imports
``transport.server``.
"""

from __future__ import annotations

from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import (
    PendingMethod,
    SubscriptionEnded,
    SubscriptionHandle,
)
from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url

__all__ = [
    "DDPClient",
    "InvalidURL",
    "PendingMethod",
    "SubscriptionEnded",
    "SubscriptionHandle",
    "to_websocket_url",
]
