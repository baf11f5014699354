"""Light or dark: the system's choice, or the user's from the View menu, applied live.

Owns ``Theme`` (system, light, dark), ``saved_theme`` (the choice as the
window's settings keep it) and ``ThemeSwitch`` (puts a choice on the running
application); imports QtCore/QtGui/QtWidgets and ``ui.resources`` (the two
style sheets). Issue 13 item 15.

How a choice is put on the application: Qt 6.8's ``setColorScheme`` first,
so that where the platform can (Windows, macOS, GNOME) its own widgets and
title bars follow; where the palette did not follow (X11 without a desktop
theme, the offscreen platform), a palette of our own, light or dark, for
every role. "System" takes both back: the platform's palette returns and
its changes are followed, as before the menu existed. The style sheet is
picked by the palette the application ends up with, and a sheet given on
the command line (``-stylesheet``) stays in force after ours.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ddp_monitor.ui.resources import is_dark, stylesheet

__all__ = ["SETTING", "Theme", "ThemeSwitch", "palette", "saved_theme"]

log = logging.getLogger(__name__)

#: Where the window's settings keep the choice.
SETTING = "view/theme"


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def saved_theme(settings: QSettings) -> Theme:
    """The remembered choice; a value no release wrote follows the system (and is logged).

    The bad value stays in the settings until the user picks a theme, so
    nothing is lost by reading it.
    """
    value = settings.value(SETTING)
    if value is None:
        return Theme.SYSTEM
    try:
        return Theme(str(value))
    except ValueError:
        log.warning(
            "the saved theme %r is not one of %s: following the system",
            value,
            ", ".join(Theme),
        )
        return Theme.SYSTEM


_R = QPalette.ColorRole
#: Role -> (light, dark). Light is Fusion's own; dark keeps the same contrast.
_COLOURS = {
    _R.Window: ("#efefef", "#2b2d30"),
    _R.WindowText: ("#000000", "#dfe1e5"),
    _R.Base: ("#ffffff", "#1e1f22"),
    _R.AlternateBase: ("#f7f7f7", "#26282b"),
    _R.ToolTipBase: ("#ffffdc", "#3a3c40"),
    _R.ToolTipText: ("#000000", "#dfe1e5"),
    _R.PlaceholderText: ("#7f7f7f", "#8a8f98"),
    _R.Text: ("#000000", "#dfe1e5"),
    _R.Button: ("#efefef", "#35373b"),
    _R.ButtonText: ("#000000", "#dfe1e5"),
    _R.BrightText: ("#ffffff", "#ffffff"),
    _R.Light: ("#ffffff", "#4a4c50"),
    _R.Midlight: ("#cacaca", "#3e4044"),
    _R.Mid: ("#b8b8b8", "#303236"),
    _R.Dark: ("#9f9f9f", "#1a1b1e"),
    _R.Shadow: ("#767676", "#0e0f10"),
    _R.Highlight: ("#308cc6", "#2f65ca"),
    _R.HighlightedText: ("#ffffff", "#ffffff"),
    _R.Link: ("#0000ff", "#6aa5ff"),
    _R.LinkVisited: ("#ff00ff", "#b48cff"),
}
#: Greyed text of disabled widgets, light and dark.
_DISABLED = ("#bebebe", "#6b6f76")


def palette(dark: bool) -> QPalette:
    """Our own light or dark palette, every role set (the platform gave none)."""
    made = QPalette()
    for role, pair in _COLOURS.items():
        made.setColor(role, QColor(pair[dark]))
    for role in (_R.WindowText, _R.Text, _R.ButtonText):
        made.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DISABLED[dark]))
    return made


class ThemeSwitch(QObject):
    """Puts ``theme`` on ``app`` now, and each new choice as it is made.

    With ``Theme.SYSTEM`` the style sheet follows the system's own changes.
    """

    def __init__(self, app: QApplication, theme: Theme = Theme.SYSTEM) -> None:
        super().__init__(app)
        self.app = app
        self.theme = theme
        self._own_palette = False
        self._user_sheet = _sheet_text(app.styleSheet())  # from -stylesheet
        app.styleHints().colorSchemeChanged.connect(self._system_changed)
        self.set_theme(theme)

    def set_theme(self, theme: Theme | str) -> None:
        """Apply ``theme`` (a ``Theme`` or its value) to the whole application."""
        theme = Theme(theme)
        self.theme = theme
        app, hints = self.app, self.app.styleHints()
        if theme is Theme.SYSTEM:
            hints.unsetColorScheme()
            if self._own_palette:
                # A palette that sets no role resolves to the platform's again.
                app.setPalette(QPalette())
                self._own_palette = False
        else:
            dark = theme is Theme.DARK
            hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
            if self._own_palette or is_dark(app.palette()) != dark:
                app.setPalette(palette(dark))
                self._own_palette = True
        self._restyle()

    @property
    def dark(self) -> bool:
        """The application shows the dark style now."""
        return is_dark(self.app.palette())

    def _system_changed(self, *_: object) -> None:
        if self.theme is Theme.SYSTEM:
            self._restyle()

    def _restyle(self) -> None:
        ours = stylesheet(self.dark)
        self.app.setStyleSheet(
            f"{ours}\n{self._user_sheet}" if self._user_sheet else ours
        )


def _sheet_text(sheet: str) -> str:
    """A style sheet's text; ``-stylesheet PATH`` gives Qt ``file:///PATH``."""
    if not sheet.startswith("file:///"):
        return sheet
    path = Path(sheet[len("file:///") :])  # as QStyleSheetStyle reads it
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("the style sheet %s cannot be read: %s", path, exc)
        return ""
