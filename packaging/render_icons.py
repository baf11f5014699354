"""Render resources/icons/app.svg to the PNG sizes the app and the desktops use.

Run from anywhere after editing app.svg, then commit the PNGs::

    python packaging/render_icons.py            # writes resources/icons/app-<size>.png
    python packaging/render_icons.py --check    # exit 1 if a PNG is missing or stale

Qt's own ``QSvgRenderer`` draws them (the renderer the app uses for the SVG),
so every size matches what the window shows. The sizes come from
``ddp_monitor.ui.resources.APP_ICON_SIZES``: one list for the renderer and the
loader.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ddp_monitor.ui.resources import APP_ICON_SIZES  # noqa: E402

__all__ = ["ICONS", "SOURCE", "render", "stale"]

ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "app.svg"


def render(size: int) -> QImage:
    """app.svg drawn on a transparent ``size`` x ``size`` image."""
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise ValueError(f"{SOURCE} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def stale() -> list[Path]:
    """The PNGs that are missing or differ from a fresh rendering."""
    out = []
    for size in APP_ICON_SIZES:
        path = ICONS / f"app-{size}.png"
        saved = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
        if saved.isNull() or saved != render(size):
            out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report missing or stale PNGs"
    )
    args = parser.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication([])
    if args.check:
        bad = stale()
        for path in bad:
            print(f"stale or missing: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if bad else 0
    for size in APP_ICON_SIZES:
        path = ICONS / f"app-{size}.png"
        if not render(size).save(str(path), "PNG"):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
