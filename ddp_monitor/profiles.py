"""Connection profiles: the ``Profile`` value, its JSON file, and the secrets beside it.

Owns ``Profile`` (and its parts), ``ProfileStore`` (one human-readable JSON file
``{"version": N, "profiles": [...]}`` in platformdirs' user config directory,
written atomically, migrated from older versions), ``SecretStore`` (passwords
and resume tokens in the OS keyring through ``keyring``, never in that file)
and ``ProfileError``. Imports the standard library, platformdirs, keyring (when
a secret is first read or written), ``ddp`` values (EJSON for subscription
params, ids) and ``steps`` (a profile's saved calls and scenarios, issue 16).

Failure rules (issue 6): a file that cannot be parsed is moved aside under a
new backup name (never overwritten) and reported; a file that cannot be read,
or that a newer release wrote, is left alone and the store refuses to save
over it. A save is a temp file in the same directory, fsync, ``os.replace``:
a crash at any moment leaves the old file or the new one, never half of one;
the temp files of saves that died are swept at the next load or save. An
upgraded file's backup keeps the original's permissions and none of its
passwords (those move to the keyring).

Over 300 lines: the file format, its migration and its secrets are one
contract; splitting them would spread the version rules over three modules.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import stat
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import platformdirs

from ddp_monitor.ddp.ejson import from_json_value, to_json_value
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.ddp.messages import SUPPORTED_VERSIONS
from ddp_monitor.steps import (
    SavedCall,
    Scenario,
    Unreadable,
    saved_calls_from_json,
    saved_calls_to_json,
    scenarios_from_json,
    scenarios_to_json,
)

__all__ = [
    "CURRENT_VERSION",
    "BatterySchedule",
    "LoginKind",
    "LoginSpec",
    "Profile",
    "ProfileError",
    "ProfileStore",
    "SecretStore",
    "SecretsUnavailable",
    "SubscriptionSpec",
    "atomic_write",
    "client_options",
    "default_path",
    "migrate",
    "sweep_temp_files",
]

#: Version 1: the shape ``_to_json`` writes. Version 0 (no "version" key) is the
#: older ``{"connections": [...]}`` shape, with a plain-text password.
CURRENT_VERSION = 1
APP_NAME = "ddp-monitor"


class ProfileError(Exception):
    """The profiles file could not be used; ``backup`` is where it was moved."""

    def __init__(self, path: Path, reason: str, backup: Path | None = None) -> None:
        self.path, self.reason, self.backup = path, reason, backup
        kept = f"; it was kept as {backup}" if backup else ""
        super().__init__(f"{path}: {reason}{kept}")


class SecretsUnavailable(Exception):
    """No usable keyring, and no consent to store secrets in plain text."""


class LoginKind(StrEnum):
    NONE = "none"
    PASSWORD = "password"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class LoginSpec:
    """How to log in on connect; ``user`` is a username or an email."""

    kind: LoginKind = LoginKind.NONE
    user: str = ""


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """A subscription to open on connect: name and params (EJSON values)."""

    name: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class BatterySchedule:
    """Simulate a phone: offline after ``idle_after`` s idle, back after ``back_after`` s."""

    idle_after: float = 30.0
    back_after: float = 10.0


@dataclass(frozen=True, slots=True)
class Profile:
    """One saved server; ``id`` keys its secret, so renaming keeps it."""

    name: str
    url: str
    ddp_version: str | None = None  # preferred first; None: Meteor's order
    subscriptions: tuple[SubscriptionSpec, ...] = ()
    auto_connect: bool = False
    login: LoginSpec = LoginSpec()
    verify_tls: bool = True
    battery_schedule: BatterySchedule | None = None
    #: ask the server to resume the session after a drop (Meteor 3.4+)
    resume_sessions: bool = True
    #: connect to the server the window hosts (Server panel), wherever it
    #: listens now; ``url`` then keeps the address it had when saved, which
    #: only releases without this field open
    hosted_server: bool = False
    #: desktop notifications when it drops, fails or comes back
    notify: bool = False
    #: named calls and ordered scenarios (``steps``); what a file holds but
    #: cannot be read stays an ``Unreadable``, written back as it was
    saved_calls: tuple[SavedCall | Unreadable, ...] = ()
    scenarios: tuple[Scenario | Unreadable, ...] = ()
    id: str = field(default_factory=random_id)

    def duplicate(self, name: str) -> Profile:
        return replace(self, name=name, id=random_id())


def client_options(profile: Profile) -> dict[str, Any]:
    """``DDPClient`` keyword arguments for a profile: version order, TLS, resumption."""
    versions = list(SUPPORTED_VERSIONS)
    if profile.ddp_version in versions:
        versions.remove(profile.ddp_version)
        versions.insert(0, profile.ddp_version)
    options: dict[str, Any] = {
        "supported_versions": tuple(versions),
        "resume": profile.resume_sessions,
    }
    if not profile.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        options["ssl"] = context
    return options


# -- the file format ----------------------------------------------------------------


def _to_json(profile: Profile) -> dict[str, Any]:
    schedule = profile.battery_schedule
    return {
        "id": profile.id,
        "name": profile.name,
        "url": profile.url,
        "ddp_version": profile.ddp_version,
        "subscriptions": [
            {"name": s.name, "params": to_json_value(list(s.params))}
            for s in profile.subscriptions
        ],
        "auto_connect": profile.auto_connect,
        "login": {"kind": str(profile.login.kind), "user": profile.login.user},
        "verify_tls": profile.verify_tls,
        "battery_schedule": None
        if schedule is None
        else {"idle_after": schedule.idle_after, "back_after": schedule.back_after},
        "resume_sessions": profile.resume_sessions,
        "hosted_server": profile.hosted_server,
        "notify": profile.notify,
        "saved_calls": saved_calls_to_json(profile.saved_calls),
        "scenarios": scenarios_to_json(profile.scenarios),
    }


class _Bad(ValueError):
    """A field of the file is wrong; the message names it."""


def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise _Bad(f"{where}: '{key}' is missing")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _Bad(f"{where}.{key}: {value!r} has the wrong type")
    return value


def _from_json(raw: Any, where: str, problems: list[str] | None = None) -> Profile:
    """One profile; ``problems`` gets a sentence per saved call, scenario or
    step that could not be read (each kept as written, the rest loaded)."""
    problems = [] if problems is None else problems
    subs = []
    for n, sub in enumerate(_get(raw, "subscriptions", list, where)):
        at = f"{where}.subscriptions[{n}]"
        params = from_json_value(_get(sub, "params", list, at))
        subs.append(SubscriptionSpec(_get(sub, "name", str, at), tuple(params)))
    login = _get(raw, "login", dict, where)
    try:
        kind = LoginKind(_get(login, "kind", str, f"{where}.login"))
    except ValueError:
        raise _Bad(f"{where}.login.kind: {login['kind']!r} is unknown") from None
    schedule = raw.get("battery_schedule")
    if schedule is not None:
        at = f"{where}.battery_schedule"
        numbers = (int, float)
        schedule = BatterySchedule(
            float(_get(schedule, "idle_after", numbers, at)),
            float(_get(schedule, "back_after", numbers, at)),
        )
    named = f"profile {_get(raw, 'name', str, where)!r}"
    version = raw.get("ddp_version")
    if version is not None and not isinstance(version, str):
        raise _Bad(f"{where}.ddp_version: {version!r} has the wrong type")
    return Profile(
        name=_get(raw, "name", str, where),
        url=_get(raw, "url", str, where),
        ddp_version=version,
        subscriptions=tuple(subs),
        auto_connect=_get(raw, "auto_connect", bool, where),
        login=LoginSpec(kind, _get(login, "user", str, f"{where}.login")),
        verify_tls=_get(raw, "verify_tls", bool, where),
        battery_schedule=schedule,
        # Fields added since version 1: files written before them lack them.
        resume_sessions=_optional_flag(raw, "resume_sessions", True, where),
        hosted_server=_optional_flag(raw, "hosted_server", False, where),
        notify=_optional_flag(raw, "notify", False, where),
        saved_calls=saved_calls_from_json(raw.get("saved_calls"), named, problems),
        scenarios=scenarios_from_json(raw.get("scenarios"), named, problems),
        id=_get(raw, "id", str, where),
    )


def _optional_flag(raw: dict[str, Any], key: str, default: bool, where: str) -> bool:
    """A true/false field that older files may not have (then ``default``)."""
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise _Bad(f"{where}.{key}: {value!r} has the wrong type")
    return value


def migrate(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Bring a parsed file up to ``CURRENT_VERSION``.

    Returns the data in the current shape and the secrets found in it (profile
    id -> secret) that must move to the keyring. Raises ``ValueError`` for a
    shape no version had.
    """
    if not isinstance(data, dict):
        raise _Bad("the file holds no JSON object")
    version = data.get("version", 0)
    secrets: dict[str, str] = {}
    if version == 0:
        # Version 0: {"connections": [{name, url, subscriptions: [[name, params]],
        # autoConnect, username?, password?}]}; the password was in the file.
        profiles = []
        for n, old in enumerate(_get(data, "connections", list, "file")):
            where = f"connections[{n}]"
            profile_id = random_id()
            user = old.get("username") or ""
            password = old.get("password")
            if isinstance(password, str) and password:
                secrets[f"{profile_id}/{LoginKind.PASSWORD}"] = password
            pairs = old.get("subscriptions", [])
            profiles.append(
                {
                    "id": profile_id,
                    "name": _get(old, "name", str, where),
                    "url": _get(old, "url", str, where),
                    "ddp_version": None,
                    "subscriptions": [{"name": p[0], "params": p[1]} for p in pairs],
                    "auto_connect": bool(old.get("autoConnect", False)),
                    "login": {"kind": "password" if user else "none", "user": user},
                    "verify_tls": True,
                    "battery_schedule": None,
                }
            )
        data, version = {"version": 1, "profiles": profiles}, 1
    if version != CURRENT_VERSION:
        raise _Bad(f"unknown version {version!r}")
    return data, secrets


def _without_passwords(text: str) -> str:
    """A version-0 file's text with every ``password`` taken out."""
    data = json.loads(text)
    for old in data.get("connections", []) if isinstance(data, dict) else []:
        if isinstance(old, dict):
            old.pop("password", None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def default_path() -> Path:
    """``<user config dir>/ddp-monitor/profiles.json`` (platformdirs)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "profiles.json"


def atomic_write(path: Path, chunks: Iterable[str], mode: int = 0o644) -> None:
    """Write ``chunks`` to ``path`` so that a crash leaves the old file or the new one.

    A temp file in the same directory (so ``os.replace`` is a rename on one
    file system), flushed and fsynced before the rename; the directory is
    fsynced after it so the rename itself survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temp_files(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # not every platform can open a directory
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


#: A temp file this old was left by a save that died (a crash, a kill -9): no
#: save takes a minute, so none of a running save is this old.
STALE_TEMP_AGE = 60.0


def sweep_temp_files(path: Path) -> list[Path]:
    """Remove the temp files that dead saves of ``path`` left behind; returns them."""
    swept = []
    now = time.time()
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - temp.stat().st_mtime > STALE_TEMP_AGE:
                temp.unlink()
                swept.append(temp)
    return swept


def _aside(path: Path, tag: str) -> Path:
    """A backup name next to ``path`` that does not exist yet."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = path.with_name(f"{path.name}.{tag}-{stamp}{f'-{n}' if n else ''}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"no free backup name next to {path}")


# -- secrets --------------------------------------------------------------------------


def _keyring() -> ModuleType:
    """``keyring``, imported when a secret is first needed: it takes ~50 ms to
    load, and the window's first paint needs no secret (issue 12)."""
    import keyring
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyring.backends.null
    import keyring.errors

    return keyring


class SecretStore:
    """Passwords and resume tokens, by profile id and login kind, in the OS keyring.

    Without a usable keyring backend, ``set`` raises ``SecretsUnavailable``
    until ``plain_text_allowed`` is set (the user agreed); then secrets go to
    ``plain_path``, a separate JSON file only its owner may read (0600).
    """

    SERVICE = APP_NAME

    def __init__(self, plain_path: Path | None = None) -> None:
        self.plain_path = plain_path or default_path().with_name("secrets.json")
        self.plain_text_allowed = False

    @property
    def keyring_available(self) -> bool:
        keyring = _keyring()
        backend = keyring.get_keyring()
        if isinstance(
            backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring
        ):
            return False
        if isinstance(backend, keyring.backends.chainer.ChainerBackend):
            return bool(backend.backends)  # a chain of nothing stores nothing
        return True

    @staticmethod
    def key(profile: Profile) -> str:
        return f"{profile.id}/{profile.login.kind}"

    def get(self, key: str) -> str | None:
        keyring = _keyring()
        if self.keyring_available:
            try:
                return keyring.get_password(self.SERVICE, key)  # type: ignore[no-any-return]
            except keyring.errors.KeyringError as exc:
                raise SecretsUnavailable(f"the keyring refused: {exc}") from exc
        return self._plain().get(key)

    def set(self, key: str, secret: str) -> None:
        keyring = _keyring()
        if self.keyring_available:
            try:
                keyring.set_password(self.SERVICE, key, secret)
            except keyring.errors.KeyringError as exc:
                raise SecretsUnavailable(f"the keyring refused: {exc}") from exc
            return
        if not self.plain_text_allowed:
            raise SecretsUnavailable(
                "no keyring backend is available on this system "
                f"(keyring uses {type(keyring.get_keyring()).__name__})"
            )
        secrets = {**self._plain(), key: secret}
        atomic_write(self.plain_path, [json.dumps(secrets, indent=2)], mode=0o600)

    def delete(self, key: str) -> None:
        keyring = _keyring()
        if self.keyring_available:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(self.SERVICE, key)
        plain = self._plain()
        if key in plain:
            del plain[key]
            atomic_write(self.plain_path, [json.dumps(plain, indent=2)], mode=0o600)

    def _plain(self) -> dict[str, str]:
        try:
            data = json.loads(self.plain_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}


# -- the store --------------------------------------------------------------------------


class ProfileStore:
    """The profiles file: ``load()`` and ``save(profiles)``; see the module docstring.

    Args:
        path: the file (``default_path()`` when None).
        secrets: where secrets found in an older file are moved.
    """

    def __init__(self, path: Path | None = None, secrets: SecretStore | None = None):
        self.path = path or default_path()
        self.secrets = secrets or SecretStore(self.path.with_name("secrets.json"))
        #: Set when the file must not be replaced (unreadable, or from a newer release).
        self.read_only_reason: str | None = None
        #: What the last ``load`` wants the user to know without failing.
        self.notices: list[str] = []

    def load(self) -> list[Profile]:
        """The saved profiles ([] when there is no file yet).

        Raises:
            ProfileError: unreadable, corrupt (then moved aside: ``backup``), or
                written by a newer release; the store then starts empty.
        """
        self.read_only_reason = None
        self.notices = []
        sweep_temp_files(self.path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            reason = f"cannot be read ({exc})"
            if isinstance(exc, UnicodeDecodeError):
                return self._corrupt("it is not UTF-8 text")
            self.read_only_reason = reason
            raise ProfileError(self.path, reason) from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            return self._corrupt(f"it is not valid JSON ({exc})")
        version = data.get("version", 0) if isinstance(data, dict) else 0
        if isinstance(version, int) and version > CURRENT_VERSION:
            self.read_only_reason = (
                f"it was written by a newer ddp-monitor (file version {version}, "
                f"this one reads up to {CURRENT_VERSION})"
            )
            raise ProfileError(self.path, self.read_only_reason)
        try:
            current, secrets = migrate(data)
            problems: list[str] = []
            profiles = [
                _from_json(raw, f"profiles[{n}]", problems)
                for n, raw in enumerate(_get(current, "profiles", list, "file"))
            ]
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return self._corrupt(f"it does not hold profiles: {exc}")
        # Parts that could not be read cost only themselves: said, and kept.
        self.notices.extend(problems)
        if version != CURRENT_VERSION:
            self._upgrade(version, profiles, secrets)
        return profiles

    def save(self, profiles: Sequence[Profile]) -> None:
        """Replace the file atomically; raises ``ProfileError`` when it must be kept."""
        if self.read_only_reason is not None:
            raise ProfileError(
                self.path, f"not saved: the file {self.read_only_reason}"
            )
        self.write(self.path, profiles)

    @staticmethod
    def write(path: Path, profiles: Sequence[Profile]) -> None:
        """Write ``profiles`` to ``path`` (also the export: no secrets are in it)."""
        data = {"version": CURRENT_VERSION, "profiles": [_to_json(p) for p in profiles]}
        atomic_write(path, [json.dumps(data, indent=2, ensure_ascii=False), "\n"])

    @staticmethod
    def read(path: Path) -> list[Profile]:
        """Profiles from an exported file (any known version), without secrets.

        Raises:
            ProfileError: the file cannot be read or holds no profiles.
        """
        try:
            current, _ = migrate(json.loads(path.read_text(encoding="utf-8")))
            return [
                _from_json(raw, f"profiles[{n}]")
                for n, raw in enumerate(_get(current, "profiles", list, "file"))
            ]
        except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise ProfileError(path, f"cannot be imported: {exc}") from exc

    def _corrupt(self, reason: str) -> list[Profile]:
        backup = _aside(self.path, "corrupt")
        try:
            os.replace(self.path, backup)
        except OSError as exc:
            self.read_only_reason = f"is corrupt and could not be moved aside ({exc})"
            raise ProfileError(self.path, f"{reason}; {self.read_only_reason}") from exc
        raise ProfileError(self.path, reason, backup)

    def _upgrade(
        self, version: Any, profiles: list[Profile], secrets: dict[str, str]
    ) -> None:
        # The older file is kept, with the original's permissions but without
        # its passwords, which move to the keyring before the new file (without
        # them) replaces it. Where the keyring refuses them, the backup is the
        # one place left that holds them: then it keeps them, readable by the
        # user alone, and says so.
        original = self.path.read_text(encoding="utf-8")
        mode = stat.S_IMODE(self.path.stat().st_mode)
        backup = _aside(self.path, f"v{version}")
        atomic_write(backup, [_without_passwords(original)], mode=mode)
        try:
            for key, secret in secrets.items():
                self.secrets.set(key, secret)
        except SecretsUnavailable as exc:
            atomic_write(backup, [original], mode=0o600)
            self.notices.append(
                f"Passwords from the older profiles file were not moved: {exc}. "
                f"They remain only in {backup} (readable by you alone)."
            )
        self.write(self.path, profiles)
        self.notices.append(
            f"Profiles upgraded from version {version}; the old file is {backup}."
        )
