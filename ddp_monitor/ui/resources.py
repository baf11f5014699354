"""The one place that maps resource names to files under ``resources/``.

Owns icon and stylesheet lookup; imports QtGui and the standard library. In a
source checkout the files sit in the repository's ``resources/``; a wheel
installs them under ``<prefix>/share/ddp-monitor/resources`` (pyproject's
``[tool.setuptools.data-files]``). A missing file is an install bug and
raises ``FileNotFoundError`` naming the path, never a blank icon.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from PySide6.QtGui import QIcon, QPalette

__all__ = [
    "STYLESHEETS",
    "IconName",
    "icon",
    "icon_path",
    "is_dark",
    "resource_dir",
    "stylesheet",
]

IconName = Literal[
    "app",
    "arrow-in",
    "arrow-out",
    "battery",
    "clear",
    "export",
    "pause",
    "reconnect",
    "resume",
    "status-connected",
    "status-connecting",
    "status-failed",
    "status-offline",
    "status-waiting",
]
STYLESHEETS = ("light", "dark")

_SOURCE = Path(__file__).resolve().parents[2] / "resources"
_INSTALLED = Path(sys.prefix) / "share" / "ddp-monitor" / "resources"


@cache
def resource_dir() -> Path:
    """The ``resources`` folder: the checkout's, else the installed one."""
    for candidate in (_SOURCE, _INSTALLED):
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError(
        f"ddp-monitor's resources are missing: looked in {_SOURCE} and {_INSTALLED}"
    )


def icon_path(name: IconName | str) -> Path:
    """The SVG file of an icon; raises for a name that is not a known icon."""
    if name not in get_args(IconName):
        raise KeyError(f"no icon named {name!r}")
    path = resource_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"icon file missing: {path}")
    return path


@cache
def icon(name: IconName | str) -> QIcon:
    """A cached ``QIcon`` for ``name`` (``status-waiting``, ``reconnect``...)."""
    return QIcon(str(icon_path(name)))


def is_dark(palette: QPalette) -> bool:
    """True when the system palette has light text on a dark window."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def stylesheet(dark: bool) -> str:
    """The Qt stylesheet for the light or the dark palette."""
    path = resource_dir() / f"{STYLESHEETS[1] if dark else STYLESHEETS[0]}.qss"
    return path.read_text(encoding="utf-8")
