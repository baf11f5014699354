"""Profiles on disk: round trips, migration, atomic saves, corrupt files, secrets in a keyring."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ddp_monitor.profiles import (
    CURRENT_VERSION,
    BatterySchedule,
    LoginKind,
    LoginSpec,
    Profile,
    ProfileError,
    ProfileStore,
    SecretStore,
    SecretsUnavailable,
    SubscriptionSpec,
    atomic_write,
)
from tests.keyrings import MemoryKeyring
from tests.timeouts import TIMEOUT


def sample() -> list[Profile]:
    return [
        Profile(
            "staging \N{ROCKET}",
            "https://staging.example.com",
            ddp_version="1",
            subscriptions=(
                SubscriptionSpec("tasks"),
                SubscriptionSpec(
                    "since", (datetime(2024, 5, 1, tzinfo=UTC), {"$weird": 1}, b"\x00")
                ),
            ),
            auto_connect=True,
            login=LoginSpec(LoginKind.PASSWORD, "ada@example.com"),
            verify_tls=False,
            battery_schedule=BatterySchedule(45.0, 5.5),
            resume_sessions=False,
        ),
        Profile("local", "ws://127.0.0.1:3000/websocket"),
        Profile(
            "hosted here",
            "ws://127.0.0.1:41234/websocket",
            hosted_server=True,
            notify=True,
        ),
    ]


def test_profiles_round_trip_through_a_readable_file(tmp_path: Path) -> None:
    """Every field of every profile comes back as saved, from an indented JSON file."""
    store = ProfileStore(tmp_path / "profiles.json")
    profiles = sample()
    store.save(profiles)
    assert ProfileStore(store.path).load() == profiles
    text = store.path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["version"] == CURRENT_VERSION
    assert [p["name"] for p in data["profiles"]] == [p.name for p in profiles]
    assert "\n  " in text
    assert "\N{ROCKET}" in text


def test_a_file_from_before_session_resumption_resumes(tmp_path: Path) -> None:
    """A profile saved without the resumption switch has it on (Meteor's newest default)."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(sample())
    data = json.loads(store.path.read_text(encoding="utf-8"))
    for profile in data["profiles"]:
        del profile["resume_sessions"]
    store.path.write_text(json.dumps(data), encoding="utf-8")
    assert all(p.resume_sessions for p in ProfileStore(store.path).load())


def test_a_file_from_before_notifications_notifies_nothing(tmp_path: Path) -> None:
    """A profile saved without the notification switch has it off (the default)."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(sample())
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert [p["notify"] for p in data["profiles"]] == [False, False, True]
    for profile in data["profiles"]:
        del profile["notify"]
    store.path.write_text(json.dumps(data), encoding="utf-8")
    assert not any(p.notify for p in ProfileStore(store.path).load())


def test_a_file_from_before_hosted_server_profiles_opens_its_urls(
    tmp_path: Path,
) -> None:
    """A profile saved without the hosted-server flag keeps its URL; a wrong value is named."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(sample())
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert [p["hosted_server"] for p in data["profiles"]] == [False, False, True]
    for profile in data["profiles"]:
        del profile["hosted_server"]
    store.path.write_text(json.dumps(data), encoding="utf-8")
    assert not any(p.hosted_server for p in ProfileStore(store.path).load())
    data["profiles"][0]["hosted_server"] = "yes"
    store.path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"profiles\[0\]\.hosted_server: 'yes'"):
        ProfileStore(store.path).load()


def test_missing_file_is_an_empty_list(tmp_path: Path) -> None:
    """On first start there are no profiles and no error."""
    assert ProfileStore(tmp_path / "none" / "profiles.json").load() == []


def test_version_0_file_is_migrated_and_its_password_moves_to_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """An older file is upgraded: the old one is kept, its plain password goes to the keyring."""
    path = tmp_path / "profiles.json"
    old = {
        "connections": [
            {
                "name": "prod",
                "url": "https://app.example.com",
                "subscriptions": [["tasks", [{"$date": 0}]]],
                "autoConnect": True,
                "username": "ada",
                "password": "hunter2",
            },
            {"name": "local", "url": "localhost:3000"},
        ]
    }
    path.write_text(json.dumps(old))
    store = ProfileStore(path)
    prod, local = store.load()
    assert (prod.name, prod.url, prod.auto_connect) == (
        "prod",
        "https://app.example.com",
        True,
    )
    assert prod.subscriptions == (
        SubscriptionSpec("tasks", (datetime(1970, 1, 1, tzinfo=UTC),)),
    )
    assert prod.login == LoginSpec(LoginKind.PASSWORD, "ada")
    assert local.login.kind is LoginKind.NONE
    assert store.secrets.get(SecretStore.key(prod)) == "hunter2"
    assert "hunter2" not in path.read_text()
    assert json.loads(path.read_text())["version"] == CURRENT_VERSION
    [backup] = tmp_path.glob("profiles.json.v0-*")
    assert "hunter2" not in backup.read_text()
    without_password = json.loads(json.dumps(old))
    del without_password["connections"][0]["password"]
    assert json.loads(backup.read_text()) == without_password
    assert ProfileStore(path).load() == [prod, local]


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_the_backup_of_an_upgrade_keeps_the_files_permissions(
    tmp_path: Path, memory_keyring: MemoryKeyring, mode: int
) -> None:
    """The kept version-0 file is no more readable than the original was."""
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps({"connections": [{"name": "a", "url": "h:1"}]}))
    path.chmod(mode)
    ProfileStore(path).load()
    [backup] = tmp_path.glob("profiles.json.v0-*")
    assert stat.S_IMODE(backup.stat().st_mode) == mode


def test_without_a_keyring_the_backup_keeps_the_password_for_you_alone(
    tmp_path: Path, no_keyring: None
) -> None:
    """Passwords the keyring cannot take stay in the backup, readable by the user only, and the notice says so."""
    path = tmp_path / "profiles.json"
    old = {
        "connections": [
            {"name": "p", "url": "h:1", "username": "ada", "password": "hunter2"}
        ]
    }
    path.write_text(json.dumps(old))
    path.chmod(0o644)
    store = ProfileStore(path, SecretStore(tmp_path / "secrets.json"))
    store.load()
    [backup] = tmp_path.glob("profiles.json.v0-*")
    assert json.loads(backup.read_text()) == old
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert any("readable by you alone" in notice for notice in store.notices)
    assert "hunter2" not in path.read_text()


def test_temp_files_of_saves_that_died_are_swept(tmp_path: Path) -> None:
    """Temp files a killed save left are removed at the next load; one being written now is left alone."""
    path = tmp_path / "profiles.json"
    ProfileStore(path).save([Profile("a", "h:1")])
    stale = [tmp_path / f".profiles.json.dead{n}.tmp" for n in range(3)]
    for temp in stale:
        temp.write_text("{")
        old = time.time() - 3600
        os.utime(temp, (old, old))
    fresh = tmp_path / ".profiles.json.live.tmp"
    fresh.write_text("{")
    assert [p.name for p in ProfileStore(path).load()] == ["a"]
    assert sorted(tmp_path.glob(".profiles.json.*.tmp")) == [fresh]


def test_interrupted_save_leaves_the_old_file_intact(tmp_path: Path) -> None:
    """A save that dies halfway (disk full) leaves the previous file whole and no temp file."""
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(sample())
    before = store.path.read_bytes()

    def half_then_fail() -> Iterator[str]:
        yield before.decode()[: len(before) // 2]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(store.path, half_then_fail())
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles.json"]


def test_process_killed_mid_save_leaves_the_old_file_intact(tmp_path: Path) -> None:
    """A process that dies in the middle of writing (no cleanup at all) cannot corrupt the file."""
    store = ProfileStore(tmp_path / "profiles.json")
    profiles = sample()
    store.save(profiles)
    before = store.path.read_bytes()
    crash = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from ddp_monitor.profiles import atomic_write\n"
        "def chunks():\n"
        '    yield \'{"version": 1, "profiles": [\' * 1000\n'
        "    os._exit(9)  # the process dies here, half written\n"
        "atomic_write(Path(sys.argv[1]), chunks())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", crash, str(store.path)], timeout=TIMEOUT, check=False
    )
    assert done.returncode == 9
    assert store.path.read_bytes() == before
    assert ProfileStore(store.path).load() == profiles


def test_corrupt_file_is_reported_and_kept_aside(tmp_path: Path) -> None:
    """A broken file is named with the reason, moved to a backup, and never overwritten."""
    path = tmp_path / "profiles.json"
    path.write_text('{"version": 1, "profiles": [')
    store = ProfileStore(path)
    with pytest.raises(ProfileError) as first:
        store.load()
    assert first.value.path == path
    assert "not valid JSON" in first.value.reason
    assert first.value.backup is not None
    assert first.value.backup.read_text() == '{"version": 1, "profiles": ['
    assert not path.exists()
    store.save(sample())  # a fresh start is allowed once the bad file is aside
    path.write_text('{"version": 1, "profiles": [{"name": 3}]}')
    with pytest.raises(ProfileError) as second:
        store.load()
    assert "profiles[0]" in second.value.reason
    assert second.value.backup != first.value.backup
    assert first.value.backup.read_text() == '{"version": 1, "profiles": ['


def test_file_from_a_newer_release_is_never_overwritten(tmp_path: Path) -> None:
    """A file a newer ddp-monitor wrote is left alone: loading says so, saving refuses."""
    path = tmp_path / "profiles.json"
    path.write_text('{"version": 99, "profiles": []}')
    store = ProfileStore(path)
    with pytest.raises(ProfileError, match="newer ddp-monitor"):
        store.load()
    with pytest.raises(ProfileError, match="not saved"):
        store.save(sample())
    assert path.read_text() == '{"version": 99, "profiles": []}'


def test_unreadable_file_is_reported_and_not_replaced(tmp_path: Path) -> None:
    """A path the app cannot read is reported with the reason and left as it is."""
    path = tmp_path / "profiles.json"
    path.mkdir()  # reading a directory fails, even for root
    store = ProfileStore(path)
    with pytest.raises(ProfileError, match="cannot be read"):
        store.load()
    with pytest.raises(ProfileError):
        store.save(sample())
    assert path.is_dir()


def test_secrets_go_to_the_keyring_not_the_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """A profile's password is stored in the keyring and read back; the file never holds it."""
    store = ProfileStore(tmp_path / "profiles.json")
    profile = sample()[0]
    store.secrets.set(SecretStore.key(profile), "s3cret \N{HORSE}")
    store.save([profile])
    assert store.secrets.keyring_available
    assert memory_keyring.passwords == {
        ("ddp-monitor", f"{profile.id}/password"): "s3cret \N{HORSE}"
    }
    assert ProfileStore(store.path).secrets.get(SecretStore.key(profile)) == (
        "s3cret \N{HORSE}"
    )
    assert "s3cret" not in store.path.read_text()
    store.secrets.delete(SecretStore.key(profile))
    assert store.secrets.get(SecretStore.key(profile)) is None


def test_without_a_keyring_secrets_need_consent_then_go_to_a_private_file(
    tmp_path: Path, no_keyring: None
) -> None:
    """With no keyring nothing is stored until the user agrees; then only in a 0600 file."""
    secrets = SecretStore(tmp_path / "secrets.json")
    assert not secrets.keyring_available
    with pytest.raises(SecretsUnavailable, match="no keyring"):
        secrets.set("p/password", "pw")
    assert not secrets.plain_path.exists()
    secrets.plain_text_allowed = True
    secrets.set("p/password", "pw")
    assert secrets.get("p/password") == "pw"
    assert stat.S_IMODE(os.stat(secrets.plain_path).st_mode) == 0o600


def test_export_then_import_gives_the_same_profiles(tmp_path: Path) -> None:
    """Exported profiles import elsewhere unchanged; a non-profile file is refused clearly."""
    out = tmp_path / "shared" / "team.json"
    profiles = sample()
    ProfileStore.write(out, profiles)
    assert ProfileStore.read(out) == profiles
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ProfileError, match="cannot be imported"):
        ProfileStore.read(bad)
