"""The window's open connections: each one's client, adaptor, login and schedule.

Owns ``Workspace`` and ``OpenConnection``; imports ``transport.client`` (the
client and its ``accounts``), ``profiles``, ``qt`` (adaptor, battery schedule,
profile model) and ``ui`` (the window and its pages). ``app.desktop`` composes it; it answers the window's
``open_requested`` / ``close_requested`` and builds, per connection, what the
app used to build once: ``DDPClient`` (DDP version preference, TLS context),
``ClientAdaptor``, ``Accounts`` (the login from the profile, its secret read
from the keyring), the subscriptions the profile names and the optional
``BatteryScheduler``; and the profile's saved calls and scenarios for the
page's method console (``qt.profile_scenarios``, ``qt.scenario_runs``).

A profile that follows the window's hosted server (``Profile.hosted_server``)
opens on the URL that server has now, and moves with it when it is hosted
again on another port (Meteor's ``reconnect({url})``): its port is any free
one, new at each start (issue 13 item 11).

A profile that notifies (``Profile.notify``, off by default) gets a
``qt.notices.ConnectionNotices`` on its adaptor, feeding the window's one
``ui.tray.StatusTray`` (issue 13 item 16); ticking or unticking the switch
of an open profile takes effect at once.

A recording file (File > Open recording, ``ddp-monitor FILE``) gets a page
too, read-only, made from a ``qt.recording_adaptor.RecordingAdaptor``
(issue 16); closing it only drops the page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex

from ddp_monitor.ddp.client.events import (
    HandshakeCompleted,
    PongReceived,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.errors import DDPError, MethodError
from ddp_monitor.profiles import (
    LoginKind,
    Profile,
    SecretStore,
    SecretsUnavailable,
    client_options,
)
from ddp_monitor.qt.battery_schedule import BatteryScheduler
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.notices import ConnectionNotices
from ddp_monitor.qt.profile_model import PROFILE_ROLE
from ddp_monitor.qt.profile_scenarios import ProfileScenarios
from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
from ddp_monitor.qt.scenario_runs import ScenarioRunAdaptor
from ddp_monitor.recording.format import RecordingError
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod
from ddp_monitor.transport.client.urls import InvalidURL
from ddp_monitor.ui.connection_page import ConnectionPage
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.tray import StatusTray

__all__ = ["OpenConnection", "Workspace", "client_options"]

log = logging.getLogger(__name__)

# Connection plumbing, not use: a phone with only heartbeats is idle.
_NOT_ACTIVITY = (PongReceived, StatusChanged, HandshakeCompleted, TransportLost)


@dataclass
class OpenConnection:
    """Everything one open connection is made of."""

    key: str
    adaptor: ClientAdaptor
    accounts: Accounts
    page: ConnectionPage
    profile: Profile | None = None
    scheduler: BatteryScheduler | None = None
    login: PendingMethod | None = None
    #: connected to the window's hosted server, and moves with it
    follows_hosted: bool = False
    notices: ConnectionNotices | None = None  # desktop notices, when asked for
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def client(self) -> DDPClient:
        return self.adaptor.client


class Workspace:
    """Open and close connections in ``window``; ``profiles`` come from its model.

    ``released`` is called after a connection closed (the app's collector
    plan looks for the cycles it left: ``app.collector``).
    """

    def __init__(
        self, window: MainWindow, released: Callable[[], object] = lambda: None
    ) -> None:
        self.window = window
        self._released = released
        self.connections: dict[str, OpenConnection] = {}
        self.recordings: dict[str, RecordingAdaptor] = {}  # read-only pages
        self._opening: dict[str, asyncio.Future[OpenConnection]] = {}
        window.open_requested.connect(self._open_requested)
        window.url_requested.connect(self._url_requested)
        window.close_requested.connect(self._close_requested)
        window.recording_requested.connect(self._recording_requested)
        window.server_adaptor.hosting_changed.connect(self._follow_hosted)
        self.tray = StatusTray(window)
        self.tray.connection_chosen.connect(window.select)
        window.profiles.dataChanged.connect(self._profiles_edited)

    @property
    def secrets(self) -> SecretStore:
        return self.window.profiles.secrets

    async def open_url(
        self,
        url: str,
        key: str,
        label: str = "",
        *,
        method_names: Sequence[str] = (),
        publication_names: Sequence[str] = (),
        profile: Profile | None = None,
        follows_hosted: bool = False,
    ) -> OpenConnection:
        """Connect to ``url`` and give it a page (already open: select it).

        ``follows_hosted``: ``url`` is the hosted server's, and the connection
        moves when that server is hosted again elsewhere.

        Raises:
            InvalidURL: ``url`` cannot lead to a DDP server.
        """
        opened, _ = await self._open(
            url,
            key,
            label,
            method_names,
            publication_names,
            profile,
            follows_hosted=follows_hosted,
        )
        return opened

    async def _open(
        self,
        url: str,
        key: str,
        label: str,
        method_names: Sequence[str],
        publication_names: Sequence[str],
        profile: Profile | None,
        *,
        follows_hosted: bool = False,
    ) -> tuple[OpenConnection, bool]:
        """``open_url``, and whether this call made the connection.

        A second request for a key that is open, or still opening (the
        client's start awaits), selects its page and makes nothing.
        """
        pending = self._opening.get(key)
        if pending is not None:
            opened = await asyncio.shield(pending)
            self.window.select(key)
            return opened, False
        if key in self.connections:
            self.window.select(key)
            return self.connections[key], False
        done: asyncio.Future[OpenConnection] = (
            asyncio.get_running_loop().create_future()
        )
        self._opening[key] = done
        try:
            opened = await self._connect(
                url,
                key,
                label,
                method_names,
                publication_names,
                profile,
                follows_hosted=follows_hosted,
            )
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()  # retrieved: only the first caller reports it
            raise
        else:
            done.set_result(opened)
            return opened, True
        finally:
            del self._opening[key]

    async def _connect(
        self,
        url: str,
        key: str,
        label: str,
        method_names: Sequence[str],
        publication_names: Sequence[str],
        profile: Profile | None,
        *,
        follows_hosted: bool = False,
    ) -> OpenConnection:
        client = DDPClient(url, **(client_options(profile) if profile else {}))
        accounts = Accounts.of(client)
        adaptor = ClientAdaptor(
            client, label, profile=profile.name if profile else None
        )
        await adaptor.start()
        page = self.window.add_connection(
            key,
            adaptor,
            method_names=method_names,
            publication_names=publication_names,
        )
        accounts.add_listener(page.show_user)
        opened = OpenConnection(
            key, adaptor, accounts, page, profile, follows_hosted=follows_hosted
        )
        self.connections[key] = opened
        return opened

    async def open_profile(self, profile: Profile) -> OpenConnection | None:
        """Open ``profile``: log in first, then subscribe, then start its schedule."""
        url = self._url_of(profile)
        if url is None:
            return None
        try:
            opened, made = await self._open(
                url,
                profile.id,
                profile.name,
                (),
                (),
                profile,
                follows_hosted=profile.hosted_server,
            )
        except InvalidURL as exc:
            self.window.banner.show_problem(
                f"Cannot open \u201c{profile.name}\u201d", f"{exc.url!r}: {exc.reason}."
            )
            return None
        if not made:
            return opened  # open already: its page is selected, nothing is sent
        page = opened.page
        if not profile.verify_tls:
            page.banner.show_problem(
                "Certificate checks are off",
                "This profile does not check the server's TLS certificate.",
            )
        self._keep_scenarios(opened, profile)
        self._log_in(opened, profile)
        for sub in profile.subscriptions:
            opened.adaptor.subscribe(sub.name, list(sub.params))
        if profile.battery_schedule is not None:
            self._schedule(opened, profile)
        self._notify(opened, profile.notify)
        return opened

    def _keep_scenarios(self, opened: OpenConnection, profile: Profile) -> None:
        """The profile's saved calls and scenarios, run on this page's connection."""
        page = opened.page
        scenarios = ProfileScenarios(self.window.profiles, profile.id, parent=page)
        runs = ScenarioRunAdaptor(opened.adaptor, scenarios, parent=page)
        runs.problem.connect(page.banner.show_problem)
        page.methods.set_profile(scenarios, runs)

    def _url_of(self, profile: Profile) -> str | None:
        """Where ``profile`` connects now; None (and why, in the banner): nowhere."""
        if not profile.hosted_server:
            return profile.url
        url = self.window.server_adaptor.url
        if not url:
            self.window.banner.show_problem(
                f"Cannot open \u201c{profile.name}\u201d",
                "It connects to the server this window hosts, and none is hosted "
                "now: start one in the Server panel (Ctrl+5), then open it again.",
            )
            return None
        return url

    def _follow_hosted(self, url: str) -> None:
        """The hosted server moved: its profiles' connections go with it."""
        if not url:
            return  # stopped: they wait, and say why, until it is back
        for opened in self.connections.values():
            if opened.follows_hosted and opened.client.url != url:
                opened.client.reconnect(url=url)

    def _notify(self, opened: OpenConnection, on: bool) -> None:
        """Desktop notices and the tray icon for ``opened``, or none."""
        if on and opened.notices is None:
            adaptor = opened.adaptor
            notices = ConnectionNotices(opened.key, adaptor)
            notices.noticed.connect(self.tray.show_notice)
            notices.look_changed.connect(self.tray.show_status)
            opened.notices = notices
            self.tray.watch(
                opened.key, adaptor.label, adaptor.status, adaptor.battery_saving
            )
        elif not on and opened.notices is not None:
            opened.notices.stop()
            opened.notices.deleteLater()
            opened.notices = None
            self.tray.forget(opened.key)

    def _profiles_edited(self, first: QModelIndex, last: QModelIndex, *_: Any) -> None:
        """An open profile's notification switch applies at once."""
        for row in range(first.row(), last.row() + 1):
            profile = first.model().index(row, 0).data(PROFILE_ROLE)
            opened = self.connections.get(getattr(profile, "id", ""))
            if opened is not None and opened.profile is not None:
                self._notify(opened, profile.notify)

    def _log_in(self, opened: OpenConnection, profile: Profile) -> None:
        # Called before the socket opens, so login is the first method sent
        # after connect, as Meteor's page-load auto-login (accounts_client.js).
        kind = profile.login.kind
        if kind is LoginKind.NONE:
            return
        try:
            secret = self.secrets.get(SecretStore.key(profile))
        except SecretsUnavailable as exc:
            secret, why = None, str(exc)
        else:
            why = "no password or token is stored for it (Edit the profile)"
        if secret is None:
            opened.page.banner.show_problem("Not logged in", f"{profile.name}: {why}.")
            return
        accounts = opened.accounts
        pending = (
            accounts.login_with_password_nowait(profile.login.user, secret)
            if kind is LoginKind.PASSWORD
            else accounts.login_with_token_nowait(secret)
        )
        opened.login = pending

        def done(_: object) -> None:
            error = None if pending.result.cancelled() else pending.result.exception()
            if isinstance(error, MethodError | DDPError):
                opened.page.banner.show_problem("Login failed", str(error))

        pending.result.add_done_callback(done)

    def _schedule(self, opened: OpenConnection, profile: Profile) -> None:
        schedule = profile.battery_schedule
        assert schedule is not None
        adaptor = opened.adaptor
        scheduler = BatteryScheduler(
            adaptor.set_battery_saving,
            schedule.idle_after,
            schedule.back_after,
            parent=adaptor,
        )

        def on_events(events: list[Any], _times: list[float]) -> None:
            if any(not isinstance(e, _NOT_ACTIVITY) for e in events):
                scheduler.note_activity()

        adaptor.events_flushed.connect(on_events)
        adaptor.battery_saving_changed.connect(scheduler.note_battery_saving)
        scheduler.start()
        opened.scheduler = scheduler

    def open_recording(self, path: Path) -> ConnectionPage | None:
        """Show a recording file as a read-only page (open already: select it).

        The page shows at once and fills in as the file is read. A file that
        is no recording: the banner says why (the line, for a damaged one)
        and None; the window goes on as it was.
        """
        key = f"recording:{path.resolve()}"
        if key in self.recordings:
            self.window.select(key)
            return self.window.pages[key]
        try:
            adaptor = RecordingAdaptor(path)
        except (RecordingError, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.window.banner.show_problem(
                f"Cannot open \u201c{path.name}\u201d",
                f"{path}: {why}.",
            )
            return None
        self.recordings[key] = adaptor
        page = self.window.add_connection(key, adaptor)
        adaptor.loaded.connect(
            lambda: log.info("recording %s read: %d items", path, len(adaptor))
        )
        adaptor.start()
        return page

    def _close_recording(self, key: str) -> None:
        adaptor = self.recordings.pop(key)
        adaptor.close()
        self.window.remove_connection(key)
        adaptor.deleteLater()
        self._released()

    async def close_connection(self, key: str) -> None:
        """Close the client for good and drop its page (a recording's: just the page)."""
        if key in self.recordings:
            self._close_recording(key)
            return
        opened = self.connections.pop(key, None)
        if opened is None:
            return
        if opened.scheduler is not None:
            opened.scheduler.stop()
        if opened.page.methods.runs is not None:  # a scenario still running ends here
            await opened.page.methods.runs.close()
        self._notify(opened, False)
        await opened.adaptor.close()
        self.window.remove_connection(key)
        self._released()

    async def close(self) -> None:
        for key in [*self.connections, *self.recordings]:
            await self.close_connection(key)

    # -- the window's requests --------------------------------------------------------
    def _open_requested(self, profile_id: str) -> None:
        profile = self.window.profiles.find(profile_id)
        if profile is not None:
            self._spawn(self.open_profile(profile))

    def _url_requested(self, url: str) -> None:
        self._spawn(self.open_url(url, url, "hosted server"))

    def _recording_requested(self, path: str) -> None:
        self.open_recording(Path(path))

    def _close_requested(self, key: str) -> None:
        self._spawn(self.close_connection(key))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        loop = asyncio.get_event_loop()

        def report(task: asyncio.Task[Any]) -> None:
            # Unexpected errors go to the loop's handler: the app's one route.
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {
                        "message": "opening or closing a connection failed",
                        "exception": task.exception(),
                    }
                )

        loop.create_task(work).add_done_callback(report)
