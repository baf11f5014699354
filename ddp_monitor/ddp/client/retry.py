"""Meteor's reconnect back-off (``packages/retry/retry.js``), as a pure function.

Owns the retry constants and formula; imports nothing. The stream passes no
options to ``Retry``, so every Meteor client uses exactly these defaults.
Meteor computes in milliseconds; so does this, so the figures match to the bit.
"""

from __future__ import annotations

__all__ = [
    "BASE_TIMEOUT_MS",
    "EXPONENT",
    "FUZZ",
    "MAX_TIMEOUT_MS",
    "MIN_COUNT",
    "MIN_TIMEOUT_MS",
    "timeout",
]

BASE_TIMEOUT_MS = 1000
EXPONENT = 2.2
MAX_TIMEOUT_MS = 5 * 60 * 1000
MIN_TIMEOUT_MS = 10
MIN_COUNT = 2
FUZZ = 0.5


def timeout(count: int, fraction: float) -> float:
    """Seconds to wait before retry number ``count + 1``.

    Args:
        count: the status's retry_count when the connection was lost.
        fraction: uniform in [0, 1) (Meteor's ``Random.fraction()``); inject
            a fixed number in tests.

    The first two retries come after exactly 10 ms. The fuzz is applied after
    the cap, as in Meteor, so a wait can reach 375 s.
    """
    if count < MIN_COUNT:
        return MIN_TIMEOUT_MS / 1000
    capped = min(MAX_TIMEOUT_MS, BASE_TIMEOUT_MS * EXPONENT**count)
    return capped * (fraction * FUZZ + (1 - FUZZ / 2)) / 1000
