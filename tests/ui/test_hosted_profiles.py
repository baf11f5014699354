"""Profiles for the server the window hosts: they follow its port; on the demo the login form names its account.

The window on its embedded demo (hosted in its own process, as ``ddp-monitor``
with no URL opens it) -> a profile that follows the hosted server -> real
clients, on the qasync harness (tests.qt.harness). Issue 13 items 10 and 11.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.profiles import LoginKind, Profile, ProfileStore
from ddp_monitor.ui.profiles_dialog import ProfileDialog
from tests.qt.harness import demo_server, run, until

C = ConnectionStatus
#: A port the hosted server had in an earlier run (nothing listens there now).
STALE_URL = "ws://127.0.0.1:9/websocket"


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_a_hosted_server_profile_opens_where_it_listens_now_and_follows_it(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Saved on an old port, it connects to today's; hosted again elsewhere, it and the demo page move."""

    async def scenario() -> dict[str, Any]:
        session = await open_session(
            None, _settings(tmp_path), ProfileStore(tmp_path / "p.json")
        )
        window, workspace = session.window, session.workspace
        assert workspace is not None
        hosted = window.server_adaptor
        seen: dict[str, Any] = {"first_url": hosted.url}
        try:
            profile = Profile("mine", STALE_URL, hosted_server=True)
            assert window.save_profile(profile, None)
            opened = await workspace.open_profile(profile)
            assert opened is not None
            await until(
                opened.adaptor.status_changed, lambda: opened.client.status.connected
            )
            seen["opened_on"] = opened.client.url
            # The Server panel's Stop, then Start on any free port.
            demo = session.adaptor
            await hosted.stop()
            assert await hosted.start("127.0.0.1", 0)
            seen["second_url"] = hosted.url
            for adaptor in (opened.adaptor, demo):
                await until(
                    adaptor.status_changed,
                    lambda a=adaptor: a.status.connected and a.url == hosted.url,
                )
            seen["moved"] = [opened.client.url, demo.url]
            seen["answer"] = await asyncio.wait_for(opened.client.call("add", 2, 2), 10)
        finally:
            window.close()
            await session.close()
        return seen

    seen = run(qloop, scenario())
    assert seen["opened_on"] == seen["first_url"] != STALE_URL
    assert seen["second_url"] != seen["first_url"]
    assert seen["moved"] == [seen["second_url"]] * 2
    assert seen["answer"] == 4


def test_a_hosted_server_profile_with_nothing_hosted_says_what_to_do(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """With no hosted server it does not connect to its old port: the banner says to start one."""

    async def scenario() -> tuple[object, str, int]:
        async with demo_server() as server:
            session = await open_session(server.url, _settings(tmp_path))
            window, workspace = session.window, session.workspace
            assert workspace is not None
            try:
                profile = Profile("mine", STALE_URL, hosted_server=True)
                opened = await workspace.open_profile(profile)
                banner = window.banner
                return (
                    opened,
                    f"{banner.title} {banner.detail}",
                    len(workspace.connections),
                )
            finally:
                window.close()
                await session.close()

    opened, words, open_count = run(qloop, scenario())
    assert opened is None
    assert open_count == 1  # the URL's connection only
    assert "none is hosted now" in words
    assert "Server panel" in words


def test_the_login_form_names_the_demo_account_on_the_demo(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """A new profile from the demo page follows the hosted demo and offers demo / demo; another URL does not."""

    async def scenario() -> dict[str, Any]:
        session = await open_session(None, _settings(tmp_path))
        window = session.window
        try:
            dialog = window.commands.dialog(None)  # Ctrl+N on the demo page
            dialog.show()
            port = window.server_adaptor.port
            seen: dict[str, Any] = {
                "follows": dialog.follow_hosted.isChecked(),
                "url": dialog.url.text(),
                "hint": dialog.demo_hint.text(),
                "hint_shown": dialog.demo_hint.isVisible(),
                "user": dialog.user.placeholderText(),
                "secret": dialog.secret.placeholderText(),
                "hosted": window.server_adaptor.url,
            }
            dialog.login_kind.setCurrentIndex(
                dialog.login_kind.findData(str(LoginKind.PASSWORD))
            )
            dialog.name.setText("demo login")
            dialog.user.setText("demo")
            seen["profile"] = dialog.profile()
            dialog.follow_hosted.setChecked(False)
            dialog.url.setText("https://app.example.com")
            seen["elsewhere"] = (
                dialog.demo_hint.isVisible(),
                dialog.user.placeholderText(),
            )
            dialog.url.setText(f"localhost:{port}")  # the demo's port, typed
            seen["typed"] = dialog.demo_hint.isVisible()
            dialog.close()
            return seen
        finally:
            window.close()
            await session.close()

    seen = run(qloop, scenario())
    assert seen["follows"]
    assert seen["url"] == seen["hosted"]
    assert seen["hint_shown"]
    assert "username demo, password demo" in seen["hint"]
    assert seen["user"].startswith("demo ")
    assert seen["secret"].startswith("demo ")
    assert seen["profile"].hosted_server
    assert seen["profile"].url == seen["hosted"]
    assert seen["elsewhere"] == (False, "username, or an email (contains @)")
    assert seen["typed"]


def test_a_hosted_server_profile_with_nothing_hosted_keeps_its_last_url(
    qtbot: Any,
) -> None:
    """Edited while nothing is hosted, the form asks for no URL and keeps the one saved."""
    profile = Profile("mine", STALE_URL, hosted_server=True)
    dialog = ProfileDialog(profile)
    qtbot.addWidget(dialog)
    assert not dialog.url.isEnabled()
    assert dialog.problem() is None
    assert "no server" in dialog.url.placeholderText()
    assert not dialog.for_demo()
    assert dialog.profile() == profile
