"""Saved calls and scenarios in the window: saved from the console, run on a page, outcomes shown.

A real demo server on 127.0.0.1, a profile opened in the window (its password
in a real in-memory keyring backend), the qasync harness (tests.qt.harness).
The name a person would type in "Save call…" is given to QInputDialog.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.profiles import LoginKind, LoginSpec, Profile, ProfileStore
from ddp_monitor.qt.profile_model import ProfileListModel
from ddp_monitor.qt.profile_scenarios import ProfileScenarios
from ddp_monitor.scenarios.sequence import StepState
from ddp_monitor.steps import (
    CallStep,
    Expect,
    ExpectKind,
    LoginStep,
    SavedCall,
    StepKind,
    SubscribeStep,
    UnsubscribeStep,
    WaitStep,
)
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.step_editor import StepEditor
from tests.keyrings import MemoryKeyring
from tests.qt.harness import demo_server, next_emission, run, until


def test_save_a_call_then_run_a_scenario_on_the_page(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Save call… from the console and from a past call, one click, then a scenario's outcomes."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = ProfileStore(tmp_path / "profiles.json")
    names = iter(["add two", "echo it"])
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *a, **k: (next(names), True))
    )

    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            session = await open_session(server.url, settings, store)
            window, workspace = session.window, session.workspace
            assert workspace is not None
            profile = Profile(
                "demo", server.url, login=LoginSpec(LoginKind.PASSWORD, "demo")
            )
            assert window.save_profile(profile, "demo")
            window.open_requested.emit(profile.id)
            while profile.id not in workspace.connections:
                await next_emission(window.sidebar.connection_list.model().rowsInserted)
            opened = workspace.connections[profile.id]
            adaptor, methods = opened.adaptor, opened.page.methods
            await until(
                adaptor.status_changed,
                lambda: adaptor.status.status is ConnectionStatus.CONNECTED,
            )
            seen: dict[str, Any] = {"enabled": methods.scenarios_button.isEnabled()}
            plain = next(
                p.methods for p in window.pages.values() if p.adaptor is session.adaptor
            )  # the page opened on a URL: no profile to keep anything in
            seen["plain"] = [
                b.isEnabled()
                for b in (plain.saved_button, plain.save_button, plain.scenarios_button)
            ]
            # The console's own call, saved by the button beside it.
            methods.name.setText("add")
            methods.params.setPlainText("[1, 2]")
            methods.wait.setChecked(True)
            methods.save_form_call()
            # A past call, saved as its context menu does.
            methods.name.setText("echo")
            methods.params.setPlainText('[{"a": 1}]')
            methods.submit()
            while not any(r.name == "echo" for r in methods.model.rows()):
                await next_emission(adaptor.events_flushed)
            record = next(r for r in methods.model.rows() if r.name == "echo")
            menu = methods.row_menu(record)
            save = next(a for a in menu.actions() if a.text() == "Save call\u2026")
            seen["menu_save_enabled"] = save.isEnabled()
            save.trigger()
            seen["menu"] = [a.text() for a in methods.saved_menu.actions()]
            # A secret never goes to the file.
            seen["refused"] = methods.profile_scenarios.save_call(  # type: ignore[union-attr]
                SavedCall("sneaky", "login", ({"password": "x"},))
            )
            # One click in Saved calls makes the call.
            calls = len(methods.model.rows())
            methods.saved_menu.actions()[0].trigger()
            while len(methods.model.rows()) == calls:
                await next_emission(adaptor.events_flushed)
            seen["clicked"] = methods.model.rows()[-1].name

            methods.open_scenarios()
            dialog = methods.dialog
            assert dialog is not None
            dialog.new_scenario("smoke")
            dialog.set_steps(
                [
                    LoginStep(),
                    SubscribeStep("tasks"),
                    CallStep(saved="add two", expect=Expect(ExpectKind.RESULT, 3)),
                    CallStep("add", (2, 2), expect=Expect(ExpectKind.RESULT, 5)),
                    WaitStep(0.01),
                    UnsubscribeStep("tasks"),
                ]
            )
            dialog.move_step(0)  # nothing selected: nothing moves
            dialog.table.selectRow(4)
            dialog.move_step(-1)  # the wait goes before the wrong call
            dialog.keep_going.setChecked(True)
            dialog.run_scenario()
            seen["running"] = dialog.stop_button.isEnabled()
            await next_emission(dialog.runs.finished)
            model = dialog.model
            seen["states"] = [
                model.outcome(row).state  # type: ignore[union-attr]
                for row in range(model.rowCount())
            ]
            seen["steps"] = [
                model.index(row, 1).data() for row in range(model.rowCount())
            ]
            seen["summary"] = dialog.summary.text()
            dialog.table.selectRow(4)
            seen["detail"] = dialog.detail.toPlainText()
            # Stop: the step under way fails as stopped, the rest are skipped.
            dialog.new_scenario("long")
            dialog.set_steps([WaitStep(60), CallStep("add", (1, 1))])
            dialog.run_scenario()
            while dialog.model.outcome(0) is None:
                await next_emission(dialog.runs.step_changed)
            dialog.stop_button.click()
            seen["stopped_ok"] = (await next_emission(dialog.runs.finished))[0]
            seen["stopped"] = [
                (o.state, o.detail)
                for o in (dialog.model.outcome(0), dialog.model.outcome(1))
                if o is not None
            ]
            seen["run_enabled"] = dialog.run_button.isEnabled()
            # A scenario that cannot run says why in the dialog, and sends nothing.
            dialog.new_scenario("long")  # taken: "long 2", then deleted
            seen["second_long"] = dialog.current.name  # type: ignore[union-attr]
            dialog.delete_scenario()
            dialog.new_scenario("unrunnable")
            dialog.set_steps([CallStep(saved="gone")])
            seen["refused_run"] = dialog.run_scenario()
            seen["refused_why"] = dialog.summary.toolTip()
            adaptor.flush()
            seen["user"] = opened.page.user_id
            seen["subs"] = [
                opened.page.subscription_model.index(r, 0).data()
                for r in range(opened.page.subscription_model.rowCount())
            ]
            # Closing the page while a scenario runs ends the run first.
            dialog.select("long")
            dialog.run_scenario()
            seen["running_at_close"] = dialog.runs.running
            finished: list[bool] = []
            dialog.runs.finished.connect(finished.append)
            await workspace.close_connection(profile.id)
            seen["finished_at_close"] = finished
            window.close()
            await session.close()
            return seen

    seen = run(qloop, scenario())
    assert seen["enabled"]
    assert seen["plain"] == [False, False, False]
    assert seen["running_at_close"]
    assert seen["finished_at_close"] == [False]
    assert seen["menu_save_enabled"]
    assert seen["menu"] == [
        "add two  \u2014  add",
        "echo it  \u2014  echo",
        "",
        "Forget",
    ]
    assert "password or token (params.0.password)" in seen["refused"]
    assert seen["clicked"] == "add"
    assert seen["running"]
    P, F = StepState.PASSED, StepState.FAILED
    assert seen["states"] == [P, P, P, P, F, P]
    assert seen["steps"][2] == "call add [1,2] (wait), expect result 3"
    assert seen["steps"][3] == "wait 0.01 s"
    assert seen["summary"] == "\u2717 5 passed, 1 failed"
    assert "the result is not the one expected" in seen["detail"]
    assert "-5\n+4" in seen["detail"]
    assert seen["user"] is not None
    assert seen["stopped_ok"] is False
    assert seen["stopped"] == [(F, "stopped"), (StepState.SKIPPED, "")]
    assert seen["run_enabled"]
    assert seen["second_long"] == "long 2"
    assert seen["refused_run"] is None
    assert seen["refused_why"] == (
        "scenario 'unrunnable' cannot run: step 1 calls the saved call 'gone', "
        "which the profile does not have (it has: 'add two', 'echo it')."
    )
    saved = json.loads(store.path.read_text(encoding="utf-8"))["profiles"][0]
    assert [c["name"] for c in saved["saved_calls"]] == ["add two", "echo it"]
    assert saved["saved_calls"][0]["wait"] is True
    assert [s["name"] for s in saved["scenarios"]] == ["smoke", "long", "unrunnable"]
    assert [s["step"] for s in saved["scenarios"][0]["steps"]] == [
        "login",
        "subscribe",
        "call",
        "wait",
        "call",
        "unsubscribe",
    ]


def test_the_step_editor_builds_each_kind(qtbot: Any) -> None:
    """Fields per kind; a step comes back as it went in; what is missing is said."""
    editor = StepEditor(None, ["add two"])
    qtbot.addWidget(editor)
    editor.kind.setCurrentIndex(editor.kind.findData(str(StepKind.CALL)))
    assert editor.step() == "Type a method name."
    editor.name.setText("add")
    editor.params.setPlainText("[1, 2]")
    editor.expect.setCurrentIndex(editor.expect.findData(str(ExpectKind.RESULT)))
    editor.expected.setText("{")
    assert str(editor.step()).startswith("The expected result is not EJSON")
    editor.expected.setText('{"$date": 0}')
    step = editor.step()
    assert isinstance(step, CallStep)
    assert step.method == "add" and step.params == (1, 2)  # noqa: PT018
    editor.saved.setCurrentIndex(1)
    assert editor.step() == CallStep(saved="add two", expect=step.expect)
    for original in (
        SubscribeStep("items", (3,), wait_ready=False),
        CallStep("fail", wait=True, expect=Expect(ExpectKind.ERROR, "boom")),
        CallStep("x", expect=Expect(ExpectKind.ERROR, 403)),
        WaitStep(2.5),
        UnsubscribeStep("items"),
        LoginStep(),
    ):
        again = StepEditor(original, ["add two"])
        qtbot.addWidget(again)
        assert again.step() == original


def test_editing_a_profile_keeps_the_calls_saved_while_the_form_was_open(
    qtbot: Any, tmp_path: Path
) -> None:
    """The profile form edits neither calls nor scenarios: its older copy does not undo a save."""
    store = ProfileStore(tmp_path / "profiles.json")
    model = ProfileListModel(store)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, profiles=model)
    qtbot.addWidget(window)
    profile = Profile("p", "localhost:3000")
    assert window.save_profile(profile, None)
    scenarios = ProfileScenarios(model, profile.id)
    changed: list[bool] = []
    scenarios.changed.connect(lambda: changed.append(True))
    call = SavedCall("a", "add", (1, 2))
    assert scenarios.save_call(call) is None
    assert changed
    assert window.save_profile(replace(profile, name="renamed"), None)
    (kept,) = ProfileStore(store.path).load()
    assert kept.name == "renamed"
    assert kept.saved_calls == (call,)
    scenarios.remove_call("a")
    assert ProfileStore(store.path).load()[0].saved_calls == ()
