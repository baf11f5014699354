"""The Server panel's proxy mode end to end: real clients -> DDPProxy -> the demo server, shown and steered in the window.

The window runs its own proxy ("Proxy an app") or attaches to a headless one
through its control endpoint; either way the rows are the same and the
painted Close cells and the fault bar act on the clients, as a user would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.events import MethodCompleted
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.control import ControlEndpoint
from ddp_monitor.qt.proxy_model import CLOSE_COLUMN, CLOSE_UPSTREAM_COLUMN
from ddp_monitor.recording.recorder import load
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.ui.proxy_panel import ProxyPanel
from tests.qt.harness import demo_server, run, until
from tests.timeouts import TIMEOUT


def _click(panel: ProxyPanel, session: str, column: int) -> None:
    row = panel.model.row_of(_id_of(panel, session))
    assert row is not None
    cell = panel.table.visualRect(panel.model.index(row, column))
    QTest.mouseClick(
        panel.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center()
    )


def _id_of(panel: ProxyPanel, session: str | None) -> str:
    return next(r["_id"] for r in panel.model.rows() if r.get("session") == session)


def _has(panel: ProxyPanel, session: str | None) -> bool:
    return any(r.get("session") == session for r in panel.model.rows())


def test_proxy_an_app_shows_each_client_and_close_reconnects_it(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Proxy an app: a client through the window's proxy gets a row; its Close cell makes it reconnect, on a new row.

    The app (ours) keeps the session for a resumption: the client comes back
    to the same session id through a new proxied connection.
    """

    async def scenario() -> tuple[str, str, list[str], str]:
        async with demo_server() as app:
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            session = await open_session(None, settings)
            window = session.window
            window.show()
            panel = window.proxy_panel
            try:
                window.server_tab.show_proxy()
                panel.upstream.setText(str(app.url))
                panel.port.setValue(0)
                panel.toggle.click()
                await until(
                    panel.adaptor.proxying_changed, lambda: bool(panel.adaptor.url)
                )
                async with (
                    asyncio.timeout(TIMEOUT),
                    DDPClient(panel.adaptor.url) as client,
                ):
                    await client.call("add", 1, 2)
                    first = client.session
                    await until(panel.model.counts_changed, lambda: _has(panel, first))
                    title = window.server_tab.title()
                    states: list[str] = []
                    client.add_listener(
                        lambda e: (
                            states.append(e.status.status.value)
                            if hasattr(e, "status")
                            else None
                        )
                    )
                    old_row = _id_of(panel, first)
                    _click(panel, first or "", CLOSE_COLUMN)
                    await client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
                    await client.call("echo", 1)  # answered on the new connection
                    await until(
                        panel.model.counts_changed,
                        lambda: (
                            _has(panel, client.session)
                            and _id_of(panel, client.session) != old_row
                        ),
                    )
                    return title, first or "", states, client.session or ""
            finally:
                await session.close()
                window.close()

    title, first, states, second = run(qloop, scenario())
    assert title == "Proxy (1)"
    assert states[:1] == ["waiting"]
    assert second == first  # resumed


def test_faults_from_the_bar_and_close_upstream(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Selecting a row shows its frames in the message log; the fault bar puts 300 ms on it; Close upstream keeps the client's socket."""

    async def scenario() -> tuple[str, float, bool, ConnectionStatus]:
        async with demo_server() as app:
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            session = await open_session(None, settings)
            window = session.window
            panel = window.proxy_panel
            try:
                await panel.adaptor.start(str(app.url), 0)
                async with (
                    asyncio.timeout(3 * TIMEOUT),
                    DDPClient(panel.adaptor.url) as client,
                ):
                    await client.call("echo", 0)
                    await until(
                        panel.model.counts_changed, lambda: _has(panel, client.session)
                    )
                    assert panel.select(_id_of(panel, client.session))
                    log = panel.log_model
                    await until(
                        log.counts_changed, lambda: "result" in log.kinds_seen()
                    )
                    kinds = log.kinds_seen()
                    panel.faults.latency_down.setValue(300)
                    panel.faults.apply.click()
                    await until(
                        panel.model.counts_changed,
                        lambda: "↓300 ms" in panel.model.data(panel.model.index(0, 11)),
                    )
                    faults_cell = panel.model.data(panel.model.index(0, 11))
                    loop = asyncio.get_running_loop()
                    start = loop.time()
                    await client.call("echo", 1)
                    took = loop.time() - start
                    _click(panel, client.session or "", CLOSE_UPSTREAM_COLUMN)
                    await until(
                        panel.model.counts_changed,
                        lambda: (
                            "upstream closed"
                            in panel.model.data(panel.model.index(0, 11))
                        ),
                    )
                    return faults_cell, took, "connect" in kinds, client.status.status
            finally:
                await session.close()
                window.close()

    cell, took, logged, status = run(qloop, scenario())
    assert logged  # the row's own log: the client's connect, the app's result
    assert cell == "↓300 ms"
    assert took >= 0.3
    assert status is ConnectionStatus.CONNECTED


def test_attach_to_a_headless_proxy(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The window attaches to a proxy running elsewhere through its control endpoint: its rows show, Close works."""

    async def scenario() -> tuple[str, str]:
        async with demo_server() as app, DDPProxy(str(app.url), port=0) as proxy:
            control = ControlEndpoint(proxy, port=0)
            await control.start()
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            session = await open_session(None, settings)
            window = session.window
            panel = window.proxy_panel
            try:
                panel.control_url.setText(control.url)
                panel.attach.click()
                await until(
                    panel.adaptor.proxying_changed, lambda: panel.adaptor.active
                )
                async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
                    await client.call("echo", 0)
                    first = client.session
                    await until(panel.model.counts_changed, lambda: _has(panel, first))
                    _click(panel, first or "", CLOSE_COLUMN)
                    await client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
                    await client.call("echo", 1)  # answered on the new connection
                    await until(
                        panel.model.counts_changed, lambda: _has(panel, client.session)
                    )
                    return first or "", client.session or ""
            finally:
                await session.close()
                window.close()
                await control.stop()

    first, second = run(qloop, scenario())
    assert first == second  # the app resumed the session


@asynccontextmanager
async def _proxying(
    tmp_path: Path, *, record: bool
) -> AsyncIterator[tuple[ProxyPanel, DDPClient]]:
    """The window proxying the demo app (Record as asked), and a client through it, shown in a row."""
    async with demo_server() as app:
        settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
        session = await open_session(None, settings)
        window = session.window
        panel = window.proxy_panel
        try:
            window.server_tab.show_proxy()
            panel.upstream.setText(str(app.url))
            panel.port.setValue(0)
            panel.record.setChecked(record)
            panel.toggle.click()
            await until(panel.adaptor.proxying_changed, lambda: bool(panel.adaptor.url))
            async with (
                asyncio.timeout(TIMEOUT),
                DDPClient(panel.adaptor.url) as client,
            ):
                await client.call("add", 20, 22)
                await until(
                    panel.model.counts_changed, lambda: _has(panel, client.session)
                )
                yield panel, client
        finally:
            await session.close()
            window.close()


def test_record_then_save_a_proxied_connections_recording(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Record on: the selected row's connection saves as a recording of its calls (issue 16)."""

    async def scenario() -> tuple[bool, bool, str, list[object]]:
        async with _proxying(tmp_path, record=True) as (panel, client):
            assert panel.select(_id_of(panel, client.session))
            enabled = panel.save_recording.isEnabled()
            path = tmp_path / "proxied.ddprec"
            saved = panel.save_recording_to(_id_of(panel, client.session), path)
            results = [
                r.item.result
                for r in load(path).items
                if isinstance(r.item, MethodCompleted)
            ]
            return enabled, saved, panel.state.text(), results

    enabled, saved, words, results = run(qloop, scenario())
    assert enabled
    assert saved
    assert words.startswith("Saved ")
    assert results == [42]


def test_saving_a_connection_opened_while_record_was_off_says_why(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> tuple[bool, str]:
        async with _proxying(tmp_path, record=False) as (panel, client):
            saved = panel.save_recording_to(
                _id_of(panel, client.session), tmp_path / "x.ddprec"
            )
            return saved, panel.state.text()

    saved, words = run(qloop, scenario())
    assert not saved
    assert "opened while Record was off" in words
