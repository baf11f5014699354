"""Desktop notifications: a notifying profile's drop, its retries and its return, as the tray is asked to show them.

Real demo servers on 127.0.0.1 (one stopped and started again on its port)
-> real clients -> adaptors -> the rule -> the window's tray, on the qasync
harness. What would reach the system goes through ``StatusTray.deliver``,
where the test records it; the tray icon itself is real.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.profiles import Profile
from ddp_monitor.ui.tray import TrayMessage
from tests.demo_process import free_port
from tests.qt.harness import demo_server, next_emission, run, until

C = ConnectionStatus


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_a_drop_is_notified_once_through_its_retries_and_the_return_once(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Server stopped: one "dropped" however many retries, the tray amber; started again: one "back"."""
    port = free_port()

    async def scenario() -> dict[str, Any]:
        async with demo_server() as first:
            session = await open_session(first.url, _settings(tmp_path))
            window, workspace = session.window, session.workspace
            assert workspace is not None
            tray = workspace.tray
            shown: list[TrayMessage] = []
            tray.deliver = shown.append
            seen: dict[str, Any] = {"icon_before": tray.icon}
            server = create_demo_server(host="127.0.0.1", port=port)
            await server.start()
            try:
                profile = Profile("staging", server.url, notify=True)
                assert window.save_profile(profile, None)
                opened = await workspace.open_profile(profile)
                assert opened is not None
                assert opened.notices is not None
                adaptor = opened.adaptor
                await until(adaptor.status_changed, lambda: adaptor.status.connected)
                seen["connected"] = (list(shown), tray.status_icon(), tray.watched)
                await server.stop()
                await until(
                    adaptor.status_changed,
                    lambda: (
                        adaptor.status.status is C.WAITING
                        and adaptor.status.retry_count >= 2
                    ),
                )
                seen["retrying"] = (list(shown), tray.status_icon(), tray.tooltip())
                server = create_demo_server(host="127.0.0.1", port=port)
                await server.start()
                adaptor.reconnect()  # as Ctrl+R: no need to wait out the back-off
                while len(shown) < 2:
                    await next_emission(opened.notices.noticed)
                seen["back"] = (list(shown), tray.status_icon())
                await workspace.close_connection(profile.id)
                seen["closed"] = (len(shown), tray.icon, tray.watched)
            finally:
                await server.stop()
                window.close()
                await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["icon_before"] is None  # nothing notifies: no tray icon
    assert seen["connected"] == ([], "status-connected", [seen["connected"][2][0]])
    retrying, icon, tooltip = seen["retrying"]
    assert [(m.title, m.icon) for m in retrying] == [
        ("staging: connection dropped", "status-waiting")
    ]
    assert icon == "status-waiting"
    assert "staging: Waiting" in tooltip
    back, icon = seen["back"]
    assert [m.title for m in back] == [
        "staging: connection dropped",
        "staging: connected again",
    ]
    assert back[1].body.startswith("The connection is back after ")
    assert icon == "status-connected"
    assert seen["closed"] == (2, None, [])  # closing is no news, and the icon goes


def test_notifications_are_off_by_default_and_the_switch_works_on_an_open_profile(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """A profile without the switch: no tray, no notice on a drop; ticked while open: the tray appears."""

    async def scenario() -> dict[str, Any]:
        async with demo_server() as first, demo_server() as other:
            session = await open_session(first.url, _settings(tmp_path))
            window, workspace = session.window, session.workspace
            assert workspace is not None
            tray = workspace.tray
            shown: list[TrayMessage] = []
            tray.deliver = shown.append
            seen: dict[str, Any] = {}
            try:
                profile = Profile("quiet", other.url)
                assert window.save_profile(profile, None)
                opened = await workspace.open_profile(profile)
                assert opened is not None
                adaptor = opened.adaptor
                await until(adaptor.status_changed, lambda: adaptor.status.connected)
                adaptor.set_battery_saving(True)  # a drop, of our own making
                await until(
                    adaptor.status_changed,
                    lambda: adaptor.status.status is C.WAITING,
                )
                adaptor.set_battery_saving(False)
                await until(adaptor.status_changed, lambda: adaptor.status.connected)
                seen["off"] = (opened.notices, tray.icon, list(shown))
                window.save_profile(
                    Profile("quiet", other.url, notify=True, id=profile.id), None
                )
                seen["on"] = (
                    opened.notices is not None,
                    tray.watched,
                    tray.icon is not None,
                )
                window.save_profile(profile, None)
                seen["off_again"] = (opened.notices, tray.icon)
            finally:
                window.close()
                await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["off"] == (None, None, [])
    on, watched, icon = seen["on"]
    assert on
    assert len(watched) == 1
    assert icon
    assert seen["off_again"] == (None, None)
