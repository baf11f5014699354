"""Widgets: the window and its panels.

May import ``ddp_monitor.qt`` (adaptors, models), ``profiles`` and ``ddp`` value
types only: never ``transport``, ``demo`` or a protocol core
(``ddp.client.connection``, ``ddp.server.session``). An import-linter contract
holds the direct imports to that; through ``qt`` they reach the rest.
"""

from __future__ import annotations

__all__: list[str] = []
