"""Render resources/icons/app.svg to the PNG sizes the app and the desktops use.

Run from anywhere after editing app.svg, then commit the PNGs::

    python packaging/render_icons.py            # writes resources/icons/app-<size>.png
    python packaging/render_icons.py --check    # exit 1 if a PNG is missing or stale

Qt's own ``QSvgRenderer`` draws them (the renderer the app uses for the SVG),
so every size matches what the window shows. The sizes come from
``ddp_monitor.ui.resources.APP_ICON_SIZES``: one list for the renderer and the
loader.

``--check`` compares with a tolerance: Qt's rasteriser rounds antialiased edges
differently from one machine to the next (a fresh machine of the same kind drew
5 of 65,536 pixels one colour level off), while an edit of the SVG moves many
pixels by far more than that.
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

__all__ = ["ICONS", "SOURCE", "TOLERANCE", "matches", "render", "stale"]

ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "app.svg"

# Colour levels (of 255) a channel may differ by before a pixel counts as
# changed: antialiasing rounding stays within a few levels, any edit goes past.
TOLERANCE = 8


def render(size: int, source: Path = SOURCE) -> QImage:
    """``source`` (app.svg) drawn on a transparent ``size`` x ``size`` image."""
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"{source} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def matches(saved: QImage, fresh: QImage) -> bool:
    """True when two images have one size and no channel differs by more than TOLERANCE."""
    if saved.isNull() or saved.size() != fresh.size():
        return False
    argb = QImage.Format.Format_ARGB32
    a = bytes(saved.convertToFormat(argb).constBits())
    b = bytes(fresh.convertToFormat(argb).constBits())
    if a == b:
        return True
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= TOLERANCE


def stale(source: Path = SOURCE) -> list[Path]:
    """The PNGs that are missing or differ from a fresh rendering of ``source``."""
    return [
        ICONS / f"app-{size}.png"
        for size in APP_ICON_SIZES
        if not matches(QImage(str(ICONS / f"app-{size}.png")), render(size, source))
    ]


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
