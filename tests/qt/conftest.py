"""Fixtures for the Qt adaptor and model tests: the qasync harness.

Owns nothing of its own; re-exports ``qloop`` from ``tests.qt.harness``.
``tests/conftest.py`` sets QT_QPA_PLATFORM=offscreen before Qt loads.
"""

from __future__ import annotations

from tests.qt.harness import qloop

__all__ = ["qloop"]
