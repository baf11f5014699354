"""The Figures tab and a document's History, end to end (issue 16).

Real servers (Meteor 1.9.3 and our demo) -> the real DDPClient -> the
adaptor -> the window, on the qasync harness; every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from ddp_monitor.app.desktop import Session, open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.qt.figures_model import METHOD, SUBSCRIPTION
from ddp_monitor.qt.history_model import HistoryModel
from ddp_monitor.recording.diff import LineKind
from ddp_monitor.recording.history import RecordingItems
from ddp_monitor.recording.recorder import load
from ddp_monitor.ui.theme import Theme, ThemeSwitch
from tests.qt.harness import demo_server, run, until


@pytest.fixture(params=[pytest.param("meteor", marks=pytest.mark.meteor), "ours"])
def server_kind(request: pytest.FixtureRequest) -> str | None:
    """The real Meteor server's URL, or None for our demo server (started in the scenario)."""
    if request.param == "meteor":
        return str(request.getfixturevalue("meteor_server").url)
    return None


@asynccontextmanager
async def _window(meteor_url: str | None, tmp_path: Path) -> AsyncIterator[Session]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    async with demo_server() as ours:
        url = meteor_url or str(ours.url)
        session = await open_session(url, settings)
        session.window.show()
        try:
            adaptor = session.adaptor
            await until(
                adaptor.status_changed,
                lambda: adaptor.status.status is ConnectionStatus.CONNECTED,
            )
            yield session
        finally:
            await session.close()
            session.window.close()


def _column(model: Any, header: str) -> int:
    return next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == header
    )


def _cell(model: Any, name: str, header: str) -> str:
    row = model.row_of(name)
    assert row is not None, name
    return str(model.index(row, _column(model, header)).data())


def _ms(text: str) -> float:
    number, unit = text.split()
    return float(number) * (1000 if unit == "s" else 1)


def test_the_figures_tab_times_calls_and_subscriptions_by_name(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    server_kind: str | None,
    qtmodeltester: Any,
) -> None:
    """slow(150) twice, fail once, items(3): counted, timed (>= 150 ms), sortable, filterable, selectable."""

    async def scenario() -> dict[str, Any]:
        async with _window(server_kind, tmp_path) as session:
            window, adaptor = session.window, session.adaptor
            page = window.current
            assert page is not None
            figures = page.figures_model
            for _ in range(2):
                adaptor.call("slow", [150])
            adaptor.call("fail", [])
            adaptor.subscribe("items", [3])
            await until(
                figures.methods.dataChanged,
                lambda: (
                    (slow := figures.figures.methods.get("slow")) is not None
                    and slow.to_updated.count == 2
                    and "fail" in figures.figures.methods
                    and figures.figures.methods["fail"].in_flight == 0
                    and "items" in figures.figures.subscriptions
                    and figures.figures.subscriptions["items"].ready == 1
                ),
            )
            QTest.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
            shown = page.tabs.currentWidget() is page.figures
            methods, subs = figures.methods, figures.subscriptions
            cells = {
                "slow calls": _cell(methods, "slow", "calls"),
                "slow result max": _cell(methods, "slow", "result max"),
                "slow updated p50": _cell(methods, "slow", "updated p50"),
                "fail errors": _cell(methods, "fail", "errors"),
                "fail calls": _cell(methods, "fail", "calls"),
                "items ready": _cell(subs, "items", "ready"),
                "items docs": _cell(subs, "items", "initial docs"),
                "items ready p50": _cell(subs, "items", "ready p50"),
            }
            # A header click sorts: the most called first, then the fewest.
            table = page.figures.method_table
            table.sortByColumn(_column(methods, "calls"), Qt.SortOrder.DescendingOrder)
            most = methods.key(0)
            table.sortByColumn(_column(methods, "calls"), Qt.SortOrder.AscendingOrder)
            fewest = methods.key(methods.rowCount() - 1)
            chosen: list[tuple[str, str]] = []
            figures.selected_name_changed.connect(
                lambda kind, name: chosen.append((kind, name))
            )
            table.select_key("fail")
            page.figures.subscription_table.select_key("items")
            method_still_chosen = bool(table.selected_keys())
            qtmodeltester.check(methods)
            qtmodeltester.check(subs)
            page.figures.filter.setText("it")
            page.figures.filter.apply()
            filtered = (methods.rowCount(), subs.rowCount(), subs.key(0))
            return {
                "shown": shown,
                "cells": cells,
                "most": most,
                "fewest": fewest,
                "chosen": chosen,
                "method_still_chosen": method_still_chosen,
                "filtered": filtered,
            }

    got = run(qloop, scenario())
    assert got["shown"]
    cells = got["cells"]
    assert cells["slow calls"] == "2"
    # Meteor runs one client's calls in order: the second waited for the
    # first. Our server runs here on the qasync loop, whose Qt timers are
    # coarse (they may fire up to 5 % early): its sleeps are 0.95 of asked.
    assert _ms(cells["slow result max"]) >= 0.95 * 300
    assert _ms(cells["slow updated p50"]) >= 0.95 * 150
    assert (cells["fail calls"], cells["fail errors"]) == ("1", "1")
    assert cells["items ready"] == "1"
    assert cells["items docs"] == "3"  # it waited for ready alone
    assert _ms(cells["items ready p50"]) > 0
    assert got["most"] == got["fewest"] == "slow"
    assert got["chosen"] == [(METHOD, "fail"), (SUBSCRIPTION, "items")]
    assert not got["method_still_chosen"]  # one name at a time
    assert got["filtered"] == (0, 1, "items")


def test_a_ticking_document_s_history_lists_each_change_and_its_diff(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    server_kind: str | None,
    switch: ThemeSwitch,
    qtmodeltester: Any,
) -> None:
    """ticker(40): added then changed, each with its frame; the diff shows n going up; a recording shows the same."""

    async def scenario() -> dict[str, Any]:
        async with _window(server_kind, tmp_path) as session:
            window, adaptor = session.window, session.adaptor
            page = window.current
            assert page is not None
            adaptor.subscribe("ticker", [40])
            panel = page.collections
            await until(
                page.collection_model.counts_changed,
                lambda: page.collection_model.row("ticker") is not None,
            )
            window.tabs.setCurrentWidget(panel)
            panel.select_collection("ticker")
            assert panel.select_document("tick")
            panel.show_history()
            history = page.history_model
            await until(history.rowsInserted, lambda: history.rowCount() >= 4)
            qtmodeltester.check(history)
            pane = page.history
            kinds = [history.change(r).kind for r in range(history.rowCount())]
            frames = [history.index(r, 3).data() for r in range(history.rowCount())]
            following = pane.table.selected_rows() == [history.rowCount() - 1]
            newest_diff = pane.diff.kinds()
            cause = pane.cause.text()
            frame = pane.frame.toPlainText() if pane.frame.isVisible() else ""
            # An older change, chosen: the view stays on it as ticks come.
            pane.table.selectRow(1)
            older = pane.diff.toPlainText()
            seen = history.rowCount()
            await until(history.rowsInserted, lambda: history.rowCount() > seen)
            stays = pane.table.selected_rows() == [1]
            colours = {}
            for theme in (Theme.DARK, Theme.LIGHT):
                switch.set_theme(theme)
                first = pane.diff.extraSelections()[0]
                colours[theme] = first.format.background().color().name()
            # A recording of the same connection shows the same history.
            path = tmp_path / "ticker.ddprec"
            adaptor.recorder.save(path)
            live = HistoryModel(adaptor.recorder)
            live.show_document("ticker", "tick")
            recorded = HistoryModel(RecordingItems(load(path)))
            recorded.show_document("ticker", "tick")
            same = [
                (m.change(r).kind, m.change(r).fields.get("n"), m.index(r, 3).data())
                for m in (live, recorded)
                for r in range(m.rowCount())
            ]
            return {
                "kinds": kinds,
                "frames": frames,
                "following": following,
                "newest_diff": newest_diff,
                "cause": cause,
                "frame": frame,
                "older": older,
                "stays": stays,
                "colours": colours,
                "same": same,
                "count": live.rowCount(),
            }

    got = run(qloop, scenario())
    assert got["kinds"][0] == "added"
    assert set(got["kinds"][1:]) == {"changed"}
    assert got["frames"][0].startswith('{"msg":"added","collection":"ticker"')
    assert all(f.startswith('{"msg":"changed"') for f in got["frames"][1:])
    assert got["following"]
    assert LineKind.REMOVED in got["newest_diff"]
    assert LineKind.ADDED in got["newest_diff"]
    assert "by the frame received at" in got["cause"]
    assert got["frame"] == got["frames"][-1]  # the newest change's, whole
    assert '-   "n": 0,' in got["older"]
    assert '+   "n": 1,' in got["older"]
    assert got["stays"]
    assert got["colours"] == {Theme.DARK: "#5b2b30", Theme.LIGHT: "#ffe1e1"}
    count = got["count"]
    assert count >= 5
    assert got["same"][:count] == got["same"][count:]
