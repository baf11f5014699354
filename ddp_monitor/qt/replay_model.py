"""A replay's report as a table: one row per compared answer, coloured by outcome.

Owns ``ReplayReportModel`` and the outcome colours; imports QtCore/QtGui,
``qt.table_model`` and ``recording.replay_report`` (the outcome names). A
row's ``diff`` is shown by the dialog's detail pane as indented JSON
(``detail``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from ddp_monitor.qt.table_model import Column, RowTableModel
from ddp_monitor.recording.replay_report import (
    COLLECTIONS,
    DIFFERENT,
    MISSING,
    SAME,
    Report,
)

__all__ = ["OUTCOME_COLOURS", "ReplayReportModel", "ReportRow"]

#: The status colours' green, red and amber (qt.status_look), for one meaning each.
OUTCOME_COLOURS = {
    SAME: QColor("#2e9d4f"),
    DIFFERENT: QColor("#d2383f"),
    MISSING: QColor("#c98500"),
}


@dataclass(frozen=True, slots=True)
class ReportRow:
    position: int  # in the report: the order things were made
    line: dict[str, Any]

    @property
    def outcome(self) -> str:
        return str(self.line["outcome"])

    @property
    def what(self) -> str:
        if self.line["kind"] == COLLECTIONS:
            return "collections at the end"
        return f"{self.line['kind']} {self.line['index']}"

    @property
    def changes(self) -> str:
        diff = self.line.get("diff") or []
        if self.outcome == MISSING:
            return "no answer in time"
        if not diff:
            return ""
        paths = ", ".join(d["path"] or "(the whole answer)" for d in diff[:3])
        more = f" and {len(diff) - 3} more" if len(diff) > 3 else ""
        return f"{len(diff)}: {paths}{more}"


class ReplayReportModel(RowTableModel[ReportRow]):
    """The lines of one report; ``show(report)`` replaces them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("#", lambda r: r.what, key=lambda r: r.position),
                Column("name", lambda r: str(r.line.get("name") or "")),
                Column(
                    "outcome",
                    lambda r: r.outcome,
                    colour=lambda r: OUTCOME_COLOURS.get(r.outcome),
                ),
                Column("differences", lambda r: r.changes),
            ],
            parent,
        )

    def show(self, report: Report) -> None:
        self._clear()
        rows = [(str(n), ReportRow(n, line)) for n, line in enumerate(report.lines)]
        self._add_many(rows)

    def detail(self, row: int) -> str:
        """The row's answer compared, as indented JSON (the whole line)."""
        line = self.record(row).line
        return json.dumps(line, indent=2, ensure_ascii=False)
