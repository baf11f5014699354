"""The one place that maps resource names to files under ``resources/``.

Owns icon and stylesheet lookup; imports QtGui and the standard library. In a
source checkout the files sit in the repository's ``resources/``; a wheel
installs them under ``<prefix>/share/ddp-monitor/resources`` (pyproject's
``[tool.setuptools.data-files]``); a PyInstaller bundle carries them in
``<sys._MEIPASS>/resources`` (packaging/ddp-monitor.spec). A missing file is an
install bug and raises ``FileNotFoundError`` naming the path, never a blank icon.

The application icon also comes as PNGs (``icons/app-<size>.png``, rendered
from ``app.svg`` by packaging/render_icons.py) so that it shows where Qt's SVG
plugin is missing and in the window managers that want bitmaps.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from PySide6.QtGui import QIcon, QPalette

__all__ = [
    "APP_ICON_SIZES",
    "STYLESHEETS",
    "IconName",
    "app_icon",
    "app_icon_paths",
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
#: The PNG renderings of the application icon, in pixels.
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

_SOURCE = Path(__file__).resolve().parents[2] / "resources"
_INSTALLED = Path(sys.prefix) / "share" / "ddp-monitor" / "resources"


def _candidates() -> tuple[Path, ...]:
    frozen = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if frozen is not None:
        return (Path(frozen) / "resources",)
    return (_SOURCE, _INSTALLED)


@cache
def resource_dir() -> Path:
    """The ``resources`` folder: the bundle's, else the checkout's, else the installed one."""
    candidates = _candidates()
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError(
        "ddp-monitor's resources are missing: looked in "
        + " and ".join(str(c) for c in candidates)
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


def app_icon_paths() -> list[Path]:
    """The application icon's PNG files, smallest first; raises if one is missing."""
    paths = [resource_dir() / "icons" / f"app-{size}.png" for size in APP_ICON_SIZES]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"icon file missing: {path}")
    return paths


@cache
def app_icon() -> QIcon:
    """The window and task-bar icon: every PNG size, then the SVG for the rest."""
    result = QIcon()
    for path in app_icon_paths():
        result.addFile(str(path))
    result.addFile(str(icon_path("app")))
    return result


def is_dark(palette: QPalette) -> bool:
    """True when the system palette has light text on a dark window."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def stylesheet(dark: bool) -> str:
    """The Qt stylesheet for the light or the dark palette."""
    path = resource_dir() / f"{STYLESHEETS[1] if dark else STYLESHEETS[0]}.qss"
    return path.read_text(encoding="utf-8")
