"""What this window did, as values that travel in the adaptor's event batches.

Owns ``MethodCalled``, ``Subscribed``, ``Unsubscribed`` and the ``AdaptorEvent``
union; imports ``ddp.events`` (the client's event union). They
ride in the same ordered batch as the client's events, so a model never sees
an answer before the call it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ddp_monitor.ddp.events import Event

__all__ = ["AdaptorEvent", "MethodCalled", "Subscribed", "Unsubscribed"]


@dataclass(frozen=True, slots=True)
class MethodCalled:
    """This window made a call; ``connected`` False means it waits in the queue."""

    method_id: str
    name: str
    params: list[Any]
    connected: bool


@dataclass(frozen=True, slots=True)
class Subscribed:
    """This window subscribed; ``at`` is monotonic seconds."""

    sub_id: str
    name: str
    params: list[Any]
    at: float


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """The user stopped a subscription (Meteor forgets it at once)."""

    sub_id: str


AdaptorEvent = Event | MethodCalled | Subscribed | Unsubscribed
