"""How a connection status looks and reads, the same in every place that shows one.

Owns the status -> (words, colour, icon name) table of docs/ux.md
(badge, connection dots, message log); imports QtGui and ``ddp.client.status``.
Colour is never the only signal: every status has its own icon and words.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor

from ddp_monitor.ddp.client.events import HandshakeCompleted
from ddp_monitor.ddp.client.status import ConnectionStatus, Status

__all__ = [
    "SessionOutcome",
    "StatusLook",
    "look",
    "session_outcome",
    "short_reason",
    "status_colour",
    "status_words",
]


@dataclass(frozen=True, slots=True)
class StatusLook:
    """What the badge draws: a colour, an icon name (``resources/icons``) and words."""

    colour: QColor
    icon: str
    words: str


_C = ConnectionStatus
_COLOURS = {
    _C.CONNECTED: QColor("#2e9d4f"),
    _C.CONNECTING: QColor("#2f7fd8"),
    _C.WAITING: QColor("#c98500"),
    _C.OFFLINE: QColor("#7a7f87"),
    _C.FAILED: QColor("#d2383f"),
}


def status_colour(status: ConnectionStatus) -> QColor:
    """The colour of ``status``, as the badge draws it (the timeline's band too)."""
    return QColor(_COLOURS[status])


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """What a reconnect came back to: a few words and a sentence that explains them."""

    words: str
    detail: str


def session_outcome(event: HandshakeCompleted) -> SessionOutcome | None:
    """Resumed or new, after a reconnect; None for a connection's first session."""
    if event.previous_session is None:
        return None
    if event.resumed:
        return SessionOutcome(
            "session resumed",
            f"Session {event.session} resumed: same id, no data reset. The server "
            f"sent again what came after the {event.received_count:,} frames this "
            "client had.",
        )
    return SessionOutcome(
        "new session",
        f"New session {event.session} (was {event.previous_session}): "
        "subscriptions renewed, the store reconciled with what they send.",
    )


def status_words(
    status: Status,
    remaining: float | None = None,
    *,
    battery_saving: bool = False,
    outcome: str = "",
    last_failure: str = "",
) -> str:
    """The badge's words, e.g. ``Waiting - retry 3 in 4.2 s`` or ``Failed: reason``.

    Args:
        status: the snapshot to describe.
        remaining: seconds to ``retry_time`` while waiting (from the countdown).
        battery_saving: the user put the connection into battery saving.
        outcome: while connected, what the last reconnect came back to.
        last_failure: while waiting, why the last attempt (or the link) failed,
            so a "Reconnect now" that failed at once reads as such.
    """
    kind = status.status
    # Battery saving is a fault (issue 14): the phone sleeps, so the client
    # waits and its attempts fail until it wakes; the words say why.
    saving = " (battery saving)" if battery_saving else ""
    if kind is _C.CONNECTED:
        return f"Connected · {outcome}" if outcome else "Connected"
    if kind is _C.CONNECTING:
        if status.retry_count:
            return f"Connecting...{saving} (attempt {status.retry_count + 1})"
        return f"Connecting...{saving}"
    if kind is _C.WAITING:
        # Meteor counts the retry about to happen as retryCount + 1 (retry.js).
        # The countdown first: a narrow badge cuts the words at the end, and
        # the why is in the tooltip and the banner too.
        attempt = status.retry_count + 1
        if battery_saving:
            why = " · battery saving"
        elif last_failure:
            why = f" · {short_reason(last_failure)}"
        else:
            why = ""
        if remaining is None:
            return f"Waiting - retry {attempt}{why}"
        return f"Waiting - retry {attempt} in {max(remaining, 0.0):.1f} s{why}"
    if kind is _C.OFFLINE:
        return "Offline (battery saving)" if battery_saving else "Offline"
    if status.reason:
        return f"Failed: {status.reason}"
    return "Failed: the connection was closed and will not retry"


def short_reason(reason: str) -> str:
    """A failure's first words ("connection refused"), for the badge; the banner has it all."""
    return reason.split(":", 1)[0].strip()


def look(
    status: Status,
    remaining: float | None = None,
    *,
    battery_saving: bool = False,
    outcome: str = "",
    last_failure: str = "",
) -> StatusLook:
    """Colour, icon name and words for ``status``."""
    return StatusLook(
        colour=status_colour(status.status),
        icon=f"status-{status.status.value}",
        words=status_words(
            status,
            remaining,
            battery_saving=battery_saving,
            outcome=outcome,
            last_failure=last_failure,
        ),
    )
