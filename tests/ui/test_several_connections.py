"""Two connections side by side in one window: own pages, own status dots, own battery switch, login.

Real demo servers on 127.0.0.1 -> real clients -> adaptors -> the window, on the
qasync harness (tests.qt.harness); a real in-memory keyring backend holds the password.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.profiles import (
    LoginKind,
    LoginSpec,
    Profile,
    ProfileStore,
    SubscriptionSpec,
)
from tests.keyrings import MemoryKeyring
from tests.qt.harness import demo_server, next_emission, run, until
from tests.timeouts import TIMEOUT

C = ConnectionStatus


def test_two_connections_each_with_its_own_page(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """A profile opens beside the first connection: own panels, dot, battery switch, login."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = ProfileStore(tmp_path / "profiles.json")

    async def scenario() -> dict[str, Any]:
        async with demo_server() as one, demo_server() as two:
            session = await open_session(one.url, settings, store)
            window, workspace = session.window, session.workspace
            assert workspace is not None
            first = session.adaptor
            await until(
                first.status_changed, lambda: first.status.status is C.CONNECTED
            )
            profile = Profile(
                "second",
                two.url,
                subscriptions=(SubscriptionSpec("tasks"),),
                login=LoginSpec(LoginKind.PASSWORD, "demo@example.com"),
            )
            assert window.save_profile(profile, "demo")
            window.open_requested.emit(profile.id)  # what double-click does
            while profile.id not in workspace.connections:
                await next_emission(window.sidebar.connection_list.model().rowsInserted)
            second = workspace.connections[profile.id]
            while second.page.user_id is None:
                await next_emission(second.page.facts_changed)
            seen: dict[str, Any] = {
                "keys": window.sidebar.connection_keys(),
                "current": window.adaptor is second.adaptor,
                "login": window.login_label.text(),
                "pages": window.stack.count(),
            }
            window.battery_action.trigger()  # Ctrl+D: only the selected connection
            await until(
                second.adaptor.status_changed,
                lambda: second.adaptor.status.status is C.WAITING,
            )
            seen["first_status"] = first.status.status
            seen["dots"] = [
                window.sidebar.connection_list.item(n).toolTip().splitlines()[-1]
                for n in range(2)
            ]
            window.sidebar.select_connection(
                session.window.sidebar.connection_keys()[0]
            )
            seen["back_to_first"] = window.adaptor is first
            seen["battery_checked_on_first"] = window.battery_action.isChecked()
            second.adaptor.flush()  # hand the 60 ms batch on now
            seen["tasks_rows"] = second.page.subscription_model.rowCount()
            window.close()  # remembers what was open
            await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["keys"][1] != seen["keys"][0]
    assert len(seen["keys"]) == 2
    assert seen["current"]
    assert seen["login"].startswith("logged in as ")
    assert seen["pages"] == 3  # the empty state and two pages
    assert seen["first_status"] is C.CONNECTED
    assert seen["dots"][0] == "Connected"
    assert seen["dots"][1].endswith(" · battery saving")
    assert seen["back_to_first"]
    assert not seen["battery_checked_on_first"]
    assert seen["tasks_rows"] == 1
    remembered = settings.value("connections/open")
    assert isinstance(remembered, list)
    assert seen["keys"][1] in remembered
    # The password is in the keyring, not among the file's values.
    assert "demo" not in _strings(json.loads(store.path.read_text()))
    assert list(memory_keyring.passwords.values()) == ["demo"]


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def test_profile_dialog_gives_back_what_it_was_given(qtbot: Any) -> None:
    """Opening a profile and pressing OK changes nothing; unticking TLS shows the warning."""
    from ddp_monitor.profiles import BatterySchedule
    from ddp_monitor.ui.profiles_dialog import ProfileDialog

    profile = Profile(
        "prod",
        "wss://app.example.com/websocket",
        ddp_version="pre2",
        subscriptions=(SubscriptionSpec("ticker", (1000, {"a": [1]})),),
        auto_connect=True,
        login=LoginSpec(LoginKind.PASSWORD, "ada@example.com"),
        battery_schedule=BatterySchedule(45.0, 5.0),
    )
    dialog = ProfileDialog(profile, has_secret=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.profile() == profile
    assert dialog.user.isEnabled()
    assert dialog.typed_secret() is None
    assert not dialog.tls_warning.isVisible()
    dialog.verify_tls.setChecked(False)
    assert dialog.tls_warning.isVisible()
    dialog.subscriptions.setPlainText("ticker [1000")
    assert dialog.problem() is not None
    assert "line 1" in (dialog.problem() or "")


def test_closing_a_connection_frees_its_documents(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """After a connection is closed its documents leave memory, though the collector had frozen them."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    async def scenario() -> tuple[int, bool]:
        session = await open_session(None, settings)
        workspace, collector = session.workspace, session.collector
        assert workspace is not None
        assert collector is not None
        try:
            second = await workspace.open_url(session.adaptor.url, "again", "again")
            items = second.adaptor.subscribe("items", [2000])
            async with asyncio.timeout(TIMEOUT):
                await items.ready
            store = weakref.ref(second.adaptor.store)
            held = len(second.adaptor.store.collection("items"))
            collector.settle()  # what the plan does every 250 ms: now they are frozen
            del second, items
            await workspace.close_connection("again")
            await next_emission(collector.collected, within=TIMEOUT)
            return held, store() is None
        finally:
            session.window.close()
            await session.close()

    held, freed = run(qloop, scenario())
    assert held == 2000
    assert freed


def test_double_clicking_a_profile_opens_it_once_and_again_only_selects_it(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """One login and one subscription per open, however many times it is activated."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = ProfileStore(tmp_path / "profiles.json")

    async def scenario() -> tuple[list[str], int, bool]:
        async with demo_server() as one, demo_server() as two:
            session = await open_session(one.url, settings, store)
            window, workspace = session.window, session.workspace
            assert workspace is not None
            profile = Profile(
                "twice",
                two.url,
                subscriptions=(SubscriptionSpec("tasks"),),
                login=LoginSpec(LoginKind.PASSWORD, "demo@example.com"),
            )
            assert window.save_profile(profile, "demo")
            window.show()
            view = window.sidebar.profile_list
            row = next(
                n
                for n in range(view.model().rowCount())
                if view.model().index(n, 0).data() == "twice"
            )
            index = view.model().index(row, 0)

            def double_click() -> None:
                # What QAbstractItemView emits on a double-click: both signals.
                view.doubleClicked.emit(index)
                view.activated.emit(index)

            double_click()
            while profile.id not in workspace.connections:
                await next_emission(window.sidebar.connection_list.model().rowsInserted)
            opened = workspace.connections[profile.id]
            while opened.page.user_id is None:
                await next_emission(opened.page.facts_changed)
            window.sidebar.select_connection(window.sidebar.connection_keys()[0])
            double_click()
            await until(
                window.sidebar.connection_list.currentItemChanged,
                lambda: window.adaptor is opened.adaptor,
            )
            await opened.adaptor.call("echo", [1]).result  # all sent is in by now
            opened.adaptor.flush()
            sent = [
                json.loads(e.frame.data).get("method") or e.kind
                for e in opened.page.log_model.visible_entries()
                if e.kind in ("method", "sub")
            ]
            pages = window.stack.count()
            selected = window.adaptor is opened.adaptor
            await session.close()
            window.close()
            return sent, pages, selected

    sent, pages, selected = run(qloop, scenario())
    assert sent == ["login", "sub", "echo"]
    assert pages == 3
    assert selected


def test_the_page_asked_for_at_launch_is_the_one_shown(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """A profile left open at the last quit opens again, beside the URL asked for, which stays shown."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = ProfileStore(tmp_path / "profiles.json")

    async def scenario() -> tuple[list[str], str | None, str, str]:
        async with demo_server() as asked, demo_server() as remembered:
            profile = Profile("left open", remembered.url)
            store.save([profile])
            settings.setValue("connections/open", [profile.id])
            session = await open_session(asked.url, settings, store)
            await session.open_saved()
            window = session.window
            keys = window.sidebar.connection_keys()
            shown = window.current_key
            url = window.adaptor.url
            await session.close()
            window.close()
            return keys, shown, url, str(asked.url)

    keys, shown, url, asked_url = run(qloop, scenario())
    assert len(keys) == 2
    assert shown == keys[0]
    assert url == asked_url


def test_the_url_field_moves_a_page_and_the_hosted_server_opens_one(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Enter in the URL field connects the page there; a bad URL is explained; 'Connect to this server' opens a page."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    async def scenario() -> dict[str, Any]:
        async with demo_server() as other:
            session = await open_session(None, settings)  # the hosted demo
            window, adaptor = session.window, session.adaptor
            seen: dict[str, Any] = {
                "shown": window.bar.url.text(),
                "hosted": adaptor.url,
            }
            try:
                await until(
                    adaptor.handshake_completed, lambda: adaptor.session is not None
                )
                window.bar.url.setText("ftp://nowhere")
                window.bar.url.returnPressed.emit()
                seen["banner"] = window.banner.title
                window.bar.url.setText(str(other.url))
                window.bar.url.returnPressed.emit()
                await until(
                    adaptor.handshake_completed,
                    lambda: [c.id for c in other.connections] == [adaptor.session],
                )
                seen["moved"] = adaptor.url
                window.server_panel.hosting.connect_here.click()
                workspace = session.workspace
                assert workspace is not None
                while seen["hosted"] not in workspace.connections:
                    await next_emission(
                        window.sidebar.connection_list.model().rowsInserted
                    )
                seen["pages"] = window.stack.count()
            finally:
                await session.close()
                window.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["shown"] == seen["hosted"]
    assert seen["banner"] == "That is no DDP server URL"
    assert seen["moved"] != seen["hosted"]
    assert seen["pages"] == 3
