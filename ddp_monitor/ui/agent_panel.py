"""The Server panel's third mode: attach to a deployed Meteor app's servers through its agent.

Owns ``AgentPanel``: the attach bar (the app server's URL, which lists the
saved apps, and the agent's secret, Attach; the attached servers with
Detach) on top of
the shared ``ui.connections_panel`` (rows with Close, the fault bar limited
to what a server can do, the detail pane and the row's frames); imports
QtWidgets/QtCore, ``qt.agent_adaptor``, ``qt.agent_model``, ``profiles``
(saved apps: a ``Profile`` each in their own file, the secret in the
keyring) and the panel parts in ``ui``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ddp_monitor.profiles import (
    Profile,
    ProfileError,
    ProfileStore,
    SecretsUnavailable,
    default_path,
)
from ddp_monitor.qt.agent_adaptor import AgentAdaptor
from ddp_monitor.qt.agent_model import AGENT_CLOSE_COLUMN, agent_model
from ddp_monitor.ui.connections_panel import ConnectionsPanel

__all__ = ["SECRET_KIND", "AgentPanel", "agent_profiles_path"]

#: The keyring key of a saved app's secret is "<profile id>/agent".
SECRET_KIND = "agent"

_NOT_ATTACHED = (
    "Not attached. Add ddp-monitor's agent package to the app (packaging/meteor-agent), "
    "start its servers with DDP_MONITOR_AGENT_SECRET, then give a server's URL and "
    "that secret above and press Attach (once per server of a fleet)."
)
_NO_CLIENTS = "No clients on the attached servers yet."
_SERVER_ONLY = "the agent runs inside the server: this fault needs the proxy"


def agent_profiles_path() -> Path:
    """Saved apps live beside the connection profiles, in a file of their own."""
    return default_path().with_name("agent-profiles.json")


class AgentPanel(ConnectionsPanel):
    """Attach bar over the attached servers' connections, faults and detail.

    Signals:
        title_changed(str): the tab's title ("App (3)", "App (off)").
    """

    adaptor: AgentAdaptor

    def __init__(
        self,
        adaptor: AgentAdaptor,
        store: ProfileStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            adaptor,
            agent_model(),
            table_name="agentConnectionTable",
            empty_text=_NOT_ATTACHED,
            closers={AGENT_CLOSE_COLUMN: "proxy.close"},
            widths=(110, 150, 90, 90, 100, 90, 40, 40, 70, 70, 80, 80, 140, 80, 40, 70),
            parent=parent,
        )
        self.store = store or ProfileStore(agent_profiles_path())
        # The URL field lists the saved apps: picking one fills in its secret.
        self.url = QComboBox()
        self.url.setEditable(True)
        self.url.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        typed = self.url.lineEdit()
        assert typed is not None  # editable: Qt made one
        typed.setPlaceholderText("an app server: https://app-1.internal:3000")
        self.url.setToolTip("an app server's URL, or one saved earlier")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("its DDP_MONITOR_AGENT_SECRET")
        self.remember = QCheckBox("Remember")
        self.remember.setToolTip(
            "save the URL as an app profile, the secret in the keyring"
        )
        self.attach = QPushButton("Attach")
        self.attached = QComboBox()
        self.attached.setPlaceholderText("attached servers")
        self.attached.setToolTip("the attached app servers: pick one to detach it")
        self.attached.setMinimumContentsLength(12)
        self.detach = QPushButton("Detach")
        self.faults.limit_to(("latency_down", "hold"), _SERVER_ONLY)
        # One row, as the proxy's: the dock must fit a 640-pixel-high screen.
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Attach to an app:"))
        bar.addWidget(self.url, 2)
        bar.addWidget(self.secret, 1)
        bar.addWidget(self.remember)
        bar.addWidget(self.attach)
        bar.addSpacing(12)
        bar.addWidget(self.attached, 1)
        bar.addWidget(self.detach)
        self._lay_out(bar, "agentSplitter")
        self.attach.clicked.connect(self._attach)
        self.secret.returnPressed.connect(self._attach)
        self.detach.clicked.connect(self._detach)
        self.url.activated.connect(self._pick_saved)
        self._profiles: list[Profile] = []
        self._load_saved()
        self._source_changed("")

    # -- saved apps ---------------------------------------------------------------------
    def _load_saved(self) -> None:
        try:
            self._profiles = self.store.load()
        except ProfileError as exc:
            self._profiles = []
            self.state.setText(f"Saved apps could not be read: {exc}")
        typed = self.url.currentText()
        self.url.clear()
        for profile in self._profiles:
            self.url.addItem(profile.url, profile.id)
        self.url.setEditText(typed)

    def _pick_saved(self, index: int) -> None:
        profile = self._profiles[index] if 0 <= index < len(self._profiles) else None
        if profile is None:
            return
        self.url.setEditText(profile.url)
        try:
            secret = self.store.secrets.get(_key(profile))
        except SecretsUnavailable as exc:
            self.state.setText(f"The secret could not be read: {exc}")
            return
        self.secret.setText(secret or "")

    def _save(self, url: str, secret: str) -> None:
        known = next((p for p in self._profiles if p.url == url), None)
        profile = known or Profile(name=url, url=url)
        try:
            self.store.secrets.set(_key(profile), secret)
            if known is None:
                self.store.save([*self._profiles, profile])
        except (SecretsUnavailable, OSError, ProfileError) as exc:
            self.state.setText(f"Attached, but not saved: {exc}")
            return
        self._load_saved()

    # -- attaching -----------------------------------------------------------------------
    def _attach(self) -> None:
        self._spawn(self.attach_to(self.url.currentText(), self.secret.text()))

    async def attach_to(self, url: str, secret: str) -> bool:
        """Attach to one app server (and save it when Remember is on)."""
        attached = await self.adaptor.attach(url, secret)
        if attached and self.remember.isChecked():
            self._save(url.strip(), secret)
        return attached

    def _detach(self) -> None:
        url = self.attached.currentText()
        if url:
            self._spawn(self.adaptor.detach(url))

    # -- reacting ------------------------------------------------------------------------
    def _source_changed(self, text: str) -> None:
        self.attached.clear()
        self.attached.addItems(list(self.adaptor.attached))
        self.attached.setCurrentIndex(self.attached.count() - 1)  # the newest
        self.detach.setEnabled(self.adaptor.active)
        self.table.empty_text = _NO_CLIENTS if self.adaptor.active else _NOT_ATTACHED
        super()._source_changed(text)

    def title(self) -> str:
        count = self.model.rowCount()
        return f"App ({count:,})" if self.adaptor.active else "App (off)"


def _key(profile: Profile) -> str:
    return f"{profile.id}/{SECRET_KIND}"
