"""The profile list model under Qt's model tester, through every edit the window makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from ddp_monitor.profiles import (
    LoginKind,
    LoginSpec,
    Profile,
    ProfileStore,
    SecretStore,
)
from ddp_monitor.qt.profile_model import PROFILE_ROLE, ProfileListModel
from tests.keyrings import MemoryKeyring


def _model(tmp_path: Path) -> ProfileListModel:
    store = ProfileStore(
        tmp_path / "profiles.json", SecretStore(tmp_path / "secrets.json")
    )
    return ProfileListModel(store)


def test_profile_model_stays_consistent_through_every_edit(
    qtmodeltester: Any, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Add, replace, duplicate, import and delete keep the list valid for Qt's views."""
    model = _model(tmp_path)
    model.load()
    qtmodeltester.check(model, force_py=True)  # watches every edit below
    local = Profile("local", "http://localhost:3000")
    staging = Profile(
        "staging",
        "wss://staging.example.com/websocket",
        login=LoginSpec(LoginKind.PASSWORD, "ada@example.com"),
        verify_tls=False,
    )
    model.add(local)
    model.add(staging)
    model.replace(Profile("local (3001)", "http://localhost:3001", id=local.id))
    copy = model.duplicate(staging.id)
    assert copy is not None
    exported = tmp_path / "export.json"
    assert model.export_to(exported)
    added = model.import_from(exported)
    model.remove(staging.id)
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert names == [
        "local (3001)",
        "staging (copy)",
        "local (3001)",
        "staging",
        "staging (copy)",
    ]
    assert len(added) == 3
    assert len({p.id for p in model.profiles}) == 5
    model.load()  # a reset, read back from the file
    assert [p.name for p in model.profiles] == names


def test_profile_rows_show_name_url_login_and_tls_warning(
    qtmodeltester: Any, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """A row reads as its name; its tooltip gives the URL, who logs in and a TLS warning."""
    model = _model(tmp_path)
    staging = Profile(
        "staging",
        "wss://staging.example.com/websocket",
        login=LoginSpec(LoginKind.PASSWORD, "ada@example.com"),
        verify_tls=False,
    )
    model.add(staging)
    qtmodeltester.check(model, force_py=True)
    at = model.index(0, 0)
    tip = model.data(at, Qt.ItemDataRole.ToolTipRole)
    assert model.data(at) == "staging"
    assert model.data(at, PROFILE_ROLE) is staging
    assert "wss://staging.example.com/websocket" in tip
    assert "ada@example.com" in tip
    assert "certificate checks OFF" in tip
    assert model.data(model.index(5, 0)) is None
    assert model.rowCount(at) == 0
    assert model.rowCount(QModelIndex()) == 1


def test_a_hosted_server_profile_reads_as_such_not_as_its_old_port(
    tmp_path: Path,
) -> None:
    """Its tooltip says it follows the window's server; the port it last had is not shown."""
    model = _model(tmp_path)
    model.add(Profile("mine", "ws://127.0.0.1:41234/websocket", hosted_server=True))
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("the server this window hosts")
    assert "41234" not in tip
