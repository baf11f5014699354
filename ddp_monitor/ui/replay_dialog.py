"""File > Replay a recording...: send a recording's calls and subscriptions to a server, compare.

Owns ``ReplayDialog`` and the two ways to it: ``choose_and_replay`` (the menu:
pick a file, load it) and ``replay_recording`` (a recording already loaded,
e.g. an opened one); imports QtWidgets/QtCore, ``qt.replay_adaptor`` (the run),
``qt.replay_model`` (the report's table), ``recording`` (loading a file and its
errors) and ``ui`` parts (banner, table, JSON pane). The dialog asks for the
server (the recorded one by default), credentials when the recording logged
in, the pacing, the timeout and paths to ignore; it shows progress, then the
report: same / different / missing coloured, the selected row's diff beside,
and saves it as the JSON lines ``ddp-monitor replay`` prints.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.profiles import atomic_write
from ddp_monitor.qt.replay_adaptor import ReplayAdaptor
from ddp_monitor.qt.replay_model import OUTCOME_COLOURS, ReplayReportModel
from ddp_monitor.recording.format import RecordingError
from ddp_monitor.recording.recorder import Recording, load
from ddp_monitor.recording.replay_report import DIFFERENT, MISSING, SAME, Report
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["ReplayDialog", "choose_and_replay", "replay_recording"]

_FILTER = "Recordings (*.ddprec *.jsonl);;All files (*)"
_PACINGS = (
    ("none", "As fast as the answers come"),
    ("recorded", "As recorded (the same pauses)"),
)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class ReplayDialog(QDialog):
    """One recording, replayed against a server as often as the user asks."""

    def __init__(self, adaptor: ReplayAdaptor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.adaptor = adaptor
        adaptor.setParent(self)
        self.report: Report | None = None
        self.setWindowTitle(f"Replay {Path(adaptor.source).name}")
        self.setObjectName("replayDialog")
        self._build()
        adaptor.progressed.connect(self._progressed)
        adaptor.finished.connect(self._finished)
        adaptor.failed.connect(self._failed)

    # -- building ----------------------------------------------------------------
    def _build(self) -> None:
        a = self.adaptor
        counts = a.counts()
        about = QLabel(
            f"Recorded against {a.recorded_url or 'an unknown server'}: "
            f"{_count(counts['calls'], 'call')} and "
            f"{_count(counts['subscriptions'], 'subscription')} to send, "
            f"{_count(counts['compared'], 'answer')} to compare."
            + (
                " The file starts mid-connection: what came before is not in it."
                if counts["partial"]
                else ""
            )
        )
        about.setWordWrap(True)
        self.url = QLineEdit(a.recorded_url)
        self.url.setPlaceholderText("http://localhost:3000, ws://host/websocket")
        self.user = QLineEdit()
        self.user.setPlaceholderText("username or email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        credentials = QHBoxLayout()
        credentials.addWidget(self.user)
        credentials.addWidget(self.password)
        self.pacing = QComboBox()
        for value, words in _PACINGS:
            self.pacing.addItem(words, value)
        self.timeout = QDoubleSpinBox()
        self.timeout.setDecimals(1)
        self.timeout.setRange(0.1, 3600.0)
        self.timeout.setValue(10.0)
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip(
            "An answer not there this long after its action is missing"
        )
        pacing = QHBoxLayout()
        pacing.addWidget(self.pacing, 1)
        pacing.addWidget(QLabel("Timeout"))
        pacing.addWidget(self.timeout)
        self.ignore = QLineEdit()
        self.ignore.setPlaceholderText("documents.tasks.*.createdAt, tasks.add:result")
        self.ignore.setToolTip(
            "Paths whose differences do not count (shell patterns; NAME:PATH for "
            "one method or publication), separated by commas or spaces"
        )
        form = QFormLayout()
        form.addRow("Server", self.url)
        if a.needs_credentials:
            form.addRow("Log in as", credentials)
            self.user.setToolTip(
                "The recording logs in; its password or token is never in the "
                "file, so the replay logs in with these"
            )
        else:
            self.user.hide()
            self.password.hide()
        form.addRow("Pacing", pacing)
        form.addRow("Ignore", self.ignore)

        self.run_button = QPushButton("Replay")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, len(a.plan.actions)))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m actions")
        run = QHBoxLayout()
        run.addWidget(self.progress, 1)
        run.addWidget(self.run_button)

        self.banner = ErrorBanner()
        self.summary = QLabel("Not replayed yet.")
        self.summary.setObjectName("replaySummary")
        self.model = ReplayReportModel(self)
        self.table = DenseTable(
            "replayReport", "Press Replay: each recorded answer gets a row here."
        )
        self.table.show_sorted(self.model)
        self.table.set_column_widths(150, 110, 80)  # the differences take the rest
        self.detail = JsonView("Select a row: its differences, path by path.")
        self.table.selectionModel().selectionChanged.connect(self._selected)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([520, 260])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton(
            "Save report...", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addLayout(run)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(800, 560)

    # -- running -------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Replay with what the form says; bad input is said in the banner."""
        self.banner.dismiss()
        try:
            self.adaptor.start(
                self.url.text().strip(),
                user=self.user.text().strip(),
                password=self.password.text(),
                pacing=self.pacing.currentData(),
                timeout=self.timeout.value(),
                ignore=[p for p in re.split(r"[,\s]+", self.ignore.text()) if p],
            )
        except ValueError as exc:
            self.banner.show_problem("Cannot replay", str(exc))
            return
        self.run_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.progress.setValue(0)
        self.summary.setText(f"Replaying against {self.url.text().strip()}...")

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)

    @Slot(object)
    def _finished(self, report: Report) -> None:
        self.report = report
        self.run_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.progress.setValue(self.progress.maximum())
        self.model.show(report)
        s = report.summary
        parts = [
            f"<span style='color:{OUTCOME_COLOURS[k].name()}'>{s[k]} {k}</span>"
            for k in (SAME, DIFFERENT, MISSING)
        ]
        verdict = "All the same." if report.status == 0 else "Not the same."
        problem = f" {s['problem']}." if s.get("problem") else ""
        self.summary.setText(
            f"<b>{verdict}</b> {' · '.join(parts)} · {s['seconds']:g} s{problem}"
        )
        first = next(
            (n for n in range(self.model.rowCount()) if self._not_same(n)), None
        )
        if first is not None:
            self.table.selectRow(first)

    def _not_same(self, row: int) -> bool:
        return self.model.record(row).outcome != SAME

    @Slot(str)
    def _failed(self, why: str) -> None:
        self.run_button.setEnabled(True)
        self.summary.setText("Not replayed.")
        self.banner.show_problem("The replay did not run", why)

    @Slot(QItemSelection, QItemSelection)
    def _selected(self, *_: object) -> None:
        rows = self.table.selected_rows()
        self.detail.show_text(self.model.detail(rows[0]) if rows else "")

    # -- saving ---------------------------------------------------------------------
    def _save(self) -> None:
        if self.report is None:
            return
        suggested = str(Path(self.adaptor.source).with_suffix(".replay.jsonl"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the replay's report", suggested, "JSON lines (*.jsonl)"
        )
        if path:
            self.save_report(Path(path))

    def save_report(self, path: Path) -> bool:
        """Write the report as JSON lines; a failure is said in the banner."""
        if self.report is None:
            return False
        try:
            atomic_write(path, [line + "\n" for line in self.report.json_lines()])
        except OSError as exc:
            self.banner.show_problem(f"The report was not saved to {path}", str(exc))
            return False
        return True

    def reject(self) -> None:
        self.adaptor.cancel()
        super().reject()


def replay_recording(
    recording: Recording, source: str, parent: QWidget | None = None
) -> ReplayDialog:
    """Show the replay dialog for a recording already loaded (``source``: its file)."""
    dialog = ReplayDialog(ReplayAdaptor(recording, source), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def choose_and_replay(parent: QWidget, banner: ErrorBanner) -> ReplayDialog | None:
    """File > Replay a recording...: pick a file, load it, show the dialog."""
    path, _ = QFileDialog.getOpenFileName(parent, "Replay a recording", "", _FILTER)
    if not path:
        return None
    return open_for_replay(Path(path), parent, banner)


def open_for_replay(
    path: Path, parent: QWidget, banner: ErrorBanner
) -> ReplayDialog | None:
    """Load ``path`` and show the dialog; a bad file is said in ``banner``."""
    try:
        recording = load(path)
    except (OSError, RecordingError) as exc:
        banner.show_problem(f"{path.name} cannot be replayed", str(exc))
        return None
    return replay_recording(recording, str(path), parent)
