"""Inbound connections of the hosted server: one row each, as Meteor's ``onConnection`` sees it.

Owns ``ServerConnectionModel`` and ``ConnectionRecord``; imports QtGui,
``qt.table_model``, ``ddp.server.forwarding`` and ``hosting.views`` (what the
hosted server's process reports). Fed by ``ServerAdaptor.connections_flushed``: whole batches are
inserted with one ``beginInsertRows`` and removed run by run, so 1,000
clients connecting at once are a single update; sorted by a column, rows
follow their counters (``RowTableModel`` re-sorts by one value per row).

The client address column is recomputed here with ``forwarding.client_address``
from each row's peer address and ``X-Forwarded-For`` header, for the panel's
``HTTP_FORWARDED_COUNT`` and rule: what the server would report behind that
many proxies. (Meteor computes ``clientAddress`` once per connection, in
``livedata_server.js`` ``Session``; the panel shows the what-if for all rows.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from ddp_monitor.ddp.server.forwarding import ForwardedRule, client_address
from ddp_monitor.hosting.views import (
    CLOSED,
    DETACHED_UNTIL,
    MESSAGES_IN,
    MESSAGES_OUT,
    REPLAYED,
    RESUMPTIONS,
    SUBSCRIPTIONS,
    USER_ID,
    VERSION,
    ConnectionState,
    ConnectionView,
)
from ddp_monitor.qt.table_model import Column, RowTableModel
from ddp_monitor.transport.wiretap import Frame

__all__ = ["CLOSE_COLUMN", "ConnectionRecord", "ServerConnectionModel"]


@dataclass(slots=True)
class ConnectionRecord:
    """One inbound connection as last reported, and its address by the panel's rule."""

    connection: ConnectionView
    state: ConnectionState
    client_address: str | None = None  # by the panel's HTTP_FORWARDED_COUNT and rule
    recent_frames: tuple[Frame, ...] = ()
    since: str = ""  # local time of `connected`, written once (not per paint)

    def __post_init__(self) -> None:
        self.since = time.strftime("%H:%M:%S", time.localtime(self.connected_at))

    @property
    def connection_id(self) -> str:
        return self.connection.id

    @property
    def peer_address(self) -> str | None:
        return self.connection.peer_address

    @property
    def forwarded_for(self) -> str | None:
        """The ``X-Forwarded-For`` header as received (None: not sent)."""
        return self.connection.headers.get("x-forwarded-for")

    @property
    def connected_at(self) -> float:
        return self.connection.connected_at

    @property
    def transport(self) -> str:
        return self.connection.transport

    @property
    def version(self) -> str | None:
        return self.state[VERSION]

    @property
    def subscriptions(self) -> int:
        return len(self.state[SUBSCRIPTIONS])

    @property
    def messages_in(self) -> int:
        return self.state[MESSAGES_IN]

    @property
    def messages_out(self) -> int:
        return self.state[MESSAGES_OUT]

    @property
    def user_id(self) -> str | None:
        return self.state[USER_ID]

    @property
    def closed(self) -> bool:
        return self.state[CLOSED]

    @property
    def resumptions(self) -> int:
        return self.state[RESUMPTIONS]

    @property
    def frames_replayed(self) -> int:
        return self.state[REPLAYED]

    @property
    def detached_until(self) -> float | None:
        """Wall-clock end of the grace period while no socket serves the session."""
        return self.state[DETACHED_UNTIL]

    @property
    def session_words(self) -> str:
        """Detached and for how long, or how often it was resumed (session resumption)."""
        until = self.detached_until
        if until is not None:
            return f"detached, ends in {max(0.0, until - time.time()):.0f} s"
        if self.resumptions:
            times = "once" if self.resumptions == 1 else f"{self.resumptions} times"
            return f"resumed {times} · {self.frames_replayed:,} frames replayed"
        return ""

    @property
    def subscription_names(self) -> dict[str, str]:
        """Live subscriptions: sub id -> publication name."""
        return dict(self.state[SUBSCRIPTIONS])


def _since(record: ConnectionRecord) -> str:
    return record.since


_MUTED = QColor("#7a7f87")
_WARN = QColor("#c98500")

_COLUMNS: list[Column[ConnectionRecord]] = [
    Column("id", lambda r: r.connection_id),
    Column(
        "client address",
        lambda r: r.client_address or "(none)",
        tip="connection.clientAddress by HTTP_FORWARDED_COUNT and the chosen rule",
        colour=lambda r: _WARN if r.client_address is None else None,
    ),
    Column(
        "peer",
        lambda r: r.peer_address or "-",
        tip="the TCP peer's address, whatever the headers say",
    ),
    Column(
        "x-forwarded-for",
        lambda r: r.forwarded_for or "",
        tip="the forwarded chain as received (the client's own entries come first)",
        colour=lambda r: _MUTED,
    ),
    Column(
        "connected",
        _since,
        tip="when the server sent `connected` (local time)",
        key=lambda r: r.connected_at,
    ),
    Column("DDP", lambda r: r.version or "-", tip="the DDP version agreed"),
    Column(
        "session",
        lambda r: r.session_words,
        tip="session resumption: a session whose socket was lost waits (detached) "
        "for its client to resume it, then goes on in the same row",
        colour=lambda r: _WARN if r.detached_until is not None else None,
        key=lambda r: (r.detached_until or 0.0) * 1000 + r.resumptions,
    ),
    Column(
        "subs",
        lambda r: f"{r.subscriptions:,}",
        tip="live subscriptions",
        key=lambda r: r.subscriptions,
    ),
    Column(
        "in",
        lambda r: f"{r.messages_in:,}",
        tip="DDP messages from the client",
        key=lambda r: r.messages_in,
    ),
    Column(
        "out",
        lambda r: f"{r.messages_out:,}",
        tip="DDP messages to the client",
        key=lambda r: r.messages_out,
    ),
    Column(
        "", lambda r: "Close", tip="close this connection (the client may reconnect)"
    ),
]

#: The column the panel paints as a Close button.
CLOSE_COLUMN = len(_COLUMNS) - 1


class ServerConnectionModel(RowTableModel[ConnectionRecord]):
    """Live inbound connections in the order they opened."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_COLUMNS, parent)
        self.forwarded_count = 0
        self.forwarded_rule = ForwardedRule.CURRENT
        # "detached, ends in N s" counts down while a session waits.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)

    def apply(
        self,
        opened: Sequence[ConnectionView],
        changed: Sequence[tuple[str, ConnectionState]],
        closed: Sequence[str],
    ) -> None:
        """One batch from ``ServerAdaptor.connections_flushed``."""
        fresh = [ConnectionRecord(v, v.state) for v in opened if self.row(v.id) is None]
        for record in fresh:
            self._address(record)
        self._add_many([(r.connection_id, r) for r in fresh])
        touched: list[str] = []
        for key, state in changed:
            known = self.row(key)
            if known is not None:
                known.state = state
                touched.append(key)
        # One span per batch: a fan-out to 1,000 clients changes every row.
        self._touched(touched)
        self._discard(closed)
        self._tick_while_detached()
        self.counts_changed.emit()

    def _detached(self) -> list[str]:
        return [k for k, r in self._records.items() if r.detached_until is not None]

    def _tick_while_detached(self) -> None:
        if not self._detached():
            self._ticker.stop()
        elif not self._ticker.isActive():
            self._ticker.start()

    def _tick(self) -> None:
        detached = self._detached()
        self._touched(detached)
        if not detached:
            self._ticker.stop()

    def set_frames(self, connection_id: str, frames: Sequence[Frame]) -> None:
        """The last frames of one connection (the one the panel shows)."""
        record = self.row(connection_id)
        if record is not None:
            record.recent_frames = tuple(frames)

    def position(self, connection_id: str) -> int | None:
        """The row number of this connection, or None."""
        return self.row_of(connection_id)

    def set_forwarding(self, count: int, rule: ForwardedRule) -> None:
        """Recompute every row's client address for ``count`` proxies by ``rule``."""
        self.forwarded_count, self.forwarded_rule = count, ForwardedRule(rule)
        for record in self._records.values():
            self._address(record)
        self._touched(list(self._records))

    def _address(self, record: ConnectionRecord) -> None:
        record.client_address = client_address(
            record.peer_address,
            record.forwarded_for,
            self.forwarded_count,
            self.forwarded_rule,
        )
