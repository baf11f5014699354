"""What ``ServerSession`` asks its driver to do: the server core's events.

Owns the frozen event values; imports ``ddp.server.subscription`` (the sub a
``SubscriptionStarted`` hands over). ``ddp.server`` re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ddp_monitor.ddp.server.subscription import ServerSubscription

__all__ = [
    "BadMessageReceived",
    "CloseRequested",
    "MessageReceived",
    "MethodInvoked",
    "ServerEvent",
    "SessionStarted",
    "SubscriptionStarted",
    "SubscriptionStopped",
]


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """``connected`` is queued; the driver runs the on_connection callbacks."""

    session: str
    version: str


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A queued message (anything but ping/pong) is about to run: Meteor's onMessage hooks.

    ``message`` is the decoded message, as Meteor hands it to the hooks. Only
    emitted while ``ServerSession.report_messages`` is set.
    """

    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MethodInvoked:
    """Run method ``method``; answer with ``method_finished(id, ...)``."""

    id: str
    method: str
    params: list[Any]
    random_seed: str | None


@dataclass(frozen=True, slots=True)
class SubscriptionStarted:
    """Run the publication's handler; answer with ``handler_finished(sub)``."""

    subscription: ServerSubscription


@dataclass(frozen=True, slots=True)
class SubscriptionStopped:
    id: str


@dataclass(frozen=True, slots=True)
class BadMessageReceived:
    """The peer sent something DDP does not allow; an ``error`` reply is queued."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class CloseRequested:
    """Close the socket once the queued frames are written."""

    reason: str


ServerEvent = (
    SessionStarted
    | MessageReceived
    | MethodInvoked
    | SubscriptionStarted
    | SubscriptionStopped
    | BadMessageReceived
    | CloseRequested
)
