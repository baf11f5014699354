"""View > Theme: system, light or dark, applied to the running window at once and remembered.

The window as ``ddp-monitor`` builds it (``open_session``), with the app's
``ThemeSwitch`` bound as ``app.desktop`` binds it; the offscreen platform has
a light palette and cannot switch its own, so Dark is our palette.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ddp_monitor.app.desktop import bind_theme, open_session
from ddp_monitor.ui.resources import is_dark, stylesheet
from ddp_monitor.ui.theme import SETTING, Theme, ThemeSwitch, saved_theme
from tests.qt.harness import demo_server, run


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _contrast(palette: QPalette) -> int:
    role = QPalette.ColorRole
    return abs(
        palette.color(role.Text).lightness() - palette.color(role.Base).lightness()
    )


def test_the_view_menu_turns_the_window_dark_and_back_and_remembers(
    qloop: asyncio.AbstractEventLoop,
    qapp: QApplication,
    switch: ThemeSwitch,
    tmp_path: Path,
) -> None:
    """Dark from the menu: the palette and style sheet are dark now, and the next window starts dark."""
    settings = _settings(tmp_path)

    async def scenario() -> dict[str, object]:
        # An in-process demo server: the theme is the point, not a hosted one.
        async with demo_server() as server:
            return await _two_starts(str(server.url))

    async def _two_starts(url: str) -> dict[str, object]:
        session = await open_session(url, settings)
        window = session.window
        bind_theme(window, switch)
        seen: dict[str, object] = {
            "checked_first": window.theme_actions[Theme.SYSTEM].isChecked(),
            "dark_first": is_dark(qapp.palette()),
        }
        window.show()
        window.theme_actions[Theme.DARK].trigger()
        seen["dark"] = is_dark(qapp.palette())
        seen["badge_dark"] = is_dark(window.badge.palette())
        seen["sheet"] = qapp.styleSheet() == stylesheet(dark=True)
        seen["contrast"] = _contrast(qapp.palette())
        seen["saved"] = settings.value(SETTING)
        window.close()
        await session.close()
        # The next start (a new process: the system's look, no sheet yet), with
        # the switch made from what the settings keep, as run() makes it.
        switch.set_theme(Theme.SYSTEM)
        qapp.setStyleSheet("")
        again = await open_session(url, settings)
        restarted = ThemeSwitch(qapp, saved_theme(settings))
        bind_theme(again.window, restarted)
        seen["restarted_dark"] = is_dark(qapp.palette())
        seen["restarted_checked"] = again.window.theme_actions[Theme.DARK].isChecked()
        again.window.theme_actions[Theme.LIGHT].trigger()
        seen["light"] = not is_dark(qapp.palette())
        seen["light_sheet"] = qapp.styleSheet() == stylesheet(dark=False)
        again.window.theme_actions[Theme.SYSTEM].trigger()
        seen["system_light"] = not is_dark(qapp.palette())
        restarted.setParent(None)
        restarted.deleteLater()
        again.window.close()
        await again.close()
        return seen

    seen = run(qloop, scenario())
    assert seen["checked_first"]
    assert not seen["dark_first"]
    assert seen["dark"]
    assert seen["badge_dark"]  # every widget, not only the application's palette
    assert seen["sheet"]
    assert isinstance(seen["contrast"], int)
    assert seen["contrast"] > 150  # text stays legible on its background
    assert seen["saved"] == "dark"
    assert seen["restarted_dark"]
    assert seen["restarted_checked"]
    assert seen["light"]
    assert seen["light_sheet"]
    assert seen["system_light"]


def test_a_corrupt_theme_setting_follows_the_system_and_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A value no release wrote: the system's theme, a warning naming it, and the value left alone."""
    settings = _settings(tmp_path)
    settings.setValue(SETTING, "purple")
    with caplog.at_level(logging.WARNING, logger="ddp_monitor.ui.theme"):
        assert saved_theme(settings) is Theme.SYSTEM
    assert "'purple' is not one of system, light, dark" in caplog.text
    assert settings.value(SETTING) == "purple"


def test_a_style_sheet_given_to_qt_stays_after_ours(
    qapp: QApplication, tmp_path: Path
) -> None:
    """`-stylesheet FILE` (Qt's own option) is kept after our sheet, through every change."""
    mine = tmp_path / "mine.qss"
    mine.write_text("QLabel { color: #123456; }", encoding="utf-8")
    qapp.setStyleSheet(f"file:///{mine}")  # what Qt makes of -stylesheet FILE
    made = ThemeSwitch(qapp, Theme.DARK)
    try:
        assert qapp.styleSheet().startswith(stylesheet(dark=True))
        assert qapp.styleSheet().endswith("QLabel { color: #123456; }")
        made.set_theme(Theme.LIGHT)
        assert qapp.styleSheet().startswith(stylesheet(dark=False))
        assert qapp.styleSheet().endswith("QLabel { color: #123456; }")
    finally:
        made.set_theme(Theme.SYSTEM)
        qapp.setStyleSheet("")
        made.setParent(None)
        made.deleteLater()
