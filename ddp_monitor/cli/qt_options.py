"""Qt's own command-line options for the window: told apart from ours, checked, passed on.

Owns ``split`` (which words are Qt's: ``-style Fusion``, ``-platform xcb``,
``-reverse``...) and ``problem`` (a Qt option that would abort Qt or be
ignored: an unknown style or platform, a missing style sheet, in words); imports the standard library, and PySide6 inside
``problem`` only, so the headless commands still start without Qt.

``QApplication`` takes these options from the argument list it is given and
removes them (QGuiApplication: platform, plugins, window geometry, title and
icon, session, layout direction; QApplication: style and style sheet; X11's
display and synchronous mode). Qt accepts each with one dash or two. An
unknown ``-platform`` makes Qt abort the process (``qFatal``) and an unknown
``-style`` is ignored with a warning, so both are checked here first and
refused with the names Qt does have.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["TAKES_VALUE", "WITHOUT_VALUE", "problem", "split"]

#: Options followed by a value (``-style Fusion``, or ``-style=Fusion``).
TAKES_VALUE = frozenset(
    {
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qwindowgeometry",
        "-qwindowtitle",
        "-qwindowicon",
        "-session",
        "-style",
        "-stylesheet",
        "-display",
        "-geometry",
        "-title",
        "-name",
    }
)
#: Options on their own.
WITHOUT_VALUE = frozenset(
    {"-reverse", "-widgetcount", "-sync", "-nograb", "-dograb", "-testability"}
)


def _name(word: str) -> str:
    """``--style=x`` -> ``-style``: Qt drops a second dash and reads up to ``=``."""
    if word.startswith("--"):
        word = word[1:]
    return word.split("=", 1)[0]


def split(words: Sequence[str]) -> tuple[list[str], list[str], str | None]:
    """Qt's words (for ``QApplication``), the rest (for our parser), and a problem.

    The problem is a Qt option that lacks its value, in words (None: none).
    """
    qt: list[str] = []
    rest: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        name = _name(word)
        if name in WITHOUT_VALUE or name == "-qmljsdebugger":
            qt.append(word)  # qmljsdebugger is only ever written with "="
        elif name in TAKES_VALUE:
            if "=" in word:
                qt.append(word)
            elif at + 1 < len(words):
                qt += [word, words[at + 1]]
                at += 1
            else:
                return qt, rest, f"Qt's option {word} needs a value"
        else:
            rest.append(word)
        at += 1
    return qt, rest, None


def _values(qt: Sequence[str], option: str) -> list[str]:
    """The values given to ``option`` in Qt's words, in either form."""
    found = []
    for at, word in enumerate(qt):
        if _name(word) != option:
            continue
        found.append(word.split("=", 1)[1] if "=" in word else qt[at + 1])
    return found


def problem(qt: Sequence[str]) -> str | None:
    """Why Qt's words cannot work (an unknown style or platform), or None."""
    from PySide6.QtWidgets import QStyleFactory

    styles = QStyleFactory.keys()
    for style in _values(qt, "-style"):
        if style.lower() not in (s.lower() for s in styles):
            return f"Qt has no style {style!r} (it has: {', '.join(styles)})"
    for sheet in _values(qt, "-stylesheet"):
        if not Path(sheet).is_file():
            return f"the style sheet {sheet!r} is not a file"
    platforms = _platforms(_values(qt, "-platformpluginpath"))
    for platform in _values(qt, "-platform"):
        name = platform.split(":", 1)[0]  # "-platform xcb:option=value"
        if platforms and name not in platforms:
            return (
                f"Qt has no platform {name!r} (it has: {', '.join(sorted(platforms))})"
            )
    return None


def _platforms(extra_dirs: Sequence[str]) -> set[str]:
    """The platform names of the plugins Qt would look at (their metadata, not loaded)."""
    from PySide6.QtCore import QCoreApplication, QPluginLoader

    folders = [Path(d) / "platforms" for d in QCoreApplication.libraryPaths()]
    folders += [Path(d) for d in extra_dirs]
    plugin_path = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if plugin_path:
        folders += [Path(d) for d in plugin_path.split(os.pathsep) if d]
    names: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for plugin in folder.iterdir():
            meta = QPluginLoader(str(plugin)).metaData().get("MetaData")
            if isinstance(meta, dict):
                names.update(str(k) for k in meta.get("Keys", ()))
    return names
