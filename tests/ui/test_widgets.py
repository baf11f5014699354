"""Widgets driven through their value slots: badge, banner, parameter editor."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.message_log_model import MessageLogModel
from ddp_monitor.transport.wiretap import Direction, Frame
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.message_log import MessageLogPanel
from ddp_monitor.ui.params_field import ParamsField
from ddp_monitor.ui.status_badge import StatusBadge


def test_badge_shows_retry_count_countdown_and_failure_reason(qtbot: Any) -> None:
    """Waiting shows the retry number and tenths; failed shows the reason; offline says battery saving."""
    badge = StatusBadge()
    qtbot.addWidget(badge)
    badge.show_status(Status(ConnectionStatus.WAITING, False, 2, retry_time=50.0))
    badge.show_remaining(4.26)
    assert badge.words == "Waiting - retry 3 in 4.3 s"
    assert badge.icon_name == "status-waiting"
    badge.show_status(
        Status(ConnectionStatus.FAILED, False, reason="no DDP version in common")
    )
    assert badge.words == "Failed: no DDP version in common"
    badge.show_battery_saving(True)
    badge.show_status(Status(ConnectionStatus.OFFLINE, False))
    assert badge.words == "Offline (battery saving)"
    assert '"status": "offline"' in badge.toolTip()


def test_badge_pulses_only_while_connecting(qtbot: Any) -> None:
    """Connecting breathes (the tint's alpha moves, icon and words stay); every other status is still."""
    badge = StatusBadge()
    qtbot.addWidget(badge)
    badge.show()
    still = {}
    for status in (
        Status(ConnectionStatus.CONNECTED, True),
        Status(ConnectionStatus.WAITING, False, 1, retry_time=5.0),
        Status(ConnectionStatus.OFFLINE, False),
        Status(ConnectionStatus.FAILED, False, reason="gone"),
    ):
        badge.show_status(status)
        still[status.status] = badge.pulsing
    badge.show_status(Status(ConnectionStatus.CONNECTING, False))
    alphas = {badge._alpha}
    for _ in range(4):
        qtbot.wait(120)
        alphas.add(badge._alpha)
    pulsing, words, icon_name = badge.pulsing, badge.words, badge.icon_name
    badge.show_status(Status(ConnectionStatus.CONNECTED, True))
    assert not any(still.values())
    assert pulsing
    assert len(alphas) > 1
    assert words == "Connecting..."
    assert icon_name == "status-connecting"
    assert not badge.pulsing


def test_params_editor_blocks_sending_until_the_json_is_valid(qtbot: Any) -> None:
    """Typing broken JSON says where it breaks and Enter sends nothing; fixing it sends."""
    field = ParamsField("params")
    qtbot.addWidget(field)
    sent: list[list[Any]] = []
    field.submitted.connect(lambda: sent.append(field.params))
    qtbot.keyClicks(field, '["milk", ')
    assert not field.valid
    assert field.status_label.text().startswith("\u2717 Line 1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert sent == []
    qtbot.keyClicks(field, "2]")
    assert field.valid
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert sent == [["milk", 2]]


def test_banner_counts_distinct_problems_and_dismisses(qtbot: Any) -> None:
    """A repeated problem does not pile up; a new one is counted; dismiss hides it."""
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show()
    banner.show_problem("Cannot reach the server", "refused")
    banner.show_problem("Cannot reach the server", "refused")
    assert banner.count == 1
    banner.show_problem("Export failed", "disk full")
    assert banner.count == 2
    assert banner.title == "Export failed"
    banner.dismiss()
    assert not banner.isVisible()


def test_message_log_says_when_a_filter_hides_every_kept_frame(qtbot: Any) -> None:
    """An empty log says "no frames yet"; a filter matching none of the kept frames says so instead."""
    model = MessageLogModel()
    panel = MessageLogPanel(
        model, QAction("Pause"), QAction("Clear"), QAction("Export")
    )
    qtbot.addWidget(panel)
    assert panel.table.empty_text.startswith("No frames yet")
    model.append([Frame(Direction.IN, 1.0, json.dumps({"msg": "ping"}))])
    panel.filter.setText("ticker")
    panel.apply_filter()
    assert model.rowCount() == 0
    assert panel.table.empty_text.startswith("No kept frame matches")
    assert "1 kept" in panel.counts.text()
