"""A page saved as a recording and opened again shows what the live page showed (issue 16).

Real servers (the Meteor 1.9.3 peer and our demo server) on 127.0.0.1 -> a
real client -> the window's live page -> File > Save recording's code ->
the file -> File > Open recording's code -> a read-only page, whose models
are compared with the live page's, at the end and at a moment in between
(``seek``). Bad files are refused with the line and why, the window going on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from ddp_monitor.app.desktop import Session, open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.qt.method_model import MethodState
from ddp_monitor.qt.ordered_table import DISPLAY
from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
from ddp_monitor.qt.subscription_model import SubscriptionState
from ddp_monitor.ui.connection_page import ConnectionPage
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.recording_commands import suggested_name
from ddp_monitor.ui.replay_dialog import ReplayDialog
from tests.qt.harness import demo_server, next_emission, run, until

C = ConnectionStatus
_HORIZONTAL = Qt.Orientation.Horizontal

# Columns whose text is a measured duration: the live page timed them from
# its own reading of the clock, the recording from the recorder's (the same
# clock, microseconds apart), so they may differ in the last digit.
_TIMED = {"took", "time to ready"}


def table(model: Any) -> list[dict[str, str]]:
    """Every row of a table model as {header: text}, the timed columns left out."""
    headers = [model.headerData(c, _HORIZONTAL) for c in range(model.columnCount())]
    return [
        {
            h: model.data(model.index(r, c), DISPLAY)
            for c, h in enumerate(headers)
            if h not in _TIMED
        }
        for r in range(model.rowCount())
    ]


def documents(page: ConnectionPage) -> dict[str, dict[str, dict[str, Any]]]:
    store = page.adaptor.store
    return {
        name: {i: dict(d) for i, d in store.collection(name).items()}
        for name in store.names()
    }


def panels(page: ConnectionPage) -> dict[str, Any]:
    """What the Methods, Subscriptions and Collections tabs hold."""
    return {
        "methods": table(page.method_model),
        "subscriptions": table(page.subscription_model),
        "collections": table(page.collection_model),
        "documents": documents(page),
        "documents_shown": (
            page.document_model.collection,
            page.document_model.rowCount(),
            page.collections.collection_table.selected_rows(),
        ),
    }


_COUNTED = {"method", "calls", "errors", "in flight", "publication", "initial docs"}


def figures(page: ConnectionPage) -> list[list[dict[str, str]]]:
    """The Figures tab's counts (its timings are each side's own clock readings)."""
    model = page.figures_model
    # Sorted by name: the tables may be ordered by a timing.
    return [
        sorted(
            ({k: v for k, v in row.items() if k in _COUNTED} for row in table(part)),
            key=lambda row: sorted(row.items()),
        )
        for part in (model.methods, model.subscriptions)
    ]


def log(page: ConnectionPage) -> list[tuple[str, ...]]:
    """The Messages tab's rows: direction, type, size, text (not the time)."""
    page.tabs.setCurrentWidget(page.log)  # a recording's log is made in view
    model = page.log_model
    return [
        tuple(model.data(model.index(r, c)) for c in range(1, 5))
        for r in range(model.rowCount())
    ]


@asynccontextmanager
async def server_url(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if kind == "meteor":
        yield request.getfixturevalue("meteor_server").url
        return
    async with demo_server() as server:
        yield str(server.url)


@pytest.fixture(params=[pytest.param("meteor", marks=pytest.mark.meteor), "ours"])
def server_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _states(page: ConnectionPage, wanted: dict[str, MethodState]) -> None:
    def done() -> bool:
        rows = {r.name: r.state for r in page.method_model.rows()}
        return all(rows.get(name) == state for name, state in wanted.items())

    await until(page.method_model.counts_changed, done)


async def _subs(page: ConnectionPage, states: list[SubscriptionState]) -> None:
    await until(
        page.subscription_model.counts_changed,
        lambda: [r.state for r in page.subscription_model.rows()] == states,
    )


async def _opened(session: Session, path: Path) -> ConnectionPage:
    workspace = session.workspace
    assert workspace is not None
    page = workspace.open_recording(path)
    assert page is not None
    adaptor = page.adaptor
    assert isinstance(adaptor, RecordingAdaptor)
    if not adaptor.done:
        await next_emission(adaptor.loaded)
    return page


def test_a_recording_reopened_rebuilds_the_live_pages_panels(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    server_kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """Calls, a failed call, two subscriptions (one stopped): the reopened page shows the same, at the end and midway."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    path = tmp_path / "session.ddprec"

    async def scenario() -> dict[str, Any]:
        async with server_url(server_kind, request) as url:
            session = await open_session(url, settings)
            live = session.window.current
            assert live is not None
            assert session.adaptor is not None
            adaptor = session.adaptor
            await until(
                adaptor.status_changed, lambda: adaptor.status.status is C.CONNECTED
            )
            first = adaptor.subscribe("items", [5])
            adaptor.call("add", [2, 3])
            await _states(live, {"add": MethodState.UPDATED})
            await _subs(live, [SubscriptionState.READY])
            adaptor.flush()
            midway = (adaptor.elapsed, panels(live))
            adaptor.call("fail", [])
            adaptor.subscribe("items", [3])
            await _states(live, {"fail": MethodState.FAILED})
            await _subs(live, [SubscriptionState.READY] * 2)
            adaptor.stop(first.id)
            await _subs(live, [SubscriptionState.STOPPED, SubscriptionState.READY])
            adaptor.flush()
            end = panels(live)
            live_log = log(live)
            live_figures = figures(live)
            live_tabs = [live.tabs.tabText(n) for n in range(4)]
            saved = live.save_recording(path)
            opened = await _opened(session, path)
            seen: dict[str, Any] = {
                "saved": saved,
                "end": (end, panels(opened)),
                "current": session.window.current is opened,
                "read_only": (
                    opened.methods.console.isHidden(),
                    opened.subscriptions.form.isHidden(),
                    opened.bar.url.isHidden(),
                    session.window.reconnect_action.isEnabled(),
                    session.window.battery_action.isEnabled(),
                    session.window.offline_action.isEnabled(),
                ),
                "bar": opened.bar.recording.text(),
                "tabs": ([opened.tabs.tabText(n) for n in range(4)], live_tabs),
                "log": (log(opened), live_log),
                "figures": (figures(opened), live_figures),
            }
            recording = opened.adaptor
            assert isinstance(recording, RecordingAdaptor)
            timeline = opened.timeline
            assert timeline.model is not None
            seen["timeline"] = (timeline.model.end, recording.duration)
            timeline.cursor_moved.emit(midway[0])  # what dragging its cursor does
            seen["midway"] = (midway[1], panels(opened))
            seen["cursor"] = (timeline.cursor_time(), recording.cursor, midway[0])
            recording.seek(0.0)
            seen["start"] = panels(opened)
            recording.seek(recording.duration)
            seen["again"] = panels(opened)
            session.window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    live, opened = seen["end"]
    assert seen["saved"]
    assert seen["saved"] > 10
    assert [m["method"] for m in live["methods"]] == ["add", "fail"]
    assert live["methods"][1]["state"] == "failed"
    assert [s["state"] for s in live["subscriptions"]] == ["stopped", "ready"]
    assert live["documents"] == {
        "items": {f"i{k}": {"k": k, "text": f"item {k}"} for k in range(3)}
    }
    assert opened == live
    assert seen["midway"][1] == seen["midway"][0]
    assert seen["midway"][0]["documents"]["items"].keys() == {f"i{k}" for k in range(5)}
    assert seen["start"] == {
        "methods": [],
        "subscriptions": [],
        "collections": [],
        "documents": {},
        "documents_shown": ("items", 0, []),
    }
    assert live["documents_shown"] == ("items", 3, [0])
    assert seen["again"] == live
    assert seen["current"]
    assert seen["read_only"] == (True, True, True, False, False, False)
    assert seen["bar"].startswith("Recording of ws://")
    assert seen["bar"].endswith(" events (read-only)")
    assert seen["tabs"][0] == seen["tabs"][1]
    assert seen["figures"][0] == seen["figures"][1]
    assert {row["method"] for row in seen["figures"][1][0]} == {"add", "fail"}
    assert seen["timeline"][0] == seen["timeline"][1]
    assert seen["cursor"][0] == seen["cursor"][1] == seen["cursor"][2]
    assert seen["log"][0] == seen["log"][1]
    assert ("\u2190 in", "connected") in {row[:2] for row in seen["log"][1]}


def test_a_file_that_is_no_recording_is_refused_and_the_window_goes_on(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    not_one = tmp_path / "frames.jsonl"
    not_one.write_text('{"export": "ddp-monitor message log"}\n')

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            session = await open_session(str(server.url), settings)
            workspace = session.workspace
            assert workspace is not None
            pages = len(session.window.pages)
            seen = {
                "page": workspace.open_recording(not_one),
                "missing": workspace.open_recording(tmp_path / "nowhere.ddprec"),
                "pages": (pages, len(session.window.pages)),
                "banner": (session.window.banner.title, session.window.banner.detail),
            }
            session.window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["page"] is None
    assert seen["missing"] is None
    assert seen["pages"] == (1, 1)
    title, detail = seen["banner"]
    assert title == "Cannot open \u201cnowhere.ddprec\u201d"
    assert "No such file or directory" in detail


def test_a_damaged_line_shows_what_came_before_and_says_where(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    path = tmp_path / "cut.ddprec"

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            session = await open_session(str(server.url), settings)
            live = session.window.current
            assert live is not None
            assert session.adaptor is not None
            adaptor = session.adaptor
            adaptor.call("add", [1, 1])
            await _states(live, {"add": MethodState.UPDATED})
            live.save_recording(path)
            lines = path.read_text().splitlines()
            lines.insert(len(lines) - 1, '{"t": 1, "k": "sub_ready"}')
            path.write_text("\n".join(lines) + "\n")
            opened = await _opened(session, path)
            seen = {
                "banner": (opened.banner.title, opened.banner.detail),
                "methods": table(opened.method_model),
                "line": len(lines) - 1,
            }
            session.window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    title, detail = seen["banner"]
    assert title == "The recording is damaged"
    assert f"line {seen['line']}: a 'sub_ready' line is incomplete" in detail
    assert [m["method"] for m in seen["methods"]] == ["add"]


def test_a_failed_save_says_why_and_keeps_the_recording(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    folder = tmp_path / "gone"  # no such folder: the file cannot be made

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            session = await open_session(str(server.url), settings)
            live = session.window.current
            assert live is not None
            assert session.adaptor is not None
            await until(
                session.adaptor.status_changed,
                lambda: (
                    session.adaptor is not None
                    and session.adaptor.status.status is C.CONNECTED
                ),
            )
            kept = len(session.adaptor.recorder)
            seen = {
                "saved": live.save_recording(folder / "x.ddprec"),
                "banner": (live.banner.title, live.banner.detail),
                "kept": (kept, len(session.adaptor.recorder)),
                "again": live.save_recording(tmp_path / "y.ddprec"),
            }
            session.window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["saved"] is None
    assert seen["banner"][0] == "The recording was not saved"
    assert "No such file or directory" in seen["banner"][1]
    assert "Nothing was lost" in seen["banner"][1]
    assert seen["kept"][1] >= seen["kept"][0] > 0
    assert seen["again"] >= seen["kept"][0]
    header = json.loads((tmp_path / "y.ddprec").read_text().splitlines()[0])
    assert header["format"] == "ddp-monitor recording"


def test_save_recording_names_the_file_and_saves_the_last_minutes(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """File > Save recording's code: a suggested name, the .ddprec suffix, a span; Ctrl+W closes a recording's page."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            session = await open_session(str(server.url), settings)
            window, live = session.window, session.window.current
            assert live is not None
            assert session.adaptor is not None
            session.adaptor.call("add", [1, 2])
            await _states(live, {"add": MethodState.UPDATED})
            count = window.recordings.save(live, tmp_path / "last", 1)
            message = window.statusBar().currentMessage()
            window.recordings.ask_save(span=True)  # none selected: said, no dialog
            no_span = (live.banner.title, live.banner.detail)
            recorder = session.adaptor.recorder
            kept = list(recorder.items())
            middle = kept[len(kept) // 2][0] - recorder.origin
            spanned = window.recordings.save(
                live, tmp_path / "span.ddprec", span=(0.0, middle)
            )
            opened = await _opened(session, tmp_path / "last.ddprec")
            seen = {
                "count": count,
                "message": message,
                "name": suggested_name(live.adaptor, datetime(2026, 12, 2, 11, 5, 9)),
                "keys": {
                    action.shortcut().toString()
                    for action in (
                        window.open_recording_action,
                        window.save_recording_actions[None],
                    )
                },
                "methods": table(opened.method_model),
                "pages": len(window.pages),
                "no_span": no_span,
                "spanned": (spanned, count, middle),
            }
            window.close_connection_action.trigger()  # Ctrl+W on the recording
            await next_emission(window.sidebar.connection_list.model().rowsRemoved)
            seen["after"] = (len(window.pages), window.current is live)
            window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    header = json.loads((tmp_path / "last.ddprec").read_text().splitlines()[0])
    assert header["span"][0] == 0.0  # the connection is younger than a minute
    assert seen["message"] == (
        f"Saved {seen['count']:,} frames and events to {tmp_path / 'last.ddprec'}"
    )
    host = seen["name"].removesuffix("-20261202-110509.ddprec")
    assert host.startswith("127.0.0.1-")
    assert host.removeprefix("127.0.0.1-").isdigit()  # the port
    assert seen["keys"] == {"Ctrl+O", "Ctrl+Shift+S"}
    assert seen["no_span"][0] == "No span is selected"
    spanned, count, middle = seen["spanned"]
    assert spanned is not None
    assert 0 < spanned < count
    span_header = json.loads((tmp_path / "span.ddprec").read_text().splitlines()[0])
    assert span_header["span"] == [0.0, middle]
    assert [m["method"] for m in seen["methods"]] == ["add"]
    assert seen["pages"] == 2
    assert seen["after"] == (1, True)


def test_the_window_keys_are_each_used_once(qapp: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(None, settings)
    keys = [
        action.shortcut().toString()
        for action in window.actions()
        if not action.shortcut().isEmpty()
    ]
    assert len(keys) == len(set(keys))
    assert {"Ctrl+O", "Ctrl+Shift+S"} <= set(keys)
    window.deleteLater()


def test_replay_on_a_recordings_page_replays_that_recording(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """File > Replay a recording... on a recording's page takes that recording, no file to pick (issue 16)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    async def scenario() -> list[str]:
        async with demo_server() as server:
            session = await open_session(str(server.url), settings)
            await until(
                session.adaptor.status_changed, lambda: session.adaptor.status.connected
            )
            path = tmp_path / "mine.ddprec"
            page = session.window.current
            assert page is not None
            page.save_recording(path)
            workspace = session.workspace
            assert workspace is not None
            assert workspace.open_recording(path) is not None
            session.window.replay_action.trigger()
            sources = [
                w.adaptor.source
                for w in QApplication.topLevelWidgets()
                if isinstance(w, ReplayDialog)
            ]
            for w in QApplication.topLevelWidgets():
                if isinstance(w, ReplayDialog):
                    w.close()
            session.window.close()
            await session.close()
            return sources

    assert run(qloop, scenario()) == [str(tmp_path / "mine.ddprec")]
