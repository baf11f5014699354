"""The Methods tab as a user works it: the whole Meteor.Error, calls made again, wait and noRetry, timing explained."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from ddp_monitor.app.desktop import open_session
from ddp_monitor.qt.method_model import MethodState
from tests.qt.harness import demo_server, run, until


def test_the_console_shows_whole_errors_reruns_calls_and_explains_timing(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            session = await open_session(server.url, settings)
            window, adaptor = session.window, session.adaptor
            panel, model = window.methods, window.method_model
            seen: dict[str, Any] = {}

            def done(count: int) -> bool:
                return (
                    sum(
                        r.state in (MethodState.UPDATED, MethodState.FAILED)
                        for r in model.rows()
                    )
                    >= count
                )

            try:
                await until(
                    adaptor.handshake_completed, lambda: adaptor.session is not None
                )
                panel.name.setText("fail")
                panel.params.setPlainText("[]")
                panel.call_button.click()
                await until(model.counts_changed, lambda: done(1))
                panel.table.selectRow(0)
                seen["error"] = panel.detail.toPlainText()
                panel.table.doubleClicked.emit(model.index(0, 1))  # make it again
                await until(model.counts_changed, lambda: done(2))
                seen["again"] = [(r.name, list(r.params)) for r in model.rows()]
                panel.name.setText("slow")
                panel.params.setPlainText("[600]")
                panel.wait.setChecked(True)
                panel.call_button.click()
                panel.wait.setChecked(False)
                panel.name.setText("echo")
                panel.params.setPlainText('["after"]')
                panel.call_button.click()
                await until(model.counts_changed, lambda: done(4))
                echo = model.rows()[-1]
                seen["wait flag"] = model.rows()[-2].wait
                panel.table.selectRow(model.row_of(echo.method_id) or 0)
                seen["echo detail"] = panel.detail.toPlainText()
                panel.edit_call(model.rows()[-2])
                seen["console"] = (
                    panel.name.text(),
                    panel.params.toPlainText(),
                    panel.wait.isChecked(),
                )
            finally:
                await session.close()
                window.close()
            return seen

    seen = run(qloop, scenario())
    error = seen["error"]
    assert "error: Boom: requested failure [boom]" in error
    assert '"details": {' in error
    assert '"scenario": "fail"' in error
    assert '"errorType": "Meteor.Error"' in error
    assert '"isClientSafe": true' in error
    assert seen["again"] == [("fail", []), ("fail", [])]
    assert seen["wait flag"]
    assert "// timing" in seen["echo detail"]
    assert "held behind a wait call" in seen["echo detail"]
    assert seen["console"] == ("slow", "[600]", True)
