"""Desktop notices for one connection: when it dropped, failed or came back, and calmly.

Owns ``Notice`` and ``NoticeRule`` (which status changes are news, and when
to say them) and ``ConnectionNotices`` (the rule on one ``ClientAdaptor``,
kept on time by a single-shot timer); imports QtCore, ``qt.client_adaptor``,
``qt.status_look`` (the words) and ``ddp.client.status``. Issue 13 item 16.

The rule is sans-I/O, as the cores are: statuses in with ``now``, notices
out, ``next_deadline`` for the one timer. Calm means:

- retrying is no news: waiting, connecting, waiting again after a drop say
  nothing more than the one "dropped";
- a drop is said at once; "back" answers it at once, with how long it was
  down; "failed" (Meteor gives up) is said once, at once;
- after a notice, another drop waits ``QUIET`` seconds: a link that flaps
  is said once, and what holds at the end of the quiet time is said then
  (nothing, if it is up again);
- the user's own doing is no news: offline (disconnect, battery saving) and
  the first connect; a connection that never came up says nothing until it
  fails or comes up ("back" needs a drop first).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.status_look import short_reason

__all__ = ["QUIET", "ConnectionNotices", "Notice", "NoticeRule"]

#: Seconds after a notice during which a new drop waits (flapping is said once).
QUIET = 20.0


class _State(Enum):
    UP = "up"
    DOWN = "down"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Notice:
    """One desktop notification: what happened (``kind``), in words, and the status."""

    kind: str  # "dropped", "failed" or "back"
    title: str
    body: str
    status: ConnectionStatus


class NoticeRule:
    """Which of one connection's status changes become notices (module docstring)."""

    def __init__(self, label: str, quiet: float = QUIET) -> None:
        self.label = label
        self.quiet = quiet
        self._told: _State | None = None  # what the user was told (or saw) last
        self._now: _State | None = None
        self._quiet_until = float("-inf")
        self._down_since: float | None = None
        self._paused = False  # offline by the user's hand, until it is up again
        self._reason = ""
        self._failure = ""
        self._out: list[Notice] = []

    # -- in ---------------------------------------------------------------------
    def transport_lost(self, reason: str) -> None:
        """Why the last socket or attempt died (words for the next "dropped")."""
        self._reason = reason

    def status_changed(
        self, status: Status, now: float, *, battery_saving: bool = False
    ) -> None:
        kind = status.status
        if kind is ConnectionStatus.CONNECTED:
            state: _State | None = _State.UP
        elif kind is ConnectionStatus.FAILED:
            state, self._failure = _State.FAILED, status.reason or ""
        elif kind is ConnectionStatus.OFFLINE or battery_saving:
            # The user's own doing (and the reconnect that ends it): nothing
            # to say, and nothing pending.
            self._paused = True
            self._now = self._told
            return
        else:  # waiting or connecting: down, once it had been up
            up_before = self._told is not None and not self._paused
            state = _State.DOWN if up_before else None
        if state is _State.UP:
            self._paused = False
        if state is None or state is self._now:
            return
        if state is not _State.UP and self._down_since is None:
            self._down_since = now
        self._now = state
        self._settle(now)
        if self._now is self._told is _State.UP:
            self._down_since = None  # a drop that healed unsaid

    def handle_timer(self, now: float) -> None:
        self._settle(now)

    # -- out --------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When a waiting notice is due (None: nothing waits)."""
        if self._now is self._told or self._now is None:
            return None
        return self._quiet_until

    def notices(self) -> list[Notice]:
        """The notices due so far; hands them over."""
        out, self._out = self._out, []
        return out

    # -- the rule -----------------------------------------------------------------
    def _settle(self, now: float) -> None:
        state, told = self._now, self._told
        if state is None or state is told:
            return
        if told is None:  # the first connect: the user just opened it
            self._told = state
            if state is _State.FAILED:
                self._say(self._failed(), now)
            return
        answers = state is _State.UP  # good news closes the story at once
        if state is _State.FAILED or answers or now >= self._quiet_until:
            self._told = state
            if state is _State.UP:
                self._say(self._back(now), now)
            elif state is _State.FAILED:
                self._say(self._failed(), now)
            elif told is _State.UP:
                self._say(self._dropped(), now)
            # failed -> down (Reconnect now, retrying): no news

    def _say(self, notice: Notice, now: float) -> None:
        self._out.append(notice)
        self._quiet_until = now + self.quiet

    def _dropped(self) -> Notice:
        why = short_reason(self._reason) if self._reason else "the connection closed"
        return Notice(
            "dropped",
            f"{self.label}: connection dropped",
            f"{_sentence(why)} ddp-monitor reconnects on its own; you will hear "
            "when it is back.",
            ConnectionStatus.WAITING,
        )

    def _failed(self) -> Notice:
        why = self._failure or "the connection was closed and will not retry"
        return Notice(
            "failed",
            f"{self.label}: connection failed",
            f"{_sentence(why)} Reconnect now (Ctrl+R) tries again.",
            ConnectionStatus.FAILED,
        )

    def _back(self, now: float) -> Notice:
        since = self._down_since
        down = f" after {_duration(now - since)}" if since is not None else ""
        return Notice(
            "back",
            f"{self.label}: connected again",
            f"The connection is back{down}.",
            ConnectionStatus.CONNECTED,
        )


def _sentence(words: str) -> str:
    """``connection refused`` -> ``Connection refused.``"""
    return f"{words[:1].upper()}{words[1:].rstrip('.')}."


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(seconds, 0.1):.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return (
        f"{minutes} min {rest} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60} min"
    )


class ConnectionNotices(QObject):
    """``NoticeRule`` on one adaptor: ``noticed`` carries each notice when it is due.

    Args:
        key: the connection's key, carried with every signal.
        adaptor: the connection; this object is its child (it goes with it).
        clock: monotonic seconds (tests may pass their own).

    Signals:
        noticed(str, Notice): a notice for the connection ``key``.
        look_changed(str, Status, bool): its status and battery saving now.
    """

    noticed = Signal(str, object)
    look_changed = Signal(str, object, bool)

    def __init__(
        self,
        key: str,
        adaptor: ClientAdaptor,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(adaptor)
        self.key = key
        self.adaptor = adaptor
        self.rule = NoticeRule(adaptor.label)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        adaptor.transport_lost.connect(self.rule.transport_lost)
        adaptor.status_changed.connect(self._status_changed)
        adaptor.battery_saving_changed.connect(self._battery_saving_changed)
        self._status_changed(adaptor.status)

    def stop(self) -> None:
        """No more notices (the switch was turned off, or the connection closed)."""
        self.adaptor.transport_lost.disconnect(self.rule.transport_lost)
        self.adaptor.status_changed.disconnect(self._status_changed)
        self.adaptor.battery_saving_changed.disconnect(self._battery_saving_changed)
        self._timer.stop()

    @Slot(object)
    def _status_changed(self, status: Status) -> None:
        saving = self.adaptor.battery_saving
        self.rule.status_changed(status, self._clock(), battery_saving=saving)
        self.look_changed.emit(self.key, status, saving)
        self._hand_on()

    @Slot(bool)
    def _battery_saving_changed(self, on: bool) -> None:
        self.look_changed.emit(self.key, self.adaptor.status, on)

    @Slot()
    def _due(self) -> None:
        self.rule.handle_timer(self._clock())
        self._hand_on()

    def _hand_on(self) -> None:
        for notice in self.rule.notices():
            self.noticed.emit(self.key, notice)
        deadline = self.rule.next_deadline()
        if deadline is None:
            self._timer.stop()
        else:
            wait = max(0.0, deadline - self._clock())
            self._timer.start(int(wait * 1000) + 1)
