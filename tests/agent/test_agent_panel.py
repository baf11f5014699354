"""The Server panel's "Attach to an app" mode against the real Meteor 1.9.3 server with the agent.

One protocol, three sources in the same test: the window's own proxy in
front of the app, the app's agent, and our own server (``ddp-monitor serve
--demo --agent-secret``, the Python agent) give the same rows, Close cells,
fault bar and log. Then a fleet: two app servers attached at once, each row naming its server,
and a wrong secret explained.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.profiles import ProfileStore
from ddp_monitor.qt.agent_adaptor import AgentAdaptor
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.ui.agent_panel import AgentPanel
from ddp_monitor.ui.connections_panel import ConnectionsPanel
from ddp_monitor.ui.main_window import MainWindow
from tests.agent.agent_helpers import SECRET
from tests.agent.conftest import start_agent_meteor
from tests.demo_process import demo_server_process
from tests.keyrings import MemoryKeyring
from tests.peers.meteor_server import MeteorServer
from tests.qt.harness import run, until
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.meteor


@asynccontextmanager
async def window_of(tmp_path: Path) -> AsyncIterator[MainWindow]:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    session = await open_session(None, settings)
    window = session.window
    window.show()
    try:
        yield window
    finally:
        await session.close()
        window.close()


def column(panel: ConnectionsPanel, header: str) -> int:
    model = panel.model
    return next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == header
    )


def row_of(panel: ConnectionsPanel, session: str | None) -> dict[str, Any] | None:
    return next((r for r in panel.model.rows() if r.get("session") == session), None)


def cell(panel: ConnectionsPanel, session: str | None, header: str) -> str:
    found = row_of(panel, session)
    assert found is not None
    row = panel.model.row_of(found["_id"])
    assert row is not None
    return str(panel.model.data(panel.model.index(row, column(panel, header))))


def click_close(panel: ConnectionsPanel, session: str | None) -> None:
    found = row_of(panel, session)
    assert found is not None
    row = panel.model.row_of(found["_id"])
    assert row is not None
    (close,) = panel.closers if len(panel.closers) == 1 else [min(panel.closers)]
    rect = panel.table.visualRect(panel.model.index(row, close))
    QTest.mouseClick(
        panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )


@pytest.mark.parametrize("source", ["proxy", "agent", "our server"])
def test_one_protocol_three_sources(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    agent_meteor: MeteorServer,
    source: str,
) -> None:
    """Through the window's proxy, from the app's agent or from our server's: the row shows the address the app computed, its log, the fault bar's latency, and Close brings the client back on a new row."""

    async def scenario() -> dict[str, Any]:
        async with AsyncExitStack() as stack:
            if source == "our server":  # it outlives the window, as an app does
                ours = await stack.enter_async_context(
                    demo_server_process(0, "--agent-secret", SECRET)
                )
            window = await stack.enter_async_context(window_of(tmp_path))
            seen: dict[str, Any] = {}
            if source == "our server":
                window.server_tab.show_agent()
                panel: ConnectionsPanel = window.agent_panel
                assert await window.agent_panel.attach_to(ours.url, SECRET)
                url = ours.url
            elif source == "proxy":
                window.server_tab.show_proxy()
                panel = window.proxy_panel
                assert await window.proxy_panel.adaptor.start(agent_meteor.http_url, 0)
                url = window.proxy_panel.adaptor.url
            else:
                window.server_tab.show_agent()
                panel = window.agent_panel
                assert await window.agent_panel.attach_to(agent_meteor.url, SECRET)
                url = agent_meteor.url
            async with asyncio.timeout(3 * TIMEOUT), DDPClient(url) as client:
                seen["whoami"] = await client.call("whoami")
                first = client.session
                await until(
                    panel.model.counts_changed, lambda: row_of(panel, first) is not None
                )
                seen["app sees"] = cell(panel, first, "App sees")
                seen["bytes"] = cell(panel, first, "↓ bytes")
                seen["title"] = window.server_tab.title()
                assert panel.select(row_of(panel, first)["_id"])  # type: ignore[index]
                log = panel.log_model
                await until(log.counts_changed, lambda: "result" in log.kinds_seen())
                panel.faults.latency_down.setValue(300)
                panel.faults.apply.click()
                await until(
                    panel.model.counts_changed,
                    lambda: "↓300 ms" in cell(panel, first, "Faults"),
                )
                loop = asyncio.get_running_loop()
                start = loop.time()
                await client.call("echo", 1)
                seen["took"] = loop.time() - start
                click_close(panel, first)
                await client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
                seen["after"] = await client.call("whoami")
                await until(
                    panel.model.counts_changed,
                    lambda: (
                        row_of(panel, client.session) is not None
                        and row_of(panel, first) is None
                    ),
                )
            return seen

    seen = run(qloop, scenario())
    # Meteor's clientAddress with HTTP_FORWARDED_COUNT=1: the proxy's hop through
    # the proxy, null without any proxy.
    assert seen["app sees"] == str(seen["whoami"]["clientAddress"]).replace(
        "None", "null"
    )
    assert seen["title"] == ("Proxy (1)" if source == "proxy" else "App (1)")
    assert seen["took"] >= 0.3
    # Our server counts messages, not bytes: its cells stay empty, never a made-up 0.
    assert (seen["bytes"] == "") == (source == "our server"), seen["bytes"]
    assert seen["after"]["id"] != seen["whoami"]["id"]  # Meteor never resumes


def test_a_fleet_of_two_servers_and_a_wrong_secret(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, agent_meteor: MeteorServer
) -> None:
    """Two app servers attached at once: each client's row names its server; a wrong secret is explained and attaches nothing."""
    other = start_agent_meteor(
        {"DDP_MONITOR_AGENT_SECRET": SECRET, "HTTP_FORWARDED_COUNT": "1"}
    )

    async def scenario() -> tuple[str, str, str, list[str], str]:
        async with window_of(tmp_path) as window:
            window.server_tab.show_agent()
            panel = window.agent_panel
            refused = await panel.attach_to(other.url, "a wrong secret")
            why = panel.state.text()
            assert not refused
            assert await panel.attach_to(agent_meteor.url, SECRET)
            assert await panel.attach_to(other.url, SECRET)
            async with (
                asyncio.timeout(3 * TIMEOUT),
                DDPClient(
                    agent_meteor.url, headers={"X-Forwarded-For": "198.51.100.7"}
                ) as one,
                DDPClient(other.url) as two,
            ):
                await one.call("echo", 1)
                await two.call("echo", 2)
                await until(
                    panel.model.counts_changed,
                    lambda: (
                        row_of(panel, one.session) is not None
                        and row_of(panel, two.session) is not None
                    ),
                )
                servers = [
                    cell(panel, one.session, "Server"),
                    cell(panel, two.session, "Server"),
                ]
                sees = cell(panel, one.session, "App sees")
                attached = [
                    panel.attached.itemText(i) for i in range(panel.attached.count())
                ]
                return why, sees, window.server_tab.title(), attached, ",".join(servers)

    try:
        why, sees, title, attached, servers = run(qloop, scenario())
    finally:
        other.stop()
    assert "refused the secret" in why
    assert sees == "198.51.100.7"
    assert title == "App (2)"
    assert attached == [agent_meteor.url, other.url]
    one, two = servers.split(",")
    assert one.endswith(f":{agent_meteor.pid}")
    assert two.endswith(f":{other.ready_info['pid']}")


def test_remember_saves_the_app_with_its_secret_in_the_keyring(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    agent_meteor: MeteorServer,
    memory_keyring: MemoryKeyring,
) -> None:
    """Attach with Remember: the URL goes to the app profiles file (no secret in it), the secret to the keyring; a new panel offers the app and fills the secret back."""
    store = ProfileStore(tmp_path / "agent-profiles.json")

    async def scenario() -> tuple[list[str], str]:
        first = AgentPanel(AgentAdaptor(), store)
        first.remember.setChecked(True)
        assert await first.attach_to(agent_meteor.url, SECRET)
        await first.adaptor.stop()
        again = AgentPanel(AgentAdaptor(), ProfileStore(store.path))
        offered = [again.url.itemText(i) for i in range(again.url.count())]
        again.url.activated.emit(0)  # the user picks the saved app
        return offered, again.secret.text()

    offered, secret = run(qloop, scenario())
    assert offered == [agent_meteor.url]
    assert secret == SECRET
    assert SECRET not in store.path.read_text(encoding="utf-8")
    assert SECRET in memory_keyring.passwords.values()
