"""After a reconnect the page says what it came back to: the same session (resumed) or a new one.

The phone sleeps (battery saving: the socket goes without a close) and
wakes; our demo server keeps the session for its grace period, so the badge
and the log's ``connected`` row say "session resumed". With resumption off
on the server, the same steps say "new session" and name the old one.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt

from ddp_monitor.app.desktop import open_session
from ddp_monitor.ddp.client.status import ConnectionStatus
from tests.qt.harness import demo_server, run, until

C = ConnectionStatus


async def _sleep_and_wake(url: str, tmp_path: Path) -> dict[str, Any]:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    session = await open_session(url, settings)
    window, adaptor = session.window, session.adaptor
    try:
        await until(adaptor.handshake_completed, lambda: adaptor.session is not None)
        first = adaptor.session
        window.battery_action.trigger()
        await until(adaptor.status_changed, lambda: adaptor.status.status is C.WAITING)
        window.battery_action.trigger()
        await until(adaptor.events_flushed, lambda: window.badge.outcome is not None)
        log = window.log_model
        rows = [n for n, e in enumerate(log.visible_entries()) if e.kind == "connected"]
        last = log.index(rows[-1], 2)
        export = tmp_path / "log.jsonl"
        log.export(export)
        notes = [
            line["note"]
            for line in map(json.loads, export.read_text().splitlines())
            if "note" in line
        ]
        return {
            "first": first,
            "second": adaptor.session,
            "words": window.badge.words,
            "tooltip": window.badge.toolTip(),
            "type": log.data(last, Qt.ItemDataRole.DisplayRole),
            "first_type": log.data(log.index(rows[0], 2), Qt.ItemDataRole.DisplayRole),
            "type_tip": log.data(last, Qt.ItemDataRole.ToolTipRole),
            "notes": notes,
        }
    finally:
        await session.close()
        window.close()


def test_a_resumed_session_is_said_on_the_badge_and_in_the_log(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> dict[str, Any]:
        async with demo_server() as server:
            return await _sleep_and_wake(server.url, tmp_path)

    seen = run(qloop, scenario())
    assert seen["second"] == seen["first"]
    assert seen["words"] == "Connected · session resumed"
    assert seen["tooltip"].startswith(f"Session {seen['first']} resumed: same id")
    assert seen["type"] == "connected · session resumed"
    assert seen["first_type"] == "connected"  # the first session is no news
    assert "no data reset" in seen["type_tip"]
    assert len(seen["notes"]) == 1


def test_a_new_session_is_said_with_the_one_it_replaced(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    async def scenario() -> dict[str, Any]:
        async with demo_server(disconnect_grace_period=0) as server:
            return await _sleep_and_wake(server.url, tmp_path)

    seen = run(qloop, scenario())
    assert seen["second"] != seen["first"]
    assert seen["words"] == "Connected · new session"
    assert f"(was {seen['first']})" in seen["tooltip"]
    assert seen["type"] == "connected · new session"
