"""The Server tab end to end: real clients over 127.0.0.1 -> DDPServer -> ServerAdaptor -> the panel.

The project's ``DDPClient``, bare ``websockets`` sockets and the ``ddp`` npm
client connect to the embedded demo server; the panel is driven as a user
would (buttons, the painted Close cells, the forwarding spin box). Every wait
is bounded by tests.timeouts.TIMEOUT.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from websockets.asyncio.client import ClientConnection, connect

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.qt.server_model import CLOSE_COLUMN
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.ui.server_panel import ServerPanel
from tests.qt.harness import demo_server, next_emission, run, until
from tests.sockets import reset
from tests.timeouts import TIMEOUT

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


async def _raw(url: str, headers: dict[str, str]) -> tuple[ClientConnection, str]:
    """A bare websockets DDP client: (socket, session id)."""
    ws = await connect(url, additional_headers=headers)
    await ws.send(CONNECT)
    async with asyncio.timeout(TIMEOUT):
        session: str = json.loads(await ws.recv())["session"]
    return ws, session


@asynccontextmanager
async def _panel() -> AsyncIterator[tuple[ServerPanel, str]]:
    """The panel with the demo app hosted (in its own process): (panel, URL)."""
    panel = ServerPanel(ServerAdaptor())
    panel.resize(1100, 700)
    panel.show()
    try:
        assert await panel.adaptor.start("127.0.0.1", 0, demo=True)
        yield panel, panel.adaptor.url
    finally:
        await panel.adaptor.close()
        panel.close()


async def _row_of(panel: ServerPanel, connection_id: str) -> int:
    model = panel.model
    await until(model.counts_changed, lambda: model.position(connection_id) is not None)
    assert panel.select(connection_id)
    return model.position(connection_id) or 0


def _section(text: str, title: str) -> dict[str, str]:
    """The ``name  value`` lines of one section of the detail text."""
    lines = text.split(f"\n{title}", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return dict(line.strip().split(None, 1) for line in lines)


def _column(panel: ServerPanel, header: str) -> int:
    model = panel.model
    return next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == header
    )


def test_detail_shows_whitelisted_headers_and_never_the_cookie(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """Selecting a row shows the headers the client set (user-agent, x-forwarded-for), its subscriptions and frames, not its cookie."""

    async def scenario() -> tuple[str, str]:
        async with _panel() as (panel, url):
            headers = {
                "User-Agent": "panel-test/2.0",
                "X-Forwarded-For": "203.0.113.50",
                "Cookie": "meteor_login_token=do-not-show",
            }
            ws, session = await _raw(url, headers)
            await ws.send(
                json.dumps({"msg": "sub", "id": "s1", "name": "items", "params": [1]})
            )
            await _row_of(panel, session)
            await until(
                panel.adaptor.connections_flushed,
                lambda: "items" in panel.detail.summary.toPlainText(),
            )
            # The selected connection's last frames come from the hosted
            # server's process with its next batch.
            await until(
                panel.adaptor.frames_changed,
                lambda: '"ready"' in panel.detail.frames.toPlainText(),
            )
            shown = panel.detail.text()
            chain = panel.model.index(0, _column(panel, "x-forwarded-for")).data()
            await ws.close()
            return shown, chain

    shown, chain = run(qloop, scenario())
    headers = _section(shown, "HTTP headers")
    assert headers["user-agent"] == "panel-test/2.0"
    assert headers["x-forwarded-for"] == "203.0.113.50"
    assert "cookie" not in headers
    assert "s1  items" in shown
    assert '{"msg":"ready","subs":["s1"]}' in shown
    assert "cookie" not in shown.lower().replace("never cookies", "")
    assert "do-not-show" not in shown
    assert chain == "203.0.113.50"


def test_forwarded_count_in_the_panel_shows_the_proxied_address(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """Setting HTTP_FORWARDED_COUNT to 1 in the panel turns the row's client address into the proxy's entry."""

    async def scenario() -> tuple[str, str, str, str]:
        async with _panel() as (panel, url):
            ws, session = await _raw(url, {"X-Forwarded-For": "198.51.100.23"})
            row = await _row_of(panel, session)
            address = panel.model.index(row, _column(panel, "client address"))
            before = address.data()
            panel.forwarding.count.setValue(1)
            after = address.data()
            summary = panel.detail.summary.toPlainText()
            panel.forwarding.count.setValue(2)
            too_many = address.data()
            await ws.close()
            return before, after, summary, too_many

    before, after, summary, too_many = run(qloop, scenario())
    assert before == "127.0.0.1"
    assert after == "198.51.100.23"
    assert "client address   198.51.100.23" in summary
    assert "peer address     127.0.0.1" in summary
    assert too_many == "(none)"


def test_taken_port_shows_an_error_in_the_window(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """Start hosting on a port another server holds: the panel says the port is taken and hosts nothing."""

    async def scenario() -> tuple[bool, str, str, str, int]:
        async with demo_server() as other:
            panel = ServerPanel(ServerAdaptor())
            panel.show()
            bar = panel.hosting
            bar.port.setValue(other.port)
            bar.toggle.click()
            await next_emission(panel.adaptor.hosting_failed)
            result = (
                bar.error.isVisible(),
                bar.error.text(),
                bar.url.text(),
                bar.toggle.text(),
                other.port,
            )
            await panel.adaptor.close()
            panel.close()
            return result

    visible, error, url, button, port = run(qloop, scenario())
    assert visible
    assert f"Port {port} on 127.0.0.1 is taken" in error
    assert url == ""
    assert button == "Start hosting"


def test_start_and_stop_hosting_from_the_panel(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """Start hosting shows a URL a client can use (its row appears); Stop hosting empties the table."""

    async def scenario() -> tuple[str, str, int, str, str]:
        panel = ServerPanel(ServerAdaptor())
        panel.show()
        panel.hosting.demo.setChecked(False)
        panel.hosting.toggle.click()
        url = (await next_emission(panel.adaptor.hosting_changed))[0]
        ws, session = await _raw(url, {})
        await _row_of(panel, session)
        title = panel.title()
        panel.hosting.copy.click()
        copied = QGuiApplication.clipboard().text()
        panel.hosting.toggle.click()
        await until(panel.adaptor.hosting_changed, lambda: not panel.adaptor.url)
        result = (url, title, panel.model.rowCount(), panel.hosting.url.text(), copied)
        await ws.close()
        await panel.adaptor.close()
        panel.close()
        return result

    url, title, rows, shown_url, copied = run(qloop, scenario())
    assert copied == url
    assert url.startswith("ws://127.0.0.1:")
    assert url.endswith("/websocket")
    assert title == "Server (1)"
    assert rows == 0
    assert shown_url == ""


def test_close_removes_the_row_and_the_app_client_comes_back_with_a_new_id(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Close on the app's own connection: its row goes, the client panels show it reconnecting, then a new session id."""

    async def scenario() -> tuple[
        str, str, list[tuple[ConnectionStatus, str]], str, bool, str
    ]:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        session = await open_session(None, settings)
        window, client = session.window, session.adaptor
        window.show()
        try:
            panel: ServerPanel = window.server_panel
            await until(client.handshake_completed, lambda: client.session is not None)
            old = client.session or ""
            row = await _row_of(panel, old)
            seen: list[tuple[ConnectionStatus, str]] = []
            # The window's badge hears each status first; record what it says.
            client.status_changed.connect(
                lambda s: seen.append((s.status, window.badge.words))
            )
            cell = panel.table.visualRect(panel.model.index(row, CLOSE_COLUMN))
            QTest.mouseClick(
                panel.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center()
            )
            await until(
                panel.model.counts_changed, lambda: panel.model.position(old) is None
            )
            await until(
                client.handshake_completed, lambda: client.session not in (None, old)
            )
            new = client.session or ""
            await _row_of(panel, new)
            window._update_status_bar()
            label = window.session_label.text()
            gone = panel.model.position(old) is None
            return old, new, list(seen), label, gone, panel.title()
        finally:
            window.close()  # saves column widths while every panel is alive
            await session.close()

    old, new, seen, label, gone, title = run(qloop, scenario())
    assert new != old
    assert gone
    statuses = [status for status, _ in seen]
    assert statuses[0] in (ConnectionStatus.WAITING, ConnectionStatus.CONNECTING)
    assert statuses[-1] is ConnectionStatus.CONNECTED
    assert seen[0][1].startswith(("Waiting", "Connecting"))
    assert seen[-1][1] == "Connected"
    assert new in label
    assert title == "Server (1)"


NODE_CLIENT = r"""
// The `ddp` npm package (oortcloud/node-ddp), reconnecting on its own; one JSON
// line per connected session; quits when stdin closes.
var DDPClient = require('ddp');
var url = process.argv[1];
var port = Number(new URL(url).port);
var client = new DDPClient({ host: '127.0.0.1', port: port, url: url,
  autoReconnect: true, autoReconnectTimer: 200, ddpVersion: '1' });
client.connect(function (error, reconnected) {
  if (error) { process.stdout.write(JSON.stringify({ error: String(error) }) + '\n'); return; }
  process.stdout.write(JSON.stringify({ session: client.session, reconnected: !!reconnected }) + '\n');
});
process.stdin.on('data', function () {});
process.stdin.on('end', function () { client.close(); process.exit(0); });
"""


@pytest.mark.npm
def test_npm_ddp_client_appears_as_a_row_and_can_be_closed(
    qloop: asyncio.AbstractEventLoop, npm_clients: Path
) -> None:
    """The `ddp` client from npm shows up as a row; Close drops it and it reconnects as a new row."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], str | None, str]:
        async with _panel() as (panel, url):
            node = await asyncio.create_subprocess_exec(
                "node", "-e", NODE_CLIENT, url,
                cwd=npm_clients,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert node.stdout is not None
            assert node.stdin is not None
            try:
                async with asyncio.timeout(TIMEOUT):
                    first = json.loads(await node.stdout.readline())
                row = await _row_of(panel, first["session"])
                peer = panel.model.index(row, _column(panel, "peer")).data()
                panel.close_selected()
                async with asyncio.timeout(TIMEOUT):
                    second = json.loads(await node.stdout.readline())
                await _row_of(panel, second["session"])
                old_row = panel.model.position(first["session"])
                node.stdin.close()
                async with asyncio.timeout(TIMEOUT):
                    await node.wait()
            finally:
                if node.returncode is None:
                    node.kill()
                    await node.wait()
            return first, second, None if old_row is None else str(old_row), peer

    first, second, old_row, peer = run(qloop, scenario())
    assert "error" not in first
    assert second["reconnected"] is True
    assert second["session"] != first["session"]
    assert old_row is None
    assert peer == "127.0.0.1"


def test_server_dock_outlives_the_last_client_connection(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """With every connection closed the Server panel (and its hosted server) is still one shortcut away."""

    async def scenario() -> tuple[str, str, bool, bool, bool, int]:
        from PySide6.QtCore import QCoreApplication, QEvent

        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        session = await open_session(None, settings)
        window = session.window
        window.show()
        try:
            panel: ServerPanel = window.server_panel
            url = panel.adaptor.url
            assert session.workspace is not None
            window.server_action.setChecked(False)  # hidden by the user
            await session.workspace.close()  # every connection page goes
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            window.save_settings()  # reads the panel's splitter and table
            hidden = panel.isVisible()
            QTest.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
            shown = panel.isVisible() and window.server_dock.isAncestorOf(panel)
            reopened = await session.workspace.open_url(url, "again", "again")
            still_shown = panel.isVisible()
            return (
                url,
                panel.adaptor.url,
                hidden,
                shown,
                still_shown,
                reopened.page.tabs.indexOf(panel),
            )
        finally:
            window.close()
            await session.close()

    url, still, hidden, shown, still_shown, in_tabs = run(qloop, scenario())
    assert still == url
    assert not hidden
    assert shown
    assert still_shown
    assert in_tabs == -1


def test_the_server_panel_opened_later_shows_the_connections_made_meanwhile(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Until Ctrl+5 the dock only counts connections; opened, its table lists the app's own connection."""

    async def scenario() -> tuple[bool, str, bool, list[str], str, str]:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        session = await open_session(None, settings)
        window, client = session.window, session.adaptor
        window.show()
        try:
            hosted = window.server_adaptor
            await until(hosted.connections_flushed, lambda: hosted.count == 1)
            await until(client.handshake_completed, lambda: client.session is not None)
            built_before = window.server_dock.built
            title_before = window.server_action.text()
            QTest.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
            panel = window.server_panel
            ids = [
                panel.model.record(r).connection_id
                for r in range(panel.model.rowCount())
            ]
            return (
                built_before,
                title_before,
                window.server_dock.built and panel.isVisible(),
                ids,
                client.session or "",
                panel.title(),
            )
        finally:
            window.close()
            await session.close()

    built_before, title_before, shown, ids, session_id, title = run(qloop, scenario())
    assert not built_before
    assert title_before == "Server (1)"
    assert shown
    assert ids == [session_id]
    assert title == "Server (1)"


def test_a_session_lost_without_a_goodbye_waits_in_its_row_and_resumes_there(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    """A reset socket: the row says detached with its countdown, then resumed, never a second row."""

    async def scenario() -> dict[str, Any]:
        async with _panel() as (panel, url):
            seen: dict[str, Any] = {}
            client = DDPClient(url)
            async with client:
                await client.subscribe("tasks").wait_ready()
                session = client.session or ""
                await _row_of(panel, session)
                column = _column(panel, "session")
                reset(client)
                client.disconnect()  # its goodbye goes nowhere: the socket is gone
                record = panel.model.row(session)
                assert record is not None
                await until(
                    panel.model.counts_changed,
                    lambda: record.detached_until is not None,
                )
                row = panel.model.position(session) or 0
                seen["detached"] = panel.model.data(panel.model.index(row, column))
                seen["detail"] = panel.detail.summary.toPlainText()
                client.reconnect()
                await until(panel.model.counts_changed, lambda: record.resumptions == 1)
                row = panel.model.position(session) or 0
                seen["resumed"] = panel.model.data(panel.model.index(row, column))
                seen["rows"] = panel.model.rowCount()
                seen["same"] = client.session == session
            return seen

    seen = run(qloop, scenario())
    assert seen["detached"].startswith("detached, ends in 1")  # 15 s or 14 s
    assert "session          detached, ends in" in seen["detail"]
    assert seen["resumed"].startswith("resumed once · ")
    assert seen["rows"] == 1
    assert seen["same"]
