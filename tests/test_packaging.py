"""What installers and desktops read: the wheel's resources, the icons, .desktop and AppStream files.

The PyInstaller build itself is checked by packaging/smoke.sh (run by .ci/run
after the tests): it takes minutes and a second toolchain, not a unit test.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from ddp_monitor import __version__
from ddp_monitor.ui.resources import APP_ICON_SIZES
from tests.timeouts import TOOL_TIMEOUT

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.ddp_monitor"

# Run inside the temporary venv: where the package and its resources come from.
_PROBE = """
import json, os, sys
from pathlib import Path
from types import ModuleType
from typing import get_args
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtGui import QGuiApplication
import ddp_monitor
from ddp_monitor.ui import resources
app = QGuiApplication([])
root = resources.resource_dir()
for name in get_args(resources.IconName):
    resources.icon_path(name)
sizes = sorted(s.width() for s in resources.app_icon().availableSizes())
styles = [len(resources.stylesheet(dark)) for dark in (False, True)]
print(json.dumps({
    "module": ddp_monitor.__file__,
    "prefix": sys.prefix,
    "root": str(root),
    "files": sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()),
    "icon_sizes": sizes,
    "styles": styles,
    "png_count": len(resources.app_icon_paths()),
}))
"""


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"{shlex.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    )
    return done


@pytest.mark.timeout(TOOL_TIMEOUT * 2)
def test_resources_load_from_an_installed_wheel(tmp_path: Path) -> None:
    """A wheel installed in a fresh venv finds every resource file, icon size and stylesheet, and its command runs."""
    wheels = tmp_path / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        wheels,
        ROOT,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("ddp_monitor-*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # --system-site-packages shows the base interpreter's packages, not this
    # venv's: one .pth line lends it this venv's PySide6 & co. (no 600 MB
    # download). The wheel's own copy of ddp_monitor comes first on sys.path;
    # the probe checks that it is the one imported.
    site = _run(
        python,
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
        cwd=tmp_path,
    )
    lent = sysconfig.get_path("purelib")
    (Path(site.stdout.strip()) / "lent-deps.pth").write_text(
        f"import site; site.addsitedir({lent!r})\n"
    )
    _run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=tmp_path)

    probe = json.loads(_run(python, "-c", _PROBE, cwd=tmp_path).stdout)

    assert Path(probe["module"]).is_relative_to(venv)
    assert (
        Path(probe["root"])
        == Path(probe["prefix"]) / "share" / "ddp-monitor" / "resources"
    )
    on_disk = sorted(
        p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file()
    )
    assert probe["files"] == on_disk
    assert probe["png_count"] == 8
    assert {16, 32, 256, 512} <= set(probe["icon_sizes"])
    assert all(probe["styles"])
    script = venv / "bin" / "ddp-monitor"
    version = _run(script, "--version", cwd=tmp_path).stdout.strip()
    assert version == f"ddp-monitor {__version__}"


def test_app_icon_pngs_match_the_svg() -> None:
    """The committed PNG icons are what render_icons.py draws from app.svg today (within its tolerance)."""
    done = subprocess.run(
        [sys.executable, PACKAGING / "render_icons.py", "--check"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _render_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_icons", PACKAGING / "render_icons.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_icon_check_forgives_a_machines_rounding(qapp: QApplication) -> None:
    """A rendering a few colour levels off at the edges (another machine's rasteriser) is not stale."""
    render_icons = _render_icons()
    fresh = render_icons.render(256)
    nudged = QImage(fresh)
    for x, y in [(40, 128), (128, 40), (200, 200), (71, 90), (128, 128)]:
        colour = nudged.pixelColor(x, y)
        colour.setGreen(min(255, colour.green() + 1))
        colour.setBlue(max(0, colour.blue() - render_icons.TOLERANCE))
        nudged.setPixelColor(x, y, colour)
    assert nudged != fresh
    assert render_icons.matches(nudged, fresh)


@pytest.mark.parametrize(
    ("edit", "replacement"),
    [
        pytest.param("#4fd18b", "#4fd19b", id="stroke colour"),
        pytest.param("l5-14", "l5-15", id="one point moved"),
        pytest.param('rx="12"', 'rx="10"', id="corner radius"),
    ],
)
def test_icon_check_catches_an_edited_svg(
    qapp: QApplication, tmp_path: Path, edit: str, replacement: str
) -> None:
    """After a small edit of app.svg, the committed PNG of every size is reported stale."""
    render_icons = _render_icons()
    svg = render_icons.SOURCE.read_text()
    assert edit in svg
    edited = tmp_path / "app.svg"
    edited.write_text(svg.replace(edit, replacement))
    assert render_icons.stale() == []
    assert len(render_icons.stale(edited)) == len(APP_ICON_SIZES)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_launches_the_console_script() -> None:
    """The .desktop entry runs the installed `ddp-monitor` command with the app's icon name."""
    entry = _desktop_entry()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry["Type"] == "Application"
    assert shlex.split(entry["Exec"])[0] in scripts
    assert entry["Icon"] == APP_ID
    assert entry["Categories"].endswith(";")
    assert entry["Terminal"] == "false"


def test_metainfo_is_well_formed_and_names_the_desktop_file() -> None:
    """The AppStream file parses as XML and points at the .desktop file and the binary."""
    tree = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml")
    component = tree.getroot()
    assert component.tag == "component"
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == f"{APP_ID}.desktop"
    assert component.findtext("provides/binary") == "ddp-monitor"
    assert component.findtext("name") == _desktop_entry()["Name"]
    for tag in ("summary", "metadata_license", "project_license"):
        assert (component.findtext(tag) or "").strip(), tag
