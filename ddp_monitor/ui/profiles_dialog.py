"""The profile dialog: one connection profile edited as a form.

Owns ``ProfileDialog``; imports QtWidgets, ``profiles`` values and
``qt.params`` (the EJSON parser the method console uses). It returns a new
``Profile`` value and the secret typed (None: leave the stored one as it is);
storing both is the window's job. Turning certificate checks off shows a
warning at once, in words (issue 6).

A profile may follow the server this window hosts instead of a fixed URL
(its port is any free one, new at each start: issue 13 item 11); the form
is told that server's URL, and on the demo app the demo's account, which
the login fields then offer as placeholders (item 10).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.ejson import stringify
from ddp_monitor.ddp.messages import SUPPORTED_VERSIONS
from ddp_monitor.profiles import (
    BatterySchedule,
    LoginKind,
    LoginSpec,
    Profile,
    SubscriptionSpec,
)
from ddp_monitor.qt.params import ParamsError, parse_params

__all__ = ["ProfileDialog", "format_subscriptions", "parse_subscriptions"]

TLS_WARNING = (
    "\u26a0 Certificate checks are off: anyone on the network path can read "
    "and change this connection, passwords included."
)


def format_subscriptions(subs: tuple[SubscriptionSpec, ...]) -> str:
    """One line per subscription: ``name [EJSON params]``."""
    return "\n".join(
        s.name + (f" {stringify(list(s.params))}" if s.params else "") for s in subs
    )


def parse_subscriptions(text: str) -> tuple[SubscriptionSpec, ...]:
    """The inverse of ``format_subscriptions``; ``ValueError`` names the bad line."""
    subs = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        name, _, rest = line.partition(" ")
        try:
            params = parse_params(rest.strip())
        except ParamsError as exc:
            raise ValueError(f"line {n} ({name}): {exc.message}") from None
        subs.append(SubscriptionSpec(name, tuple(params)))
    return tuple(subs)


class ProfileDialog(QDialog):
    """Edit ``profile`` (a new one when it has no name yet).

    Args:
        profile: the starting values.
        has_secret: a secret is stored already (the field may stay empty).
    """

    def __init__(
        self,
        profile: Profile,
        has_secret: bool = False,
        parent: QWidget | None = None,
        *,
        hosted_url: str = "",
        demo_account: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profile")
        self._profile = profile
        self._hosted_url = hosted_url
        self._demo_account = demo_account
        self._has_secret = has_secret
        self.name = QLineEdit(profile.name)
        self.url = QLineEdit(profile.url)
        self.follow_hosted = QCheckBox(
            "The server this window hosts (Server panel), on whatever port it has"
        )
        self.follow_hosted.setToolTip(
            "Its port may change at every start (\u201cany free\u201d): the profile "
            "connects to wherever it listens when opened, and follows it."
        )
        self.follow_hosted.setChecked(profile.hosted_server)
        self._typed_url = profile.url
        self.version = QComboBox()
        self.version.addItem("automatic (1, pre2, pre1)", None)
        for version in SUPPORTED_VERSIONS:
            self.version.addItem(f"prefer {version}", version)
        self.version.setCurrentIndex(max(0, self.version.findData(profile.ddp_version)))
        self.subscriptions = QPlainTextEdit(format_subscriptions(profile.subscriptions))
        self.subscriptions.setPlaceholderText("one per line: name [EJSON params]")
        self.subscriptions.setFixedHeight(72)
        self.auto_connect = QCheckBox("Connect when ddp-monitor starts")
        self.auto_connect.setChecked(profile.auto_connect)
        self.login_kind = QComboBox()
        for kind, words in (
            (LoginKind.NONE, "none"),
            (LoginKind.PASSWORD, "username or email + password"),
            (LoginKind.RESUME, "resume token"),
        ):
            self.login_kind.addItem(words, kind)
        self.login_kind.setCurrentIndex(
            max(0, self.login_kind.findData(str(profile.login.kind)))
        )
        self.user = QLineEdit(profile.login.user)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.demo_hint = QLabel()
        self.demo_hint.setObjectName("hintLabel")
        self.verify_tls = QCheckBox("Check the server's TLS certificate")
        self.verify_tls.setChecked(profile.verify_tls)
        self.tls_warning = QLabel(TLS_WARNING)
        self.tls_warning.setObjectName("validBad")
        self.tls_warning.setWordWrap(True)
        self.resume = QCheckBox(
            "Resume the session after a drop (Meteor 3.4 and later)"
        )
        self.resume.setToolTip(
            "Off: every reconnect starts a new session, as before Meteor's session "
            "resumption; turn it off to compare."
        )
        self.resume.setChecked(profile.resume_sessions)
        self.notify = QCheckBox(
            "Desktop notifications when it drops, fails or comes back"
        )
        self.notify.setToolTip(
            "Through the system's notifications, with a tray icon showing the "
            "status; once per drop, not at every retry. Where the system has no "
            "tray, they show in the window's status bar."
        )
        self.notify.setChecked(profile.notify)
        schedule = profile.battery_schedule or BatterySchedule()
        self.schedule = QCheckBox("Simulate a phone: offline after")
        self.schedule.setChecked(profile.battery_schedule is not None)
        self.idle_after = _seconds(schedule.idle_after)
        self.back_after = _seconds(schedule.back_after)
        self.error = QLabel()
        self.error.setObjectName("validBad")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.follow_hosted.toggled.connect(self._follow_hosted)
        self._follow_hosted(profile.hosted_server)
        for signal in (
            self.name.textChanged,
            self.url.textChanged,
            self.follow_hosted.toggled,
            self.subscriptions.textChanged,
            self.login_kind.currentIndexChanged,
            self.user.textChanged,
            self.verify_tls.toggled,
            self.schedule.toggled,
        ):
            signal.connect(self._check)
        self._check()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("URL", self.url)
        form.addRow("", self.follow_hosted)
        form.addRow("DDP version", self.version)
        form.addRow("Subscribe to", self.subscriptions)
        form.addRow("", self.auto_connect)
        form.addRow("Login", self.login_kind)
        form.addRow("User", self.user)
        form.addRow("Password / token", self.secret)
        form.addRow("", self.demo_hint)
        form.addRow("TLS", self.verify_tls)
        form.addRow("", self.tls_warning)
        form.addRow("Reconnect", self.resume)
        form.addRow("Notify", self.notify)
        row = QHBoxLayout()
        for widget in (
            self.schedule,
            self.idle_after,
            QLabel("idle, back after"),
            self.back_after,
        ):
            row.addWidget(widget)
        row.addStretch(1)
        form.addRow("Battery", row)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addWidget(self.buttons)

    def _kind(self) -> LoginKind:
        # Qt hands the StrEnum item data back as a plain str.
        return LoginKind(self.login_kind.currentData())

    def _follow_hosted(self, on: bool) -> None:
        # Following: the field shows where the hosted server listens now (what
        # is saved as the URL older releases open); unticked, what was typed.
        if on:
            self._typed_url = self.url.text()
            self.url.setText(self._hosted_url)
        else:
            self.url.setText(self._typed_url)
        self.url.setEnabled(not on)
        self.url.setPlaceholderText(
            "this window hosts no server now: start one in the Server panel"
            if on
            else "http://localhost:3000 or wss://host/websocket"
        )

    def for_demo(self) -> bool:
        """The form is for the demo the window hosts (its account is offered)."""
        if self._demo_account is None:
            return False
        if self.follow_hosted.isChecked():
            return True
        hosted = _address(self._hosted_url)
        return bool(hosted) and _address(self.url.text()) == hosted

    def _show_login_hints(self) -> None:
        account = self._demo_account if self.for_demo() else None
        if account is None:
            self.user.setPlaceholderText("username, or an email (contains @)")
            self.secret.setPlaceholderText(
                "stored; type to replace"
                if self._has_secret
                else "kept in the system keyring"
            )
            self.demo_hint.hide()
            return
        user, password = account
        self.user.setPlaceholderText(f"{user} (the demo's account)")
        self.secret.setPlaceholderText(
            "stored; type to replace"
            if self._has_secret
            else f"{password} (the demo's password)"
        )
        self.demo_hint.setText(
            f"The demo's account: username {user}, password {password} "
            "(login: username or email + password)."
        )
        self.demo_hint.show()

    def _check(self) -> None:
        self._show_login_hints()
        kind = self._kind()
        self.user.setEnabled(kind is LoginKind.PASSWORD)
        self.secret.setEnabled(kind is not LoginKind.NONE)
        self.tls_warning.setVisible(not self.verify_tls.isChecked())
        self.idle_after.setEnabled(self.schedule.isChecked())
        self.back_after.setEnabled(self.schedule.isChecked())
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)

    def problem(self) -> str | None:
        """Why the form cannot be saved yet, in words (None: it can)."""
        if not self.name.text().strip():
            return "Give the profile a name."
        if not self.url.text().strip() and not self.follow_hosted.isChecked():
            return "Give the server's URL."
        if self._kind() is LoginKind.PASSWORD and not (self.user.text().strip()):
            return "A password login needs a username or an email."
        try:
            parse_subscriptions(self.subscriptions.toPlainText())
        except ValueError as exc:
            return f"Subscriptions: {exc}"
        return None

    def profile(self) -> Profile:
        """The edited profile (same id as the one given)."""
        kind = self._kind()
        # Following a server that is not hosted now: the last address it had.
        url = self.url.text().strip()
        if self.follow_hosted.isChecked() and not url:
            url = self._profile.url
        return replace(
            self._profile,
            name=self.name.text().strip(),
            url=url,
            ddp_version=self.version.currentData(),
            subscriptions=parse_subscriptions(self.subscriptions.toPlainText()),
            auto_connect=self.auto_connect.isChecked(),
            login=LoginSpec(
                kind, self.user.text().strip() if kind is LoginKind.PASSWORD else ""
            ),
            verify_tls=self.verify_tls.isChecked(),
            resume_sessions=self.resume.isChecked(),
            hosted_server=self.follow_hosted.isChecked(),
            notify=self.notify.isChecked(),
            battery_schedule=BatterySchedule(
                self.idle_after.value(), self.back_after.value()
            )
            if self.schedule.isChecked()
            else None,
        )

    def typed_secret(self) -> str | None:
        """The password or token typed, or None to keep the stored one."""
        if self._kind() is LoginKind.NONE:
            return None
        return self.secret.text() or None


def _address(url: str) -> str:
    """``host:port`` of a URL as typed (any scheme or none), to compare two URLs."""
    rest = url.strip().lower().split("://", 1)[-1]
    return rest.split("/", 1)[0].replace("localhost", "127.0.0.1")


def _seconds(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, 86400.0)
    box.setDecimals(1)
    box.setSuffix(" s")
    box.setValue(value)
    return box
