"""Every icon and stylesheet the code names exists, and the wheel carries them all."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import get_args

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.status_look import look
from ddp_monitor.ui import resources

_ROOT = Path(__file__).resolve().parents[1]


def test_every_named_icon_and_stylesheet_is_a_file() -> None:
    """Each icon name and both stylesheets resolve to real, non-empty files."""
    for name in get_args(resources.IconName):
        path = resources.icon_path(name)
        assert path.read_text().lstrip().startswith("<svg"), path
    for dark in (False, True):
        assert "#statusBadge" in resources.stylesheet(
            dark
        ) or "#errorBanner" in resources.stylesheet(dark)


def test_every_status_has_an_icon_file() -> None:
    """The five statuses each name an icon that exists (colour is never the only signal)."""
    names = {
        look(Status(kind, kind is ConnectionStatus.CONNECTED)).icon
        for kind in ConnectionStatus
    }
    assert len(names) == 5
    for name in names:
        assert resources.icon_path(name).is_file()


def test_icon_names_used_in_the_code_are_known() -> None:
    """Every icon("...") call in the package names an icon of resources.IconName."""
    known = set(get_args(resources.IconName))
    used: set[str] = set()
    for path in (_ROOT / "ddp_monitor").rglob("*.py"):
        used |= set(re.findall(r'\bicon\("([\w-]+)"\)', path.read_text()))
    assert used
    assert used <= known


def test_the_wheel_installs_every_resource_file() -> None:
    """pyproject's data-files globs cover every file under resources/."""
    config = tomllib.loads((_ROOT / "pyproject.toml").read_text())
    globs = [
        g
        for files in config["tool"]["setuptools"]["data-files"].values()
        for g in files
    ]
    packed = {p for g in globs for p in _ROOT.glob(g)}
    on_disk = {p for p in (_ROOT / "resources").rglob("*") if p.is_file()}
    assert on_disk
    assert on_disk == packed
