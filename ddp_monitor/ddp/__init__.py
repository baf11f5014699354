"""The DDP protocol as plain code: no sockets, no event loop, no clock of its own.

Messages in, messages and events out; the caller passes ``now`` (monotonic
seconds). ``transport`` drives it over websockets; tests drive it with numbers.

Two wings share the flat wire modules here (``ejson``, ``messages``,
``errors``, ``ids``, ``mongo_id``, ``heartbeat``, ``password``):

- ``ddp.client``: Meteor's ``DDP.connect`` connection (status, retries,
  methods, stubs, the local store);
- ``ddp.server``: Meteor's ``ddp-server`` session (merge box, subscriptions,
  ``HTTP_FORWARDED_COUNT``, an in-memory collection to publish).

Neither wing imports the other (an import-linter contract). Importing this
package loads only the errors, so server code never pays for the client core.
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
