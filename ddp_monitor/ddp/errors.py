"""Every error the DDP core raises.

Owns the exception tree; imports nothing from the project::

    DDPError
    ├── ProtocolError        the peer sent something DDP does not allow
    ├── InvalidState         a caller misused the API (also an AssertionError)
    ├── MethodError          a method failed: Meteor.Error's error / reason / details
    │   └── ...              (raised by ``await client.call()``)
    ├── SubscriptionError    ``nosub`` carried an error
    ├── ConnectionLost       the connection closed for good before an answer came
    └── VersionMismatch      version negotiation failed for good

The peer's bad input never escapes as an exception past the protocol core: it
becomes a ``BadMessageReceived`` event (client) or a DDP ``error`` reply (server).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConnectionLost",
    "DDPError",
    "InvalidState",
    "MethodError",
    "ProtocolError",
    "SubscriptionError",
    "VersionMismatch",
    "error_fields",
    "meteor_error_dict",
]


class DDPError(Exception):
    """Base class of every error ddp-monitor's DDP code raises."""


class ProtocolError(DDPError):
    """A frame that DDP does not allow.

    Attributes:
        reason: the reason Meteor's server puts in its ``error`` reply
            ("Bad request", "Parse error", "Malformed method invocation", ...).
        offending_message: the decoded message when there was one; Meteor
            leaves ``offendingMessage`` out when the frame was not a JSON object.
        detail: a sentence for people, saying what exactly is wrong.
    """

    def __init__(
        self, reason: str, offending_message: Any = None, detail: str = ""
    ) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.offending_message = offending_message
        self.detail = detail or reason


class InvalidState(DDPError, AssertionError):
    """The API was used in a way it cannot be (a bug in the caller)."""


class MethodError(DDPError):
    """A Meteor.Error: what a failed method or subscription reports.

    ``error`` is a string or a number: Meteor's own server still sends
    numeric codes (404, 500) although DDP.md says strings.
    """

    def __init__(
        self, error: str | int, reason: str | None = None, details: Any = None
    ):
        self.error = error
        self.reason = reason
        self.details = details
        #: the error object as the server sent it (errorType, isClientSafe,
        #: message... included), when it came from the wire
        self.wire: dict[str, Any] | None = None
        # Meteor.Error's message: "reason [error]", or "[error]" without a reason.
        super().__init__(f"{reason} [{error}]" if reason else f"[{error}]")

    @classmethod
    def from_wire(cls, value: Any) -> MethodError:
        """Build from the ``error`` object of a ``result`` or ``nosub`` frame."""
        if isinstance(value, dict):
            error = value.get("error")
            if not isinstance(error, str | int) or isinstance(error, bool):
                error = str(error)
            reason = value.get("reason")
            built = cls(
                error, reason if isinstance(reason, str) else None, value.get("details")
            )
            built.wire = value
            return built
        return cls("invalid-error", f"Server sent a malformed error: {value!r}")

    def to_wire(self) -> dict[str, Any]:
        """The wire shape Meteor's server sends for this error."""
        return meteor_error_dict(self.error, self.reason, self.details)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MethodError)
            and type(other) is type(self)
            and (self.error, self.reason, self.details)
            == (other.error, other.reason, other.details)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable details: not hashable

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.error!r}, {self.reason!r}, {self.details!r})"
        )


class SubscriptionError(MethodError):
    """A subscription ended with ``nosub`` carrying an error."""


class ConnectionLost(DDPError):
    """The connection was closed for good while an answer was still due."""


class VersionMismatch(DDPError):
    """Client and server share no DDP version."""


def meteor_error_dict(
    error: str | int, reason: str | None = None, details: Any = None
) -> dict[str, Any]:
    """Meteor.Error serialised in Meteor's key order (packages/meteor/errors.js)."""
    wire: dict[str, Any] = {"isClientSafe": True, "error": error}
    if reason is not None:
        wire["reason"] = reason
    if details is not None:
        wire["details"] = details
    wire["message"] = f"{reason} [{error}]" if reason else f"[{error}]"
    wire["errorType"] = "Meteor.Error"
    return wire


def error_fields(error: BaseException) -> dict[str, Any]:
    """Meteor.Error's fields (error, reason, details) for a report; any other
    error as its type name and text."""
    if isinstance(error, MethodError):
        return {"error": error.error, "reason": error.reason, "details": error.details}
    return {"error": type(error).__name__, "reason": str(error), "details": None}
