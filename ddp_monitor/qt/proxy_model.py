"""``ProxyConnectionModel``: the proxied clients as table rows.

Owns the proxy mode's columns (``SHARED_COLUMNS`` and ``CLOSE`` serve the
agent's table too); imports QtCore and ``qt.table_model``. Rows
are the control endpoint's ``connections`` documents (``proxy.rows.row``),
so a local proxy and one attached over DDP look the same. The last two
columns are the Close and Close upstream buttons (``CLOSE_COLUMN``,
``CLOSE_UPSTREAM_COLUMN``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ddp_monitor.qt.table_model import Column, RowTableModel

__all__ = [
    "CLOSE",
    "CLOSE_COLUMN",
    "CLOSE_UPSTREAM_COLUMN",
    "SHARED_COLUMNS",
    "ProxyConnectionModel",
    "faults_text",
]

Row = dict[str, Any]


def _kb(count: int | None) -> str:
    # None: the source does not count bytes (our server's agent counts messages).
    if count is None:
        return ""
    return f"{count / 1024:,.1f} KB" if count >= 1024 else f"{count} B"


def _agent(row: Row) -> str:
    agent = row.get("userAgent") or ""
    for marker in ("HeadlessChrome", "Chrome", "Firefox", "Safari", "node", "Python"):
        if marker in agent:
            return marker
    return agent[:24]


def faults_text(faults: dict[str, Any]) -> str:
    """A fault setting in a few words (the row's Faults column)."""
    words = []
    for way, arrow in (("toClient", "↓"), ("toServer", "↑")):
        spec = faults.get(way) or {}
        if "latencyMs" in spec:
            words.append(f"{arrow}{spec['latencyMs']:g} ms")
        if "bandwidth" in spec:
            words.append(f"{arrow}{spec['bandwidth'] / 1024:g} KB/s")
        if spec.get("swallowPings"):
            words.append(f"no pings{arrow}")
        if spec.get("swallowPongs"):
            words.append(f"no pongs{arrow}")
    if faults.get("deadLink"):
        words.append("dead link")
    if "holdDataMs" in faults:
        words.append(f"hold {faults['holdDataMs'] / 1000:g} s")
    words += [f"{key}" for key in faults if key.startswith(("delay", "drop"))]
    return ", ".join(words)


def _session_cell(row: Row) -> str:
    """The session id, and after a reconnect whether the app resumed it."""
    session = row.get("session")
    if not session:
        return "(connecting)"
    asked = row.get("resumption")
    if not asked or asked.get("resumed") is None:
        return str(session)
    if asked["resumed"]:
        return f"{session} · resumed"
    return f"{session} · new (asked {asked['session']})"


#: The columns every source of connection rows shows (``qt.agent_model`` too).
SHARED_COLUMNS: list[Column[Row]] = [
    Column("Session", _session_cell),
    Column("Client", lambda r: r.get("clientAddress") or ""),
    Column(
        "App sees",
        lambda r: r.get("appClientAddress") or "null",
        tip="this.connection.clientAddress on the app with HTTP_FORWARDED_COUNT=1",
    ),
    Column("Browser", _agent, tip="the client's User-Agent"),
    Column("Transport", lambda r: r.get("transport") or ""),
    Column("DDP", lambda r: r.get("ddpVersion") or ""),
    Column(
        "Subs",
        lambda r: str(len(r.get("subscriptions") or [])),
        key=lambda r: len(r.get("subscriptions") or []),
    ),
    Column(
        "↑ frames",
        lambda r: f"{r.get('framesToServer', 0):,}",
        key=lambda r: r.get("framesToServer", 0),
    ),
    Column(
        "↓ frames",
        lambda r: f"{r.get('framesToClient', 0):,}",
        key=lambda r: r.get("framesToClient", 0),
    ),
    Column(
        "↑ bytes",
        lambda r: _kb(r.get("bytesToServer")),
        key=lambda r: r.get("bytesToServer", 0),
    ),
    Column(
        "↓ bytes",
        lambda r: _kb(r.get("bytesToClient")),
        key=lambda r: r.get("bytesToClient", 0),
    ),
    Column(
        "Faults",
        lambda r: (
            ("upstream closed; " if r.get("upstreamClosed") else "")
            + faults_text(r.get("faults") or {})
        ),
    ),
]
CLOSE = Column[Row](
    "", lambda r: "Close", tip="close the client's socket: it reconnects"
)
_COLUMNS: list[Column[Row]] = [
    *SHARED_COLUMNS,
    CLOSE,
    Column(
        "",
        lambda r: "Close upstream",
        tip="the app drops the session; the client's socket stays open",
    ),
]
CLOSE_COLUMN = len(_COLUMNS) - 2
CLOSE_UPSTREAM_COLUMN = len(_COLUMNS) - 1


class ProxyConnectionModel(RowTableModel[Row]):
    """The proxied connections, in the order they opened."""

    def __init__(
        self, parent: Any = None, columns: Sequence[Column[Row]] | None = None
    ) -> None:
        super().__init__(_COLUMNS if columns is None else columns, parent)

    def apply(self, changed: Sequence[Row], gone: Sequence[str]) -> None:
        """One batch from ``ProxyAdaptor.rows_flushed``."""
        touched: set[str] = set()
        fresh_rows: list[tuple[str, Row]] = []
        for fresh in changed:
            key = fresh["_id"]
            record = self.row(key)
            if record is None:
                fresh_rows.append((key, dict(fresh)))
            else:
                record.clear()
                record.update(fresh)
                touched.add(key)
        self._add_many(fresh_rows)
        self._touched(touched)
        self._discard(gone)
        self.counts_changed.emit()
