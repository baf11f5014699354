"""The saved profiles as a Qt list model, with every change saved at once.

Owns ``ProfileListModel``; imports QtCore and ``profiles``. Each edit (add,
replace, duplicate, remove, import) changes the list, then saves the whole
file through ``ProfileStore`` (atomic); a save that fails is reported through
``problem`` and the list keeps the edit, so nothing typed is lost. Without a
store (tests, a URL given on the command line) the list lives in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ddp_monitor.profiles import (
    LoginKind,
    Profile,
    ProfileError,
    ProfileStore,
    SecretStore,
)

__all__ = ["PROFILE_ROLE", "ProfileListModel", "free_name"]

#: ``data(index, PROFILE_ROLE)`` is the ``Profile`` value itself.
PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class ProfileListModel(QAbstractListModel):
    """One row per profile: its name; the URL and login as tooltip.

    Signals:
        problem(str, str): a title and a sentence for the error banner.
    """

    problem = Signal(str, str)

    def __init__(
        self, store: ProfileStore | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = store.secrets if store is not None else SecretStore()
        self._profiles: list[Profile] = []

    # -- loading ---------------------------------------------------------------
    def load(self) -> None:
        """Read the store; a bad file is reported (``problem``), the list starts empty."""
        profiles: list[Profile] = []
        if self.store is not None:
            try:
                profiles = self.store.load()
            except ProfileError as exc:
                kept = f" It was kept as {exc.backup}." if exc.backup else ""
                self.problem.emit(
                    "The saved profiles could not be loaded",
                    f"{exc.path} {exc.reason}.{kept}",
                )
            for notice in self.store.notices:
                self.problem.emit("Profiles", notice)
        self.beginResetModel()
        self._profiles = profiles
        self.endResetModel()

    # -- reading -----------------------------------------------------------------
    @property
    def profiles(self) -> list[Profile]:
        return list(self._profiles)

    def find(self, profile_id: str) -> Profile | None:
        return next((p for p in self._profiles if p.id == profile_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._profiles)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._profiles):
            return None
        profile = self._profiles[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return profile.name
        if role == Qt.ItemDataRole.ToolTipRole:
            login = profile.login
            who = "" if login.kind is LoginKind.NONE else f"\nlogin: {login.user}"
            tls = "" if profile.verify_tls else "\ncertificate checks OFF"
            where = (
                "the server this window hosts, on whatever port it has"
                if profile.hosted_server
                else profile.url
            )
            return f"{where}{who}{tls}"
        if role == PROFILE_ROLE:
            return profile
        return None

    # -- editing -------------------------------------------------------------------
    def add(self, profile: Profile) -> None:
        row = len(self._profiles)
        self.beginInsertRows(QModelIndex(), row, row)
        self._profiles.append(profile)
        self.endInsertRows()
        self._save()

    def replace(self, profile: Profile) -> None:
        """Put ``profile`` in place of the one with its id (or add it)."""
        for row, known in enumerate(self._profiles):
            if known.id == profile.id:
                self._profiles[row] = profile
                at = self.index(row)
                self.dataChanged.emit(at, at)
                self._save()
                return
        self.add(profile)

    def duplicate(self, profile_id: str) -> Profile | None:
        """A copy named "<name> (copy)" with a new id (and no secret)."""
        original = self.find(profile_id)
        if original is None:
            return None
        copy = original.duplicate(self._free_name(f"{original.name} (copy)"))
        self.add(copy)
        return copy

    def remove(self, profile_id: str) -> None:
        """Delete the profile and its secrets."""
        for row, known in enumerate(self._profiles):
            if known.id == profile_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._profiles[row]
                self.endRemoveRows()
                for kind in (LoginKind.PASSWORD, LoginKind.RESUME):
                    self.secrets.delete(f"{known.id}/{kind}")
                self._save()
                return

    def import_from(self, path: Path) -> list[Profile]:
        """Add the profiles of an exported file (fresh ids where one is taken)."""
        try:
            found = ProfileStore.read(path)
        except ProfileError as exc:
            self.problem.emit("Import failed", f"{exc.path} {exc.reason}.")
            return []
        added = []
        for profile in found:
            if self.find(profile.id) is not None:
                profile = profile.duplicate(profile.name)
            added.append(profile)
        if not added:
            return []
        row = len(self._profiles)
        self.beginInsertRows(QModelIndex(), row, row + len(added) - 1)
        self._profiles.extend(added)
        self.endInsertRows()
        self._save()
        return added

    def export_to(self, path: Path, profiles: Sequence[Profile] | None = None) -> bool:
        """Write ``profiles`` (all when None) to ``path``, without secrets."""
        try:
            ProfileStore.write(path, self._profiles if profiles is None else profiles)
        except OSError as exc:
            self.problem.emit("Export failed", f"{path}: {exc.strerror or exc}")
            return False
        return True

    def _free_name(self, name: str) -> str:
        return free_name(name, {p.name for p in self._profiles})

    def _save(self) -> None:
        if self.store is None:
            return
        try:
            self.store.save(self._profiles)
        except ProfileError as exc:
            self.problem.emit("Profiles not saved", f"{exc.path}: {exc.reason}.")
        except OSError as exc:
            self.problem.emit(
                "Profiles not saved", f"{self.store.path}: {exc.strerror or exc}"
            )


def free_name(name: str, taken: set[str]) -> str:
    """``name``, or "<name> 2", "<name> 3"... the first that is not ``taken``."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate
