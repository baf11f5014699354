"""Widgets: the window and its panels.

May import ``ddp_monitor.qt`` (adaptors, models) and ``ddp`` value types only,
never ``transport`` or ``ddp.client``.
"""

from __future__ import annotations

__all__: list[str] = []
