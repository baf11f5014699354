"""Qt adaptors and item models: the client's events as signals, its values as tables.

May import QtCore and QtGui (never QtWidgets: ``qt/ruff.toml`` bans it),
``ddp_monitor.transport``, ``ddp_monitor.demo`` and the ``ddp`` value types.
"""

from __future__ import annotations

__all__: list[str] = []
