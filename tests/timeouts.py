"""Time limits shared by the tests: one place, scaled for slow machines.

Owns the constants only; imports nothing from the project. Every wait in a test
is bounded by one of these (never a bare sleep). ``DDP_TEST_TIMEOUT_SCALE=3`` on
a slow or loaded machine (CI on 2 shared cores) multiplies them all.
"""

from __future__ import annotations

import os

__all__ = [
    "PEER_INSTALL_TIMEOUT",
    "PEER_START_TIMEOUT",
    "QUIET",
    "SCALE",
    "TIMEOUT",
    "TOOL_TIMEOUT",
]


def _scale() -> float:
    raw = os.environ.get("DDP_TEST_TIMEOUT_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"DDP_TEST_TIMEOUT_SCALE must be a number, not {raw!r}"
        ) from None
    if value <= 0:
        raise ValueError(f"DDP_TEST_TIMEOUT_SCALE must be positive, not {raw!r}")
    return value


SCALE: float = _scale()

# Upper bound for one awaited event (a reply, a status change, a process line).
TIMEOUT: float = 10.0 * SCALE

# How long a peer must stay silent before "no more frames" is believed. Only
# used where the thing tested is an absence (Meteor ignores a duplicate sub id).
QUIET: float = 0.5 * SCALE

# Node 12 + fibers booting Meteor's packages: about 2 s idle, more on 2 busy cores.
PEER_START_TIMEOUT: float = 60.0 * SCALE

# npm installs of the peers (first run only; later runs find them in place).
PEER_INSTALL_TIMEOUT: float = 600.0 * SCALE

# One static check (ruff, mypy --strict from a cold cache, import-linter) on 2 busy cores.
TOOL_TIMEOUT: float = 300.0 * SCALE
