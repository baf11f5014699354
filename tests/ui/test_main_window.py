"""End to end: the real demo server -> the real DDPClient -> the adaptor -> the window.

Every scenario runs on a qasync loop (tests.qt.harness) against the embedded
demo server on 127.0.0.1; every wait is bounded by tests.timeouts.TIMEOUT.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from ddp_monitor.app.desktop import Session, open_session
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.method_model import MethodState
from ddp_monitor.qt.status_look import status_words
from ddp_monitor.qt.subscription_model import SubscriptionState
from tests.qt.harness import demo_server, next_emission, run, until

C = ConnectionStatus


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@asynccontextmanager
async def _window(url: str, tmp_path: Path) -> AsyncIterator[Session]:
    session = await open_session(url, _settings(tmp_path))
    session.window.show()
    try:
        yield session
    finally:
        await session.close()
        session.window.close()


async def _status(session: Session, wanted: ConnectionStatus) -> None:
    adaptor = session.adaptor
    await until(adaptor.status_changed, lambda: adaptor.status.status is wanted)


def test_badge_follows_every_status(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The badge shows all five statuses, each with its own icon and its own words; battery saving says so."""
    battery: list[str] = []

    async def scenario() -> dict[ConnectionStatus, tuple[str, str]]:
        server = await _start_demo()
        session = await open_session(server.url, _settings(tmp_path))
        window = session.window
        seen: dict[ConnectionStatus, tuple[str, str]] = {}

        def record(status: Status) -> None:
            seen[status.status] = (window.badge.icon_name, window.badge.words)

        record(session.adaptor.status)
        session.adaptor.status_changed.connect(record)
        await _status(session, C.CONNECTED)
        session.adaptor.client.disconnect()  # Meteor's disconnect(): offline
        await _status(session, C.OFFLINE)
        session.adaptor.reconnect()
        await _status(session, C.CONNECTED)
        window.battery_action.trigger()  # the battery-saving fault: waiting
        await _status(session, C.WAITING)
        battery[:] = [window.badge.words]
        window.battery_action.trigger()
        await _status(session, C.CONNECTED)
        await server.stop()
        await _status(session, C.WAITING)
        await session.close()
        window.close()
        return seen

    seen = run(qloop, scenario())
    assert set(seen) == set(ConnectionStatus)
    icons = {icon_name for icon_name, _ in seen.values()}
    words = {text for _, text in seen.values()}
    assert len(icons) == 5
    assert len(words) == 5
    assert seen[C.CONNECTED][1] == "Connected"
    assert seen[C.CONNECTING][1].startswith("Connecting")
    assert seen[C.OFFLINE][1] == "Offline"
    assert battery[0].startswith("Waiting - retry")
    assert battery[0].endswith(" · battery saving")
    assert seen[C.WAITING][1].startswith("Waiting - retry")
    # Why it waits: the drop, then each refused attempt.
    assert seen[C.WAITING][1].endswith(
        (" · server closed the connection", " · connection refused")
    )
    assert seen[C.FAILED][1].startswith("Failed")


async def _start_demo(port: int = 0) -> object:
    from ddp_monitor.demo.server import create_demo_server

    server = create_demo_server(host="127.0.0.1", port=port)
    await server.start()
    return server


def test_countdown_runs_while_waiting_and_stops_on_connect(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """While waiting the badge counts down in tenths; Reconnect now connects and the countdown stops."""

    async def scenario() -> tuple[list[float], str, Status, bool]:
        server = await _start_demo()
        port = server.port  # type: ignore[attr-defined]
        async with _window(server.url, tmp_path) as session:  # type: ignore[attr-defined]
            window, countdown = session.window, session.window.countdown
            await _status(session, C.CONNECTED)
            await server.stop()  # type: ignore[attr-defined]
            # The first two retries come after 10 ms (retry.js); wait for a real wait.
            await until(
                session.adaptor.status_changed,
                lambda: (countdown.remaining or 0.0) > 0.5,
            )
            ticks = [(await next_emission(countdown.ticked))[0] for _ in range(4)]
            words = window.badge.words
            waiting = session.adaptor.status
            stops: list[bool] = []
            countdown.stopped.connect(lambda: stops.append(True))
            async with demo_server(port):
                window.reconnect_action.trigger()
                await _status(session, C.CONNECTED)
                return ticks, words, waiting, countdown.running and not stops

    ticks, words, waiting, running = run(qloop, scenario())
    assert ticks == sorted(ticks, reverse=True)
    assert ticks[0] > ticks[-1]
    assert words == status_words(waiting, ticks[-1], last_failure="connection refused")
    assert " in " in words
    assert " s · " in words
    assert not running


def test_reconnect_now_that_fails_says_so_and_nothing_moves(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Reconnect now with the server still down: the badge says the attempt was refused; its countdown never moves the button."""

    async def scenario() -> tuple[str, set[int]]:
        server = await _start_demo()
        async with _window(server.url, tmp_path) as session:  # type: ignore[attr-defined]
            window, countdown = session.window, session.window.countdown
            await _status(session, C.CONNECTED)
            await server.stop()  # type: ignore[attr-defined]
            await until(
                session.adaptor.status_changed,
                lambda: (countdown.remaining or 0.0) > 0.5,
            )
            window.reconnect_action.trigger()
            await _status(session, C.CONNECTING)
            await _status(session, C.WAITING)
            button = window.bar.reconnect_button
            places = set()
            for _ in range(5):
                await next_emission(countdown.ticked)
                places.add(button.mapTo(window, button.rect().topLeft()).x())
            return window.badge.words, places

    words, places = run(qloop, scenario())
    assert words.startswith("Waiting - retry ")
    assert words.endswith(" s · connection refused")
    assert len(places) == 1


def test_battery_saving_queues_a_call_and_sends_it_on_reconnect(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Battery saving drops the socket (waiting); a call made then waits as queued and is sent on waking."""

    async def scenario() -> tuple[str, list[str], str, object, list[str]]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window, model = session.window, session.window.method_model
            await _status(session, C.CONNECTED)
            window.battery_action.trigger()
            await _status(session, C.WAITING)
            window.methods.name.setText("add")
            window.methods.params.setPlainText("[2, 3]")
            window.methods.call_button.click()
            await until(model.counts_changed, lambda: model.rowCount() == 1)
            queued_title = window.tabs.tabText(0)
            offline_kinds = [e.kind for e in window.log_model.visible_entries()]
            window.battery_action.trigger()
            await until(
                model.counts_changed,
                lambda: model.record(0).state is MethodState.UPDATED,
            )
            await until(
                window.log_model.counts_changed,
                lambda: "result" in window.log_model.kinds_seen(),
            )
            sent_kinds = [e.kind for e in window.log_model.visible_entries()]
            return (
                queued_title,
                offline_kinds,
                window.tabs.tabText(0),
                model.record(0).result,
                sent_kinds,
            )

    queued_title, offline_kinds, after_title, result, sent_kinds = run(
        qloop, scenario()
    )
    assert queued_title == "Methods (1 queued)"
    assert "method" not in offline_kinds
    assert after_title == "Methods (1)"
    assert result == 5
    assert "method" in sent_kinds


def test_subscription_becomes_ready_with_its_documents_shown(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Subscribing to items(25) from the form: the row turns ready and the 25 documents are listed."""

    async def scenario() -> tuple[SubscriptionState, int, list[str], int, list[str]]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window = session.window
            subs = window.subscription_model
            await _status(session, C.CONNECTED)
            window.subscriptions.name.setText("items")
            window.subscriptions.params.setPlainText("[25]")
            window.subscriptions.subscribe_button.click()
            await until(
                subs.counts_changed,
                lambda: (
                    subs.rowCount() == 1
                    and subs.record(0).state is SubscriptionState.READY
                ),
            )
            window.tabs.setCurrentWidget(window.collections)
            panel = window.collections
            panel.select_collection("items")
            documents = window.document_model
            ids = [documents.document_id(row) for row in range(documents.rowCount())]
            panel.document_table.selectRow(ids.index("i3"))
            tree = panel.tree_model
            fields = [tree.item(row, 0).text() for row in range(tree.rowCount())]
            values = [tree.item(row, 1).text() for row in range(tree.rowCount())]
            return (
                subs.record(0).state,
                subs.record(0).documents,
                ids,
                len(fields),
                values,
            )

    state, count, ids, field_rows, values = run(qloop, scenario())
    assert state is SubscriptionState.READY
    assert count == 25
    assert sorted(ids) == sorted(f"i{k}" for k in range(25))
    assert field_rows == 3  # _id, k, text
    assert values == ["i3", "3", "item 3"]


def test_message_log_filters_by_type_and_text_and_exports(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The log narrows to one message type and a text, and exports exactly the shown frames."""

    async def scenario() -> tuple[set[str], list[str], list[dict[str, str]], int]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window, log = session.window, session.window.log
            await _status(session, C.CONNECTED)
            await session.adaptor.call("echo", ["needle-42"])
            await session.adaptor.call("echo", ["other"])
            await until(
                window.log_model.counts_changed,
                lambda: (
                    sum(e.kind == "result" for e in window.log_model.visible_entries())
                    == 2
                ),
            )
            log.set_kinds({"result"})
            kinds = {e.kind for e in window.log_model.visible_entries()}
            log.filter.setText("needle-42")
            log.apply_filter()
            texts = [str(e.frame.data) for e in window.log_model.visible_entries()]
            path = tmp_path / "frames.jsonl"
            log.export_to(path)
            lines = [json.loads(line) for line in path.read_text().splitlines()][1:]
            return kinds, texts, lines, window.log_model.rowCount()

    kinds, texts, lines, shown = run(qloop, scenario())
    assert kinds == {"result"}
    assert len(texts) == 1
    assert "needle-42" in texts[0]
    assert len(lines) == shown == 1
    assert lines[0]["direction"] == "in"
    assert lines[0]["type"] == "result"
    assert lines[0]["frame"]["result"] == "needle-42"


def test_unreachable_server_is_explained_in_the_window(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """A server that refuses connections shows a banner in words, not only a terminal line."""

    async def scenario() -> tuple[bool, str, str]:
        async with demo_server() as server:
            url = server.url
        # The port is free again: nothing listens there now.
        async with _window(url, tmp_path) as session:
            banner = session.window.banner
            await until(session.adaptor.transport_lost, lambda: banner.isVisible())
            return banner.isVisible(), banner.title, banner.detail

    visible, title, detail = run(qloop, scenario())
    assert visible
    assert title == "Cannot reach the server"
    assert "refused" in detail.lower()


def test_round_trip_comes_from_the_traffic_and_probing_is_opt_in(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """No frame of the monitor's own by default: a call gives the RTT; Probe adds pings the log marks; offline shows none."""

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window, adaptor = session.window, session.adaptor
            seen: dict[str, Any] = {}
            await _status(session, C.CONNECTED)
            await until(
                adaptor.handshake_completed, lambda: adaptor.session is not None
            )
            await adaptor.call("echo", [1]).result
            await until(
                adaptor.meter_changed, lambda: adaptor.meter.last_rtt is not None
            )
            await next_emission(adaptor.meter_changed)
            seen["by call"] = window.bar.rtt.toolTip()
            seen["kinds before probing"] = window.log_model.kinds_seen()
            window.bar.probe.click()
            await until(
                adaptor.meter_changed, lambda: adaptor.meter.rtt_source == "probe ping"
            )
            await until(
                window.log_model.counts_changed,
                lambda: "pong" in window.log_model.kinds_seen(),
            )
            log = window.log_model
            seen["probe types"] = {
                log.data(log.index(n, 2))
                for n in range(log.rowCount())
                if log.entry(n).kind in ("ping", "pong")
            }
            window.bar.probe.click()
            adaptor.client.disconnect()
            await _status(session, C.OFFLINE)
            await next_emission(adaptor.meter_changed)
            seen["offline"] = window.bar.rtt.text()
            return seen

    seen = run(qloop, scenario())
    assert seen["by call"] == (
        "Round trip, measured on: call 'echo' (a call's time includes the server's work)"
    )
    assert "ping" not in seen["kinds before probing"]
    assert seen["probe types"] == {
        "ping · ddp-monitor's probe",
        "pong · ddp-monitor's probe",
    }
    assert seen["offline"] == "RTT -"


class _GreedyField(QLineEdit):
    """A field that claims every Ctrl key, as a line edit does on X11 (Ctrl+E: end of line)."""

    def event(self, event: QEvent) -> bool:
        control = Qt.KeyboardModifier.ControlModifier
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.modifiers() & control
        ):
            event.accept()
            return True
        return super().event(event)


def test_window_shortcuts_work_from_any_field(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Ctrl+E, Ctrl+L, Ctrl+R reach the window's actions even from a field that claims them."""

    async def scenario() -> list[str]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window = session.window
            window.activateWindow()  # shortcuts act in the active window
            app = QGuiApplication.instance()
            assert isinstance(app, QGuiApplication)
            if not window.isActiveWindow():
                await until(app.focusWindowChanged, window.isActiveWindow)
            field = _GreedyField()
            window.log.layout().addWidget(field)
            window.tabs.setCurrentIndex(3)
            hits: list[str] = []
            for name in ("export_action", "clear_action", "reconnect_action"):
                action = getattr(window, name)
                action.triggered.disconnect()  # no file dialog in a test
                action.triggered.connect(lambda _=False, n=name: hits.append(n))
            for widget in (field, window.log.filter, window.methods.params):
                widget.setFocus()
                for key in (Qt.Key.Key_E, Qt.Key.Key_L, Qt.Key.Key_R):
                    QTest.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)
            return hits

    hits = run(qloop, scenario())
    assert hits == ["export_action", "clear_action", "reconnect_action"] * 3


def test_go_offline_is_meteors_disconnect_and_the_shortcut_brings_it_back(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Connection > Go offline (Ctrl+Shift+D): status offline, no retries, a call queues; off again: sent."""

    async def scenario() -> tuple[str, bool, str, object, bool]:
        async with demo_server() as server, _window(server.url, tmp_path) as session:
            window, model = session.window, session.window.method_model
            await _status(session, C.CONNECTED)
            QTest.keyClick(
                window,
                Qt.Key.Key_D,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            )
            await _status(session, C.OFFLINE)
            words = window.badge.words
            assert window.current is not None
            assert window.current.facts()[3] == "0 subs (not live)"
            checked = window.offline_action.isChecked()
            session.adaptor.client.apply_nowait("add", [2, 3])
            await until(model.counts_changed, lambda: model.rowCount() == 1)
            queued_title = window.tabs.tabText(0)
            window.offline_action.trigger()
            await until(
                model.counts_changed,
                lambda: model.record(0).state is MethodState.UPDATED,
            )
            return (
                words,
                checked,
                queued_title,
                model.record(0).result,
                (window.offline_action.isChecked()),
            )

    words, checked, queued_title, result, still_checked = run(qloop, scenario())
    assert words == "Offline"
    assert checked
    assert queued_title == "Methods (1 queued)"
    assert result == 5
    assert not still_checked
