"""The Scenarios dialog of one open profile: make, edit, reorder and run its scenarios.

Owns ``ScenariosDialog``; imports QtWidgets/QtCore, ``steps``, the ``qt``
profile scenarios, scenario runs and steps model, and ``ui`` parts (the step
editor, the dense table, the JSON view). Every edit is saved in the profile
at once (``ProfileScenarios``). Run sends the steps on the page's own
connection: each row shows its state and time as it goes, and the selected
row its whole outcome (the result, the error, the diff of an expectation).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp import ejson
from ddp_monitor.qt.profile_model import free_name
from ddp_monitor.qt.profile_scenarios import ProfileScenarios
from ddp_monitor.qt.scenario_runs import ScenarioRunAdaptor, ScenarioStepsModel
from ddp_monitor.scenarios.sequence import ScenarioRun, StepOutcome, StepState
from ddp_monitor.steps import Scenario, Step, StepKind
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.step_editor import StepEditor
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["ScenariosDialog"]


class ScenariosDialog(QDialog):
    """Scenarios on the left, the chosen one's steps on the right, Run below."""

    def __init__(
        self,
        scenarios: ProfileScenarios,
        runs: ScenarioRunAdaptor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.scenarios = scenarios
        self.runs = runs
        profile = scenarios.profile
        self.setWindowTitle(
            f"Scenarios \u2014 {profile.name if profile else ''} on {runs.adaptor.url}"
        )
        self.resize(880, 500)
        self.names = QListWidget()
        self.names.setObjectName("scenarioList")
        self.names.currentTextChanged.connect(self._chosen)
        self.new_button = QPushButton("New\u2026")
        self.new_button.clicked.connect(self.new_scenario)
        self.rename_button = QPushButton("Rename\u2026")
        self.rename_button.clicked.connect(self.rename_scenario)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_scenario)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.names, 1)
        list_buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            list_buttons.addWidget(button)
        left.addLayout(list_buttons)
        left_box = QWidget()
        left_box.setLayout(left)

        self.model = ScenarioStepsModel(self)
        self.table = DenseTable(
            "scenarioSteps",
            "No steps yet: Add step puts a login, subscribe, call, wait or unsubscribe here.",
        )
        self.table.setModel(self.model)
        self.table.set_column_widths(28, 300, 60, 60, 220)
        self.table.doubleClicked.connect(lambda _: self.edit_step())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.add_button = QToolButton()
        self.add_button.setText("Add step")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        add_menu = QMenu(self.add_button)
        for kind in StepKind:
            add_menu.addAction(str(kind), partial(self.add_step, kind))
        self.add_button.setMenu(add_menu)
        self.edit_button = QPushButton("Edit\u2026")
        self.edit_button.clicked.connect(self.edit_step)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button = QPushButton("Up")
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button = QPushButton("Down")
        self.down_button.clicked.connect(lambda: self.move_step(1))
        step_buttons = QHBoxLayout()
        for tool in (
            self.add_button,
            self.edit_button,
            self.remove_button,
            self.up_button,
            self.down_button,
        ):
            step_buttons.addWidget(tool)
        step_buttons.addStretch(1)
        self.detail = JsonView("Select a step to see how it went.")
        steps_split = QSplitter(Qt.Orientation.Vertical)
        steps_split.addWidget(self.table)
        steps_split.addWidget(self.detail)
        steps_split.setStretchFactor(0, 3)
        steps_split.setStretchFactor(1, 1)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(step_buttons)
        right.addWidget(steps_split, 1)
        right_box = QWidget()
        right_box.setLayout(right)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_box)
        split.addWidget(right_box)
        split.setStretchFactor(0, 0)  # extra room goes to the steps
        split.setStretchFactor(1, 1)
        self.names.setMinimumWidth(120)
        left_box.setMaximumWidth(200)
        self.keep_going = QCheckBox("Keep going after a failed step")
        self.summary = QLabel()
        # A long reason is cut here and whole in the tooltip: the buttons stay.
        self.summary.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Run the steps on this page's connection")
        self.run_button.clicked.connect(self.run_scenario)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(runs.stop)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.keep_going)
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.run_button)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(close)
        column = QVBoxLayout(self)
        column.addWidget(split, 1)
        column.addLayout(bottom)

        runs.started.connect(self._started)
        runs.step_changed.connect(self._step_changed)
        runs.finished.connect(self._finished)
        runs.problem.connect(self._refused)
        scenarios.changed.connect(self._reload)
        self._reload()

    # -- the scenarios ---------------------------------------------------------------
    @property
    def current(self) -> Scenario | None:
        item = self.names.currentItem()
        name = item.text() if item is not None else None
        return next((s for s in self.scenarios.scenarios if s.name == name), None)

    def new_scenario(self, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "New scenario", "Name:")
            if not ok:
                return
        name = self._free(name.strip() or "scenario")
        self.scenarios.save_scenario(Scenario(name))
        self.select(name)

    def rename_scenario(self) -> None:
        scenario = self.current
        if scenario is None:
            return
        name, ok = QInputDialog.getText(
            self, "Rename scenario", "Name:", text=scenario.name
        )
        if ok and name.strip() and name.strip() != scenario.name:
            new = self._free(name.strip())
            self.scenarios.save_scenario(replace(scenario, name=new), scenario.name)
            self.select(new)

    def delete_scenario(self) -> None:
        scenario = self.current
        if scenario is not None:
            self.scenarios.remove_scenario(scenario.name)

    def select(self, name: str) -> None:
        for row in range(self.names.count()):
            if self.names.item(row).text() == name:
                self.names.setCurrentRow(row)

    def _free(self, name: str) -> str:
        return free_name(name, {s.name for s in self.scenarios.scenarios})

    # -- the steps -------------------------------------------------------------------
    def set_steps(self, steps: list[Step], select: int | None = None) -> None:
        scenario = self.current
        if scenario is None:
            return
        self.scenarios.save_scenario(replace(scenario, steps=tuple(steps)))
        if select is not None:
            self.table.selectRow(select)

    def add_step(self, kind: StepKind) -> None:
        scenario = self.current
        if scenario is None:
            self.new_scenario("scenario")
            scenario = self.current
        editor = self._editor(None)
        editor.kind.setCurrentIndex(editor.kind.findData(str(kind)))
        if editor.exec() == QDialog.DialogCode.Accepted and scenario is not None:
            built = editor.step()
            if not isinstance(built, str):
                self.set_steps([*self.current_steps(), built], len(scenario.steps))

    def edit_step(self) -> None:
        rows = self.table.selected_rows()
        steps = self.current_steps()
        if not rows or rows[0] >= len(steps):
            return
        editor = self._editor(steps[rows[0]])
        if editor.exec() == QDialog.DialogCode.Accepted:
            built = editor.step()
            if not isinstance(built, str):
                steps[rows[0]] = built
                self.set_steps(steps, rows[0])

    def remove_step(self) -> None:
        rows = self.table.selected_rows()
        steps = self.current_steps()
        if rows and rows[0] < len(steps):
            del steps[rows[0]]
            self.set_steps(steps, min(rows[0], len(steps) - 1) if steps else None)

    def move_step(self, by: int) -> None:
        rows = self.table.selected_rows()
        steps = self.current_steps()
        if not rows or not 0 <= rows[0] + by < len(steps):
            return
        at = rows[0]
        steps[at], steps[at + by] = steps[at + by], steps[at]
        self.set_steps(steps, at + by)

    def current_steps(self) -> list[Step]:
        scenario = self.current
        return list(scenario.steps) if scenario is not None else []

    def _editor(self, step: Step | None) -> StepEditor:
        names = [c.name for c in self.scenarios.saved_calls]
        return StepEditor(step, names, self)

    # -- running ---------------------------------------------------------------------
    def run_scenario(self) -> ScenarioRun | None:
        scenario = self.current
        if scenario is None:
            return None
        return self.runs.run(scenario, keep_going=self.keep_going.isChecked())

    def _started(self, run: ScenarioRun) -> None:
        if run.scenario.name != getattr(self.current, "name", None):
            self.select(run.scenario.name)
        self.model.start_run(run)
        self.summary.setText(f"Running \u201c{run.scenario.name}\u201d\u2026")
        self._sync()

    def _step_changed(self, outcome: StepOutcome) -> None:
        self.model.show_outcome(outcome)
        if outcome.state is StepState.STARTED:
            self.table.scrollTo(self.model.index(outcome.index, 0))
        rows = self.table.selected_rows()
        if rows and rows[0] == outcome.index:
            self._show_outcome(outcome.index)

    def _refused(self, _title: str, why: str) -> None:
        """A scenario that cannot run says why here too (the page's banner is behind)."""
        self._show_summary(f"\u2717 {why}", ok=False)
        self.summary.setToolTip(why)

    def _show_summary(self, text: str, *, ok: bool) -> None:
        self.summary.setText(text)
        self.summary.setObjectName("validOk" if ok else "validBad")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    def _finished(self, ok: bool) -> None:
        counts = {state: 0 for state in StepState}
        for row in range(self.model.rowCount()):
            outcome = self.model.outcome(row)
            if outcome is not None:
                counts[outcome.state] += 1
        words = f"{counts[StepState.PASSED]} passed"
        if counts[StepState.FAILED]:
            words += f", {counts[StepState.FAILED]} failed"
        if counts[StepState.SKIPPED]:
            words += f", {counts[StepState.SKIPPED]} skipped"
        self._show_summary(("\u2713 " if ok else "\u2717 ") + words, ok=ok)
        self._sync()

    # -- keeping in step ---------------------------------------------------------------
    def _reload(self) -> None:
        chosen = getattr(self.current, "name", None)
        self.names.blockSignals(True)
        self.names.clear()
        for scenario in self.scenarios.scenarios:
            self.names.addItem(scenario.name)
        self.names.blockSignals(False)
        if chosen is not None:
            self.select(chosen)
        if self.names.currentItem() is None and self.names.count():
            self.names.setCurrentRow(0)
        self._chosen()

    def _chosen(self, *_: object) -> None:
        if not self.runs.running:
            self.model.set_steps(self.current_steps())
            self.summary.setText("")
        self._sync()

    def _selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selected_rows()
        if rows:
            self._show_outcome(rows[0])
        else:
            self.detail.clear()

    def _show_outcome(self, row: int) -> None:
        outcome = self.model.outcome(row)
        if outcome is None:
            self.detail.show_text("// not run yet")
            return
        parts = [f"// step {row + 1}: {outcome.state}", f"// {outcome.detail}"]
        if outcome.value is not None:
            parts.append(ejson.stringify(outcome.value))
        if outcome.diff:
            parts += ["", *outcome.diff]
        self.detail.show_text("\n".join(parts))

    def _sync(self) -> None:
        running = self.runs.running
        has = self.current is not None
        self.run_button.setEnabled(has and not running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.add_button,
            self.edit_button,
            self.remove_button,
            self.up_button,
            self.down_button,
            self.names,
            self.new_button,
            self.rename_button,
            self.delete_button,
        ):
            widget.setEnabled(not running)
        for widget in (self.rename_button, self.delete_button):
            widget.setEnabled(has and not running)
