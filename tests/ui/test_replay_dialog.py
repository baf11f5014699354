"""File > Replay a recording...: the dialog against our server, as a user works it (issue 16).

A session recorded against the demo server is replayed from the dialog against
the same server (all the same), against one whose ``add`` answers otherwise
(the row is red, its diff beside it, the report saved as JSON lines), and with
the input a user gets wrong (no credentials for a login, a bad URL, a bad file).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from ddp_monitor.demo.names import ACCOUNT
from ddp_monitor.qt.replay_model import OUTCOME_COLOURS
from ddp_monitor.transport.server import DDPServer
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.replay_dialog import (
    ReplayDialog,
    open_for_replay,
    replay_recording,
)
from tests.peers.meteor_server import free_port
from tests.qt.harness import demo_server, next_emission, run
from tests.recording.sessions import changed_server, login_session, record, scenario
from tests.timeouts import TIMEOUT


def outcomes(dialog: ReplayDialog) -> list[str]:
    model = dialog.model
    return [model.data(model.index(r, 2)) for r in range(model.rowCount())]


async def replayed(dialog: ReplayDialog, url: str) -> Any:
    dialog.url.setText(url)
    finished = asyncio.ensure_future(next_emission(dialog.adaptor.finished))
    await asyncio.sleep(0)  # the wait listens before the click
    dialog.run_button.click()
    assert not dialog.run_button.isEnabled()  # one run at a time
    (report,) = await finished
    return report


def test_the_dialog_replays_and_shows_what_differs(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scene() -> None:
        async with demo_server() as server:
            path = tmp_path / "session.ddprec"
            recording = await record(str(server.url), path, scenario)
            dialog = replay_recording(recording, str(path))
            try:
                assert dialog.url.text() == str(server.url)  # the recorded server
                assert dialog.user.isHidden()  # this recording never logged in
                report = await replayed(dialog, str(server.url))
                assert report.status == 0
                assert outcomes(dialog) == ["same"] * 6
                assert "All the same." in dialog.summary.text()
                assert dialog.progress.value() == dialog.progress.maximum() == 6

                other = changed_server()
                await other.start()
                try:
                    report = await replayed(dialog, str(other.url))
                finally:
                    await other.stop()
                assert report.status == 1
                assert outcomes(dialog) == [
                    "same",
                    "different",
                    "same",
                    "same",
                    "different",
                    "same",
                ]
                model = dialog.model
                add = model.index(1, 2)
                assert model.data(add, 9) == OUTCOME_COLOURS["different"]  # foreground
                assert model.data(model.index(1, 3)) == "1: result"
                # The first row that differs is selected, its diff beside it.
                assert dialog.table.selected_rows() == [1]
                detail = json.loads(dialog.detail.toPlainText())
                assert detail["diff"] == [
                    {
                        "path": "result",
                        "change": "changed",
                        "recorded": 5,
                        "replayed": 6,
                    }
                ]
                assert "Not the same." in dialog.summary.text()

                saved = tmp_path / "report.jsonl"
                assert dialog.save_report(saved)
                lines = saved.read_text().splitlines()
                assert lines == report.json_lines()
                assert json.loads(lines[-1])["different"] == 2
                assert not dialog.save_report(saved / "r.jsonl")  # under a file
                assert "not saved" in dialog.banner.title
            finally:
                dialog.close()

    run(qloop, scene())


def test_the_dialog_asks_for_credentials_and_says_what_is_wrong(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scene() -> None:
        async with demo_server() as server:
            path = tmp_path / "login.ddprec"
            recording = await record(str(server.url), path, login_session)
            dialog = replay_recording(recording, str(path))
            try:
                assert not dialog.user.isHidden()
                dialog.run_button.click()  # no credentials
                assert "logs in (call 1)" in dialog.banner.detail
                assert dialog.run_button.isEnabled()
                dialog.url.setText("ftp://nowhere")
                dialog.user.setText(ACCOUNT[0])
                dialog.password.setText(ACCOUNT[1])
                dialog.run_button.click()
                assert "ftp" in dialog.banner.detail
                dialog.url.setText(f"127.0.0.1:{free_port()}")  # nobody listens
                failed = asyncio.ensure_future(next_emission(dialog.adaptor.failed))
                await asyncio.sleep(0)
                dialog.run_button.click()
                (why,) = await failed
                assert "cannot reach" in why
                assert dialog.banner.title == "The replay did not run"
                assert dialog.run_button.isEnabled()  # try again
                report = await replayed(dialog, str(server.url))
                assert report.status == 0, report.lines
                assert outcomes(dialog) == ["same", "same", "same"]
                assert ACCOUNT[1] not in "\n".join(report.json_lines())
            finally:
                dialog.close()

    run(qloop, scene())


def test_a_bad_file_is_said_in_the_banner(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "notes.ddprec"
    path.write_text("hello\n")
    banner = ErrorBanner()
    assert open_for_replay(path, banner, banner) is None
    assert banner.title == "notes.ddprec cannot be replayed"
    assert "line 1: not a recording" in banner.detail


def test_the_file_menu_offers_it(qapp: QApplication) -> None:
    window = MainWindow()
    try:
        file_menu = window.menuBar().actions()[0].menu()
        assert window.replay_action in file_menu.actions()
        assert window.replay_action.text() == "Replay a recording..."
    finally:
        window.close()


def test_closing_the_dialog_stops_its_run(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scene() -> None:
        async with demo_server() as server:
            path = tmp_path / "session.ddprec"
            recording = await record(str(server.url), path, scenario)
            silent = DDPServer(host="127.0.0.1", port=0)
            never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            async def hold(sub: Any, *_: Any) -> None:
                await never  # never ready: the run waits on it

            silent.publish("items", hold)
            await silent.start()
            try:
                dialog = replay_recording(recording, str(path))
                opened = asyncio.get_running_loop().create_future()
                silent.on_connection(lambda conn: opened.set_result(conn))
                dialog.url.setText(str(silent.url))
                dialog.run_button.click()
                conn = await asyncio.wait_for(opened, TIMEOUT)
                closed = asyncio.get_running_loop().create_future()
                conn.on_close(lambda: closed.set_result(None))
                dialog.close()  # while the run waits for "ready"
                await asyncio.wait_for(closed, TIMEOUT)  # the run's client went
                assert silent.connections == []
            finally:
                never.cancel()
                await silent.stop()

    run(qloop, scene())
