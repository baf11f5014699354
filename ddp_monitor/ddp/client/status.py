"""The connection status, exactly as ``Meteor.status()`` reports it.

Owns the ``Status`` value and every status transition: nothing outside this
file changes a status (h11's ``_state.py`` rule). Imports ``ddp.errors`` and
``ddp.retry`` only. The machine copies ``packages/socket-stream-client/common.js``
(Meteor 1.9.3 through 3.x, unchanged):

==================  ==============================================  ===============
trigger             Meteor code                                     from -> to
==================  ==============================================  ===============
OPENED              ``_onConnect``: retryCount 0                    connecting -> connected
LOST_RETRYING       ``_lostConnection`` -> ``_retryLater`` (retry   connecting/connected
                    option, or a forced reconnect)                  -> waiting
LOST_GIVING_UP      the same with ``retry: false``: non-permanent   connecting/connected
                    failed, no reason                               -> failed
RETRY_NOW           ``_retryNow`` (retry timer or ``reconnect()``)  waiting/offline/failed
                                                                    -> connecting
DISCONNECT          ``disconnect()``: retryCount 0                  any -> offline
FAIL_PERMANENTLY    ``disconnect({_permanent})``: ``close()`` or    any -> failed (final)
                    version failure (the only ``reason``)
==================  ==============================================  ===============

Once permanently failed every input is silently ignored, as Meteor's
``_forcedToDisconnect`` guard does. One deliberate difference: Meteor's
``reconnect()`` after a permanent failure decrements ``retryCount`` in place
without a change event (a quirk, docs/meteor-ddp.md section 3.2); a ``Status`` is
immutable, so here nothing at all changes. A transition missing from the table
raises ``InvalidState``; ``StatusChanged`` is emitted only on a real change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ddp_monitor.ddp.client import retry
from ddp_monitor.ddp.errors import InvalidState

__all__ = [
    "CONNECT_TIMEOUT",
    "TRANSITIONS",
    "ConnectionStatus",
    "Status",
    "StatusMachine",
    "Trigger",
    "meteor_status",
]

#: socket-stream-client's CONNECT_TIMEOUT (``connectTimeoutMs || 10000``), seconds.
CONNECT_TIMEOUT = 10.0


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    CONNECTING = "connecting"
    FAILED = "failed"
    WAITING = "waiting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Status:
    """One immutable snapshot of ``Meteor.status()``.

    ``retry_time`` is on the caller's monotonic clock (the ``now`` passed in)
    and set only while waiting; ``meteor_status`` turns it into epoch ms.
    """

    status: ConnectionStatus
    connected: bool
    retry_count: int = 0
    retry_time: float | None = None
    reason: str | None = None


def meteor_status(status: Status, now: float, wall_ms: float) -> dict[str, object]:
    """``Meteor.status()``'s object; the one monotonic -> wall clock conversion.

    Args:
        status: the snapshot.
        now: the monotonic clock reading that corresponds to ``wall_ms``.
        wall_ms: milliseconds since the epoch at ``now``.
    """
    shown: dict[str, object] = {
        "status": str(status.status),
        "connected": status.connected,
        "retryCount": status.retry_count,
    }
    if status.retry_time is not None:
        shown["retryTime"] = wall_ms + (status.retry_time - now) * 1000
    if status.reason is not None:
        shown["reason"] = status.reason
    return shown


class Trigger(enum.Enum):
    OPENED = "opened"
    LOST_RETRYING = "lost_retrying"
    LOST_GIVING_UP = "lost_giving_up"
    RETRY_NOW = "retry_now"
    DISCONNECT = "disconnect"
    FAIL_PERMANENTLY = "fail_permanently"


_S = ConnectionStatus
_T = Trigger
_ANY = (_T.DISCONNECT, _T.FAIL_PERMANENTLY)
_ANY_TARGETS = {_T.DISCONNECT: _S.OFFLINE, _T.FAIL_PERMANENTLY: _S.FAILED}

#: status -> trigger -> new status. Everything that moves a status is here.
TRANSITIONS: dict[ConnectionStatus, dict[Trigger, ConnectionStatus]] = {
    _S.CONNECTING: {
        _T.OPENED: _S.CONNECTED,
        _T.LOST_RETRYING: _S.WAITING,
        _T.LOST_GIVING_UP: _S.FAILED,
        **_ANY_TARGETS,
    },
    _S.CONNECTED: {
        _T.LOST_RETRYING: _S.WAITING,
        _T.LOST_GIVING_UP: _S.FAILED,
        **_ANY_TARGETS,
    },
    _S.WAITING: {_T.RETRY_NOW: _S.CONNECTING, **_ANY_TARGETS},
    _S.OFFLINE: {_T.RETRY_NOW: _S.CONNECTING, **_ANY_TARGETS},
    # Non-permanent failed (retry: false); the permanent one is guarded below.
    _S.FAILED: {_T.RETRY_NOW: _S.CONNECTING, **_ANY_TARGETS},
}

_SOCKET_STATES = (_S.CONNECTING, _S.CONNECTED)


class StatusMachine:
    """socket-stream-client's status handling, clock and randomness injected.

    Every change is handed to ``emit`` (the client wraps it in
    ``StatusChanged``). The machine also owns the two stream timers: the
    connect timeout (armed on every attempt, cleared on transport open) and
    the retry timer (``status.retry_time``).
    """

    def __init__(
        self,
        now: float,
        emit: Callable[[Status], None],
        *,
        retry: bool = True,
        rng: Callable[[], float],
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        # Initial state: connecting, no change event (SSC _initCommon).
        self._status = Status(_S.CONNECTING, connected=False)
        self._emit = emit
        self._retry = retry
        self._rng = rng
        self._connect_timeout = connect_timeout
        self.permanent = False
        self.connect_deadline: float | None = now + connect_timeout

    @property
    def status(self) -> Status:
        return self._status

    @property
    def has_socket(self) -> bool:
        """True while an attempt or an open transport should exist."""
        return self._status.status in _SOCKET_STATES and not self.permanent

    def _set(self, trigger: Trigger, new: Status) -> None:
        allowed = TRANSITIONS[self._status.status]
        if self.permanent or allowed.get(trigger) is not new.status:
            raise InvalidState(
                f"no transition {self._status.status} --{trigger.value}--> "
                f"{new.status}{' (permanently failed)' if self.permanent else ''}"
            )
        if new != self._status:
            self._status = new
            self._emit(new)

    def transport_opened(self) -> None:
        """The socket opened: connected, retry count 0 (SSC ``_onConnect``)."""
        self.connect_deadline = None
        self._set(_T.OPENED, Status(_S.CONNECTED, connected=True))

    def lost(self, now: float, *, forced: bool = False) -> None:
        """``_lostConnection`` -> ``_retryLater``: waiting, or failed without retry.

        Args:
            forced: a forced reconnect (version renegotiation), which waits
                even when the retry option is off.
        """
        self.connect_deadline = None
        count = self._status.retry_count
        if self._retry or forced:
            # Random.fraction() is only drawn from count 2 on (retry.js _timeout).
            fraction = self._rng() if count >= retry.MIN_COUNT else 0.0
            delay = retry.timeout(count, fraction)
            new = Status(_S.WAITING, False, count, retry_time=now + delay)
            self._set(_T.LOST_RETRYING, new)
        else:
            self._set(_T.LOST_GIVING_UP, Status(_S.FAILED, False, count))

    def retry_now(self, now: float, *, manual: bool = False) -> None:
        """``_retryNow``: count + 1, connecting, a new attempt with its timeout.

        Args:
            manual: from ``reconnect()``, whose ``retryCount -= 1`` before
                ``_retryNow`` leaves the count net unchanged.
        """
        count = self._status.retry_count + (0 if manual else 1)
        self._set(_T.RETRY_NOW, Status(_S.CONNECTING, False, count))
        self.connect_deadline = now + self._connect_timeout

    def reconnect(self, now: float) -> bool:
        """``reconnect()`` per section 3.2; True when a new attempt starts."""
        if self.permanent or self._status.status is _S.CONNECTED:
            return False
        if self._status.status is _S.CONNECTING:
            self.lost(now)  # "Pretend it's a clean close."
        self.retry_now(now, manual=True)
        return True

    def disconnect(self) -> bool:
        """``disconnect()``: offline, count 0; False when permanently failed."""
        if self.permanent:
            return False
        self.connect_deadline = None
        self._set(_T.DISCONNECT, Status(_S.OFFLINE, connected=False))
        return True

    def fail_permanently(self, reason: str | None = None) -> bool:
        """``disconnect({_permanent: true, _error})``; False when already so."""
        if self.permanent:
            return False
        self.connect_deadline = None
        self._set(_T.FAIL_PERMANENTLY, Status(_S.FAILED, False, 0, reason=reason))
        self.permanent = True
        return True
