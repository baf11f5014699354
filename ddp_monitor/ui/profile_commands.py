"""The window's profile commands: new, edit, delete, import, export, and where secrets go.

Owns ``ProfileCommands``; imports QtWidgets/QtCore, ``profiles`` values,
``qt.profile_model``, ``qt.server_adaptor`` (where the hosted server listens,
and whether it is the demo), ``ui.profiles_dialog`` and ``ui.sidebar`` (whose
menu it answers). Split out of ``main_window``
(which had grown past 500 lines): the window builds one, wires its menu
actions and sidebar signals to it, and hands it the banner to report in.
A secret goes to the keyring; only where none exists, and only after the
user agrees, to a plain file readable by their account (issue 6). A new
profile starts from the connection in view: its URL, or following the
hosted server when that is what the page shows (issue 13 items 10, 11).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from ddp_monitor.profiles import LoginKind, Profile, SecretStore, SecretsUnavailable
from ddp_monitor.qt.profile_model import ProfileListModel
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.profiles_dialog import ProfileDialog
from ddp_monitor.ui.sidebar import Sidebar

__all__ = ["ProfileCommands"]


class ProfileCommands(QObject):
    """Profile dialogs and file choosers, on behalf of ``window``.

    Args:
        window: the parent of every dialog; its status bar says what was done.
        profiles: the saved profiles.
        banner: where a problem shows (called each time: the current page's).
        server: the server the window hosts.
        current_url: the URL of the connection in view ("" for none).
    """

    def __init__(
        self,
        window: QMainWindow,
        profiles: ProfileListModel,
        banner: Callable[[], ErrorBanner],
        server: ServerAdaptor,
        current_url: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.profiles = profiles
        self._banner = banner
        self.server = server
        self._current_url = current_url

    def bind(
        self, sidebar: Sidebar, new: QAction, import_: QAction, export: QAction
    ) -> None:
        """Answer the sidebar's profile menu and the File menu's profile actions."""
        sidebar.edit_requested.connect(self.ask_edit)
        sidebar.duplicate_requested.connect(self.profiles.duplicate)
        sidebar.delete_requested.connect(self.ask_delete)
        sidebar.import_requested.connect(self.ask_import)
        sidebar.export_requested.connect(self.ask_export)
        new.triggered.connect(lambda: self.ask_edit(None))
        import_.triggered.connect(self.ask_import)
        export.triggered.connect(self.ask_export)

    def ask_edit(self, profile_id: str | None) -> None:
        """The profile dialog for a new profile (None) or an existing one."""
        dialog = self.dialog(profile_id)
        if dialog.exec():
            self.save(dialog.profile(), dialog.typed_secret())

    def dialog(self, profile_id: str | None) -> ProfileDialog:
        """The form for a profile (None: a new one, from the connection in view)."""
        known = self.profiles.find(profile_id) if profile_id else None
        if known is None:
            url = self._current_url()
            hosted = bool(url) and url == self.server.url
            profile = Profile("", url, hosted_server=hosted)
        else:
            profile = known
        has_secret = known is not None and _has_secret(self.profiles.secrets, known)
        return ProfileDialog(
            profile,
            has_secret,
            self.window,
            hosted_url=self.server.url,
            demo_account=self.server.demo_account,
        )

    def save(self, profile: Profile, secret: str | None) -> bool:
        """Keep ``profile``; its secret goes to the keyring (or, with consent, a file)."""
        known = self.profiles.find(profile.id)
        if known is not None:
            # The form edits neither: what the method console saved while it
            # was open is kept, not the copy the form started from.
            profile = replace(
                profile, saved_calls=known.saved_calls, scenarios=known.scenarios
            )
        self.profiles.replace(profile)
        if secret is None or profile.login.kind is LoginKind.NONE:
            return True
        secrets = self.profiles.secrets
        try:
            secrets.set(SecretStore.key(profile), secret)
        except SecretsUnavailable as exc:
            if not self._consent_to_plain_text(str(exc), secrets):
                self._banner().show_problem(
                    "The password was not stored",
                    f"{exc}. You will be asked for it when connecting.",
                )
                return False
            secrets.plain_text_allowed = True
            secrets.set(SecretStore.key(profile), secret)
        return True

    def _consent_to_plain_text(self, why: str, secrets: SecretStore) -> bool:
        answer = QMessageBox.question(
            self.window,
            "No keyring",
            f"ddp-monitor cannot store secrets safely: {why}.\n\n"
            f"Store this password in plain text in {secrets.plain_path} "
            "(readable only by your user account)?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_delete(self, profile_id: str) -> None:
        profile = self.profiles.find(profile_id)
        if profile is None:
            return
        answer = QMessageBox.question(
            self.window,
            "Delete profile",
            f"Delete the profile \u201c{profile.name}\u201d?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.profiles.remove(profile_id)

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import profiles", "", "Profiles (*.json)"
        )
        if path:
            added = self.profiles.import_from(Path(path))
            self.window.statusBar().showMessage(f"Imported {len(added)} profiles", 8000)

    def ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export profiles (no passwords)",
            "profiles.json",
            "Profiles (*.json)",
        )
        if path and self.profiles.export_to(Path(path)):
            self.window.statusBar().showMessage(f"Exported profiles to {path}", 8000)


def _has_secret(secrets: SecretStore, profile: Profile) -> bool:
    try:
        return secrets.get(SecretStore.key(profile)) is not None
    except SecretsUnavailable:
        return False
