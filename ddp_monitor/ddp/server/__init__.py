"""The server wing of the DDP core: Meteor's ``ddp-server`` session as sans-I/O code.

``session.ServerSession`` composes the rest: ``subscription`` (one
publication's documents and life), ``mergebox`` (what each client sees when
subscriptions overlap) and ``events`` (what it asks its driver to do).
``forwarding`` holds the ``HTTP_FORWARDED_COUNT`` and header rules, and
``collection`` an in-memory collection whose cursors publish live. Imports the
shared ``ddp`` modules, never ``ddp.client``.
"""

from __future__ import annotations

from ddp_monitor.ddp.ejson import UNDEFINED
from ddp_monitor.ddp.server.collection import Collection, Cursor
from ddp_monitor.ddp.server.events import (
    BadMessageReceived,
    CloseRequested,
    MessageReceived,
    MethodInvoked,
    ServerEvent,
    SessionStarted,
    SubscriptionStarted,
    SubscriptionStopped,
)
from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.ddp.server.session import ServerSession
from ddp_monitor.ddp.server.subscription import ServerSubscription

__all__ = [
    "UNDEFINED",
    "BadMessageReceived",
    "CloseRequested",
    "Collection",
    "Cursor",
    "ForwardedRule",
    "MessageReceived",
    "MethodInvoked",
    "ServerEvent",
    "ServerSession",
    "ServerSubscription",
    "SessionStarted",
    "SubscriptionStarted",
    "SubscriptionStopped",
]
