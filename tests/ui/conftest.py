"""Fixtures for the widget tests: the qasync harness and the app's theme switch.

Re-exports ``qloop`` from ``tests.qt.harness``; owns ``switch``.
``tests/conftest.py`` sets QT_QPA_PLATFORM=offscreen before Qt loads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from ddp_monitor.ui.theme import Theme, ThemeSwitch
from tests.qt.harness import qloop

__all__ = ["qloop", "switch"]


@pytest.fixture
def switch(qapp: QApplication) -> Iterator[ThemeSwitch]:
    """The app's theme switch; afterwards the application is as the other tests expect it."""
    made = ThemeSwitch(qapp)
    yield made
    made.set_theme(Theme.SYSTEM)
    qapp.setStyleSheet("")
    made.setParent(None)
    made.deleteLater()
