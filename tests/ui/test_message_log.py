"""The Messages tab as a user works it: presets, a menu that stays open, a call with its answers, the connection's events."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from tests.qt.harness import demo_server, run, until

C = ConnectionStatus


def test_the_log_tells_a_calls_story_and_the_connections(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            session = await open_session(server.url, settings)
            window, adaptor = session.window, session.adaptor
            log, model = window.log, window.log_model
            seen: dict[str, Any] = {}
            try:
                await until(
                    adaptor.handshake_completed, lambda: adaptor.session is not None
                )
                await adaptor.call("add", [2, 3]).result
                await until(
                    model.counts_changed, lambda: "updated" in model.kinds_seen()
                )
                row = next(
                    n
                    for n, e in enumerate(model.visible_entries())
                    if e.kind == "method"
                )
                log.table.selectRow(row)
                seen["detail"] = log.detail.toPlainText()
                # The types menu stays open while types are ticked.
                log.types_menu.popup(log.types_button.mapToGlobal(QPoint(0, 0)))
                ticks = [a for a in log.types_menu.actions() if a.isCheckable()][:2]
                for action in ticks:
                    where = log.types_menu.actionGeometry(action).center()
                    QTest.mouseClick(
                        log.types_menu, Qt.MouseButton.LeftButton, pos=where
                    )
                seen["menu open"] = log.types_menu.isVisible()
                seen["ticked"] = {a.text() for a in ticks}
                seen["kinds shown"] = {e.kind for e in model.visible_entries()}
                log.types_menu.hide()
                preset = next(
                    a
                    for a in log.types_menu.actions()
                    if a.text().startswith("Hide heart")
                )
                preset.trigger()
                seen["button"] = log.types_button.text()
                window.battery_action.trigger()
                await until(
                    adaptor.status_changed, lambda: adaptor.status.status is C.WAITING
                )
                window.battery_action.trigger()
                await until(
                    adaptor.status_changed, lambda: adaptor.status.status is C.CONNECTED
                )
                await until(model.counts_changed, lambda: "lost" in model.kinds_seen())
                seen["rows"] = [e.kind for e in model.visible_entries()]
                window.clear_action.trigger()
                seen["after clear"] = log.detail.toPlainText()
            finally:
                await session.close()
                window.close()
            return seen

    seen = run(qloop, scenario())
    detail = seen["detail"]
    assert detail.index("// method, sent") < detail.index("// updated, received")
    assert detail.index("// updated, received") < detail.index("// result, received")
    assert '"result": 5' in detail
    assert seen["menu open"]
    assert seen["kinds shown"] == seen["ticked"]
    assert seen["button"] == "Hide heartbeats"
    rows = seen["rows"]
    assert not {"ping", "pong"} & set(rows)
    # The drop, then the status changes, then the new connect: in time order.
    lost = rows.index("lost")
    assert "status" in rows[lost:]
    assert rows.index("connect", lost) > lost
    assert "method" not in seen["after clear"]
