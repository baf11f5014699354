"""One open profile's saved calls and scenarios, edited and saved with the profile.

Owns ``ProfileScenarios``; imports QtCore, ``qt.profile_model``, ``profiles``,
``steps`` and ``recording.masking`` (what counts as a secret). Every edit
replaces the profile in the ``ProfileListModel``, which saves the file at
once; the profile is looked up by id each time, so edits made elsewhere (the
profiles dialog) are never overwritten with an older copy.

A call whose parameters hold a password or a token is not saved: the
profiles file never holds a secret (a scenario's login step logs in with the
profile's own, from the keyring).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from PySide6.QtCore import QModelIndex, QObject, Signal

from ddp_monitor.profiles import Profile, SecretStore
from ddp_monitor.qt.profile_model import PROFILE_ROLE, ProfileListModel
from ddp_monitor.recording.masking import mask_params
from ddp_monitor.steps import SavedCall, Scenario, Unreadable

__all__ = ["ProfileScenarios"]


class ProfileScenarios(QObject):
    """The saved calls and scenarios of the profile ``profile_id``.

    Signals:
        changed(): the profile's calls or scenarios changed (here or elsewhere).
    """

    changed = Signal()

    def __init__(
        self,
        profiles: ProfileListModel,
        profile_id: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profiles = profiles
        self.profile_id = profile_id
        profiles.dataChanged.connect(self._edited)
        profiles.modelReset.connect(self.changed)

    @property
    def profile(self) -> Profile | None:
        return self.profiles.find(self.profile_id)

    @property
    def secrets(self) -> SecretStore:
        return self.profiles.secrets

    @property
    def saved_calls(self) -> list[SavedCall]:
        """The calls that can be made (an unreadable one is kept, not offered)."""
        profile = self.profile
        calls = () if profile is None else profile.saved_calls
        return [c for c in calls if isinstance(c, SavedCall)]

    @property
    def scenarios(self) -> list[Scenario]:
        profile = self.profile
        scenarios = () if profile is None else profile.scenarios
        return [s for s in scenarios if isinstance(s, Scenario)]

    def save_call(self, call: SavedCall) -> str | None:
        """Keep ``call`` (in place of one with its name); returns why not, in words."""
        masked: list[str] = []
        mask_params(call.method, list(call.params), masked)
        if masked:
            return (
                f"Its parameters hold a password or token ({', '.join(masked)}), and "
                "the profiles file never holds one. A scenario's login step logs in "
                "with the profile's own password, from the keyring."
            )
        profile = self.profile
        if profile is None:
            return "Its profile was deleted."
        calls = _put(profile.saved_calls, call.name, call)
        self.profiles.replace(replace(profile, saved_calls=calls))
        return None

    def remove_call(self, name: str) -> None:
        profile = self.profile
        if profile is not None:
            calls = _put(profile.saved_calls, name, None)
            self.profiles.replace(replace(profile, saved_calls=calls))

    def save_scenario(self, scenario: Scenario, old_name: str | None = None) -> None:
        """Keep ``scenario``, in place of ``old_name``'s (or its own name's) if there is one."""
        profile = self.profile
        if profile is None:
            return
        scenarios = profile.scenarios
        if old_name is not None and old_name != scenario.name:
            scenarios = _put(scenarios, old_name, None)
        scenarios = _put(scenarios, scenario.name, scenario)
        self.profiles.replace(replace(profile, scenarios=scenarios))

    def remove_scenario(self, name: str) -> None:
        profile = self.profile
        if profile is not None:
            scenarios = _put(profile.scenarios, name, None)
            self.profiles.replace(replace(profile, scenarios=scenarios))

    def _edited(self, first: QModelIndex, last: QModelIndex, *_: object) -> None:
        ids = {
            getattr(self.profiles.index(row).data(PROFILE_ROLE), "id", None)
            for row in range(first.row(), last.row() + 1)
        }
        if self.profile_id in ids:
            self.changed.emit()


_Named = TypeVar("_Named", SavedCall, Scenario)


def _put(
    items: tuple[_Named | Unreadable, ...], name: str, new: _Named | None
) -> tuple[_Named | Unreadable, ...]:
    """``items`` with the one named ``name`` replaced by ``new`` (removed when None;
    appended when there is none). Unreadable items keep their places."""
    out: list[_Named | Unreadable] = []
    placed = False
    for item in items:
        if not isinstance(item, Unreadable) and item.name == name:
            if new is not None and not placed:
                out.append(new)
            placed = True
        else:
            out.append(item)
    if not placed and new is not None:
        out.append(new)
    return tuple(out)
