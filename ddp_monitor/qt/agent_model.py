"""The agent's connection table: the proxy's columns, with the server and the user.

Owns ``agent_model(parent)`` (a ``ProxyConnectionModel`` with the agent's
columns) and ``AGENT_CLOSE_COLUMN``; imports ``qt.proxy_model`` (the shared
columns) and ``qt.table_model``. Rows are the agent's documents
(``packaging/meteor-agent``), the proxy control endpoint's shape plus
``server``, ``agentUrl``, ``userId`` and ``methodsInFlight``.
"""

from __future__ import annotations

from typing import Any

from ddp_monitor.qt.proxy_model import CLOSE, SHARED_COLUMNS, ProxyConnectionModel
from ddp_monitor.qt.table_model import Column

__all__ = ["AGENT_CLOSE_COLUMN", "agent_model"]

Row = dict[str, Any]


def _shared(row_column: Column[Row]) -> Column[Row]:
    if row_column.header == "App sees":
        # The app computed it itself (HTTP_FORWARDED_COUNT as deployed).
        return Column(
            "App sees",
            row_column.text,
            tip="this.connection.clientAddress as the app computed it",
        )
    return row_column


_COLUMNS: list[Column[Row]] = [
    Column(
        "Server",
        lambda r: str(r.get("server") or ""),
        tip="the app server (host:pid) holding the connection",
    ),
    *(_shared(column) for column in SHARED_COLUMNS),
    Column("User", lambda r: str(r.get("userId") or "")),
    Column(
        "Calls",
        lambda r: str(len(r.get("methodsInFlight") or [])),
        tip="methods in flight: sent by the client, no result yet",
        key=lambda r: len(r.get("methodsInFlight") or []),
    ),
    CLOSE,
]
AGENT_CLOSE_COLUMN = len(_COLUMNS) - 1


def agent_model(parent: Any = None) -> ProxyConnectionModel:
    """The attached app servers' connections, in the order they opened."""
    return ProxyConnectionModel(parent, _COLUMNS)
