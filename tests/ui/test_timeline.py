"""The timeline: its cursor and span by the mouse, its drawing, View > Timeline, and a live page (issue 16).

A recording file written line by line (the format is the input) for the
mouse and the pixels; the embedded demo server over real sockets for the
live page.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.figures_model import METHOD
from ddp_monitor.qt.status_look import status_colour
from ddp_monitor.qt.timeline_model import MarkerKind
from ddp_monitor.recording.format import Header, header_line
from ddp_monitor.recording.recorder import Recording, load
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.timeline import HEIGHT, Timeline
from ddp_monitor.ui.timeline_chart import TimelineChart
from tests.qt.harness import demo_server, run, until

C = ConnectionStatus


def _recording(tmp_path: Path) -> Recording:
    """100 s: a frame a second each way (5 a second in from 40 to 49), waiting from 60 to 70."""
    lines: list[dict[str, Any]] = [
        header_line(Header("ws://example.com/websocket", datetime.now(UTC)))
    ]
    status = {"connected": True, "retryCount": 0}
    lines.append({"t": 0.0, "k": "status", "status": "connected", **status})
    lines.append(
        {"t": 1.0, "k": "sub_requested", "id": "s1", "name": "items", "params": []}
    )
    for second in range(100):
        for n in range(5 if 40 <= second < 50 else 1):
            t = second + 0.1 + n * 0.1
            lines.append({"t": t, "k": "in", "frame": {"msg": "ping", "id": str(n)}})
        lines.append({"t": second + 0.7, "k": "out", "frame": {"msg": "pong"}})
    for t, name in ((30.2, "add"), (31.2, "echo")):
        lines.append(
            {"t": t, "k": "method_called", "id": name, "name": name, "params": []}
        )
    lines.append({"t": 60.0, "k": "lost", "reason": "reset", "local": False})
    lines.append(
        {
            "t": 60.0,
            "k": "status",
            "status": "waiting",
            "connected": False,
            "retryCount": 0,
        }
    )
    lines.append({"t": 70.0, "k": "status", "status": "connected", **status})
    lines.sort(key=lambda line: line.get("t", -1.0))
    path = tmp_path / "made.ddprec"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return load(path)


def _timeline(qtbot: Any, tmp_path: Path) -> Timeline:
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(900, HEIGHT)
    timeline.show()
    qtbot.waitExposed(timeline)
    timeline.set_source(_recording(tmp_path))
    timeline.show_range(0.0, 100.0)
    return timeline


def _mouse(
    chart: TimelineChart,
    kind: QEvent.Type,
    t: float,
    shift: bool = False,
) -> None:
    pos = QPointF(chart.x_of(t), chart.plot().center().y())
    button = Qt.MouseButton.LeftButton
    buttons = (
        Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    )
    modifiers = (
        Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    )
    if kind == QEvent.Type.MouseMove:
        button = Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, pos, chart.viewport().mapToGlobal(pos), button, buttons, modifiers
    )
    QApplication.sendEvent(chart.viewport(), event)


def _seconds_per_pixel(chart: TimelineChart) -> float:
    start, end = chart.view.range(0.0)
    return (end - start) / chart.plot().width()


def test_dragging_the_cursor_emits_the_time_under_it(
    qtbot: Any, tmp_path: Path
) -> None:
    timeline = _timeline(qtbot, tmp_path)
    chart = timeline.chart
    moved: list[float] = []
    timeline.cursor_moved.connect(moved.append)
    _mouse(chart, QEvent.Type.MouseButtonPress, 20.0)
    for t in (30.0, 40.0, 50.0):
        _mouse(chart, QEvent.Type.MouseMove, t)
    _mouse(chart, QEvent.Type.MouseButtonRelease, 50.0)
    pixel = _seconds_per_pixel(chart)
    assert len(moved) == 4
    assert moved == pytest.approx([20.0, 30.0, 40.0, 50.0], abs=pixel)
    assert timeline.cursor_time() == pytest.approx(50.0, abs=pixel)
    assert timeline.selected_span() is None


def test_a_shift_drag_selects_a_span(qtbot: Any, tmp_path: Path) -> None:
    timeline = _timeline(qtbot, tmp_path)
    chart = timeline.chart
    spans: list[tuple[float, float]] = []
    moved: list[float] = []
    timeline.span_selected.connect(lambda a, b: spans.append((a, b)))
    timeline.cursor_moved.connect(moved.append)
    # Dragged right to left: the span is still (earlier, later).
    _mouse(chart, QEvent.Type.MouseButtonPress, 62.0, shift=True)
    _mouse(chart, QEvent.Type.MouseMove, 35.0, shift=True)
    _mouse(chart, QEvent.Type.MouseButtonRelease, 35.0, shift=True)
    pixel = _seconds_per_pixel(chart)
    assert len(spans) == 1
    assert spans[0] == pytest.approx((35.0, 62.0), abs=pixel)
    assert timeline.selected_span() == spans[0]
    assert moved == []  # a span is not a seek
    # A shift-click without a drag selects nothing new.
    _mouse(chart, QEvent.Type.MouseButtonPress, 10.0, shift=True)
    _mouse(chart, QEvent.Type.MouseButtonRelease, 10.0, shift=True)
    assert len(spans) == 1
    assert timeline.selected_span() is None


def test_the_wheel_zooms_around_the_pointer(qtbot: Any, tmp_path: Path) -> None:
    timeline = _timeline(qtbot, tmp_path)
    chart = timeline.chart
    x = chart.x_of(45.0)
    pos = QPointF(x, chart.plot().center().y())
    wheel = QWheelEvent(
        pos,
        chart.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 240),  # two notches in
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(chart.viewport(), wheel)
    start, end = timeline.visible_range()
    assert end - start == pytest.approx(100.0 * 0.8**2)
    assert chart.t_of(x) == pytest.approx(45.0, abs=_seconds_per_pixel(chart))


def test_hovering_says_the_figures_of_that_second(qtbot: Any, tmp_path: Path) -> None:
    chart = _timeline(qtbot, tmp_path).chart
    words = chart.moment_words(45.5)
    assert "0:45 · connected" in words
    assert "in 5 msg/s" in words
    assert "out 1 msg/s" in words
    assert "waiting" in chart.moment_words(65.0)
    assert "call add (id add)" in chart.moment_words(30.5)
    assert "dropped: reset" in chart.moment_words(60.5)


def _near(colour: QColor, wanted: QColor, within: int = 24) -> bool:
    return all(
        abs(a - b) <= within
        for a, b in zip(colour.getRgb()[:3], wanted.getRgb()[:3], strict=True)
    )


def test_the_band_and_a_highlighted_call_are_on_screen(
    qtbot: Any, tmp_path: Path
) -> None:
    """Rendered pixels, with a tolerance: the status band in the badge's colours, a lit marker."""
    timeline = _timeline(qtbot, tmp_path)
    chart = timeline.chart
    timeline.highlight(MarkerKind.CALL, "add")
    image = chart.grab().toImage()
    band_y = round(chart.plot().bottom() + 4)
    waiting = image.pixelColor(round(chart.x_of(65.0)), band_y)
    connected = image.pixelColor(round(chart.x_of(20.0)), band_y)
    assert _near(waiting, status_colour(C.WAITING))
    assert _near(connected, status_colour(C.CONNECTED))
    accent = chart.palette().highlight().color()
    middle = round(chart.plot().top() + 6)
    lit = [image.pixelColor(round(chart.x_of(30.2)) + dx, middle) for dx in (-1, 0, 1)]
    unlit = [
        image.pixelColor(round(chart.x_of(31.2)) + dx, middle) for dx in (-1, 0, 1)
    ]
    assert any(_near(c, accent) for c in lit)
    assert not any(_near(c, accent) for c in unlit)


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_view_timeline_hides_every_page_and_is_remembered(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    adaptors: list[ClientAdaptor] = []

    async def page(window: MainWindow, key: str) -> Any:
        adaptor = ClientAdaptor(DDPClient("ws://127.0.0.1:9/websocket"), key)
        await adaptor.start()
        adaptors.append(adaptor)
        return window.add_connection(key, adaptor)

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        window = MainWindow(None, _settings(tmp_path))
        qtbot.addWidget(window)
        window.show()
        one, two = await page(window, "one"), await page(window, "two")
        seen["shown_first"] = window.timeline_action.isChecked()
        seen["first_visible"] = two.timeline.isVisible()
        window.timeline_action.trigger()
        seen["hidden"] = [one.timeline.isHidden(), two.timeline.isHidden()]
        window.save_settings()
        window.close()
        again = MainWindow(None, _settings(tmp_path))
        qtbot.addWidget(again)
        again.show()
        three = await page(again, "three")
        seen["remembered"] = again.timeline_action.isChecked()
        seen["new_page_hidden"] = three.timeline.isHidden()
        again.timeline_action.trigger()
        seen["back"] = three.timeline.isVisible()
        while adaptors:
            await adaptors.pop().close()
        return seen

    seen = run(qloop, scenario())
    assert seen == {
        "shown_first": True,
        "first_visible": True,
        "hidden": [True, True],
        "remembered": False,
        "new_page_hidden": True,
        "back": True,
    }


def test_a_live_page_charts_its_connection(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The demo's page: its frames binned, its status band green, its calls and subscriptions marked, the Figures tab's name lit."""

    async def scenario() -> tuple[Any, ...]:
        async with demo_server() as server:
            session = await open_session(server.url, _settings(tmp_path))
            session.window.show()
            try:
                page = session.window.current
                assert page is not None
                model = page.timeline.model
                assert model is not None
                assert model.live
                await until(
                    session.adaptor.status_changed,
                    lambda: session.adaptor.status.status is C.CONNECTED,
                )
                session.adaptor.subscribe("items", [])
                await session.adaptor.call("echo", ["hello"])
                await until(
                    model.changed,
                    lambda: (
                        {m.kind for m in model.markers}
                        == {MarkerKind.SUBSCRIPTION, MarkerKind.CALL}
                        and sum(model.bins.msgs_in) > 0
                        and model.status_at(model.now()) is C.CONNECTED
                    ),
                )
                frames = len(
                    [
                        i
                        for _, i in session.adaptor.recorder.items()
                        if hasattr(i, "direction")
                    ]
                )
                counted = sum(model.bins.msgs_in) + sum(model.bins.msgs_out)
                names = {(m.kind, m.name) for m in model.markers}
                following = page.timeline.chart.view.follow
                # The Figures tab's choice reaches the timeline (issue 16's figures).
                page.figures_model.select(METHOD, "echo")
                lit = page.timeline.chart.highlighted
                page.figures_model.select("", "")
                lit_none = page.timeline.chart.highlighted
                return frames, counted, names, following, lit, lit_none
            finally:
                await session.close()
                session.window.close()

    frames, counted, names, following, lit, lit_none = run(qloop, scenario())
    assert lit == (MarkerKind.CALL, "echo")
    assert lit_none == (None, None)
    # Everything flushed so far is counted once (the ring may hold the next batch).
    assert 0 < counted <= frames
    assert names == {(MarkerKind.SUBSCRIPTION, "items"), (MarkerKind.CALL, "echo")}
    assert following


def test_a_recording_is_shown_whole_and_a_live_source_follows(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """set_source: a recording whole with Live off; a live adaptor followed; the old model let go."""
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(900, HEIGHT)
    timeline.show()
    recording = _recording(tmp_path)
    timeline.set_source(recording)
    recorded = timeline.model
    assert recorded is not None
    whole = timeline.visible_range()
    assert whole == pytest.approx((0.0, recording.duration))
    assert not timeline.live_button.isEnabled()

    async def scenario() -> tuple[bool, bool, bool]:
        adaptor = ClientAdaptor(DDPClient("ws://127.0.0.1:9/websocket"), "closed port")
        await adaptor.start()
        timeline.set_source(adaptor)
        live = timeline.model
        following = live is not None and live.live and timeline.chart.view.follow
        enabled = timeline.live_button.isEnabled() and timeline.live_button.isChecked()
        timeline.set_source(None)
        await adaptor.close()
        return following, enabled, timeline.model is None

    assert run(qloop, scenario()) == (True, True, True)
