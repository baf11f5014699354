"""Scenarios run on a page's connection, and their steps as a table.

Owns ``ScenarioRunAdaptor`` (runs one scenario at a time over a
``ClientAdaptor``: its calls and subscriptions show in the page's panels as
any other) and ``ScenarioStepsModel`` (a scenario's steps with each one's
state, time and outcome); imports asyncio, QtCore/QtGui, ``scenarios``
(sequence, runner), ``steps``, ``qt.client_adaptor`` and
``qt.profile_scenarios``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.profile_scenarios import ProfileScenarios
from ddp_monitor.scenarios.runner import ScenarioRunner, profile_credentials
from ddp_monitor.scenarios.sequence import (
    ScenarioError,
    ScenarioRun,
    StepOutcome,
    StepState,
)
from ddp_monitor.steps import Scenario, Step, describe

__all__ = ["OUTCOME_ROLE", "ScenarioRunAdaptor", "ScenarioStepsModel"]

#: ``data(index, OUTCOME_ROLE)``: the row's ``StepOutcome`` (None before a run).
OUTCOME_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class ScenarioRunAdaptor(QObject):
    """Runs scenarios of ``scenarios``' profile on ``adaptor``'s connection.

    Signals:
        started(object): the ``ScenarioRun`` begun.
        step_changed(object): a ``StepOutcome`` (started, passed, failed, skipped).
        finished(bool): every step passed.
        problem(str, str): a title and a sentence (a scenario that cannot run).
    """

    started = Signal(object)
    step_changed = Signal(object)
    finished = Signal(bool)
    problem = Signal(str, str)

    def __init__(
        self,
        adaptor: ClientAdaptor,
        scenarios: ProfileScenarios,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.adaptor = adaptor
        self.scenarios = scenarios
        self._task: asyncio.Task[bool] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def run(
        self, scenario: Scenario, *, keep_going: bool = False
    ) -> ScenarioRun | None:
        """Start ``scenario``; None (and ``problem``) when it cannot run or one runs."""
        profile = self.scenarios.profile
        if self.running or profile is None:
            return None
        try:
            run = ScenarioRun(scenario, profile.saved_calls, keep_going=keep_going)
        except ScenarioError as exc:
            self.problem.emit("The scenario cannot run", f"{exc}.")
            return None
        runner = ScenarioRunner(
            run,
            self.adaptor,
            credentials=profile_credentials(profile, self.scenarios.secrets),
            on_outcome=self.step_changed.emit,
        )
        task = self._task = asyncio.ensure_future(runner.run())
        self.started.emit(run)  # running now, for whoever asks

        def done(_: object) -> None:
            if task.cancelled():
                self.finished.emit(False)
            elif task.exception() is not None:
                task.result()  # a bug: let the app's handler show it
            else:
                self.finished.emit(task.result())

        task.add_done_callback(done)
        return run

    def stop(self) -> None:
        """Stop the run: the step under way fails ("stopped"), the rest are skipped."""
        if self._task is not None:
            self._task.cancel()

    async def close(self) -> None:
        """Stop the run and wait until it has said so (before its page goes)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# The status badge's colours (UX.md): passed as connected, failed as failed,
# under way as connecting; the word is always there too.
_STATE_COLOURS = {
    StepState.PASSED: "#2e9d4f",
    StepState.FAILED: "#d2383f",
    StepState.STARTED: "#2f7fd8",
}
_HEADERS = ("#", "Step", "State", "Time", "Outcome")


class ScenarioStepsModel(QAbstractTableModel):
    """One row per step: what it does, and how the last run of it went."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: list[Step] = []
        self._outcomes: list[StepOutcome | None] = []

    @property
    def steps(self) -> list[Step]:
        return list(self._steps)

    def set_steps(self, steps: Sequence[Step]) -> None:
        """Show ``steps``; outcomes are forgotten (they were of other steps)."""
        self.beginResetModel()
        self._steps = list(steps)
        self._outcomes = [None] * len(self._steps)
        self.endResetModel()

    def start_run(self, run: ScenarioRun) -> None:
        """A run began: its steps (saved calls written out) with no outcome yet."""
        self.set_steps(run.steps)

    def show_outcome(self, outcome: StepOutcome) -> None:
        if not 0 <= outcome.index < len(self._outcomes):
            return
        self._outcomes[outcome.index] = outcome
        self.dataChanged.emit(
            self.index(outcome.index, 0), self.index(outcome.index, len(_HEADERS) - 1)
        )

    def outcome(self, row: int) -> StepOutcome | None:
        return self._outcomes[row] if 0 <= row < len(self._outcomes) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._steps)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return _HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._steps):
            return None
        row, column = index.row(), index.column()
        outcome = self._outcomes[row]
        if role == OUTCOME_ROLE:
            return outcome
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column, outcome)
        if role == Qt.ItemDataRole.ToolTipRole and column >= 1:
            text = self._text(row, column, outcome)
            if outcome is not None and outcome.diff and column == 4:
                text += "\n" + "\n".join(outcome.diff)
            return text
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and outcome:
            colour = _STATE_COLOURS.get(outcome.state)
            return QColor(colour) if colour else None
        return None

    def _text(self, row: int, column: int, outcome: StepOutcome | None) -> str:
        if column == 0:
            return str(row + 1)
        if column == 1:
            return describe(self._steps[row])
        if outcome is None:
            return ""
        if column == 2:
            return str(outcome.state)
        if column == 3:
            duration = outcome.duration
            return "" if duration is None else f"{duration * 1000:.0f} ms"
        return outcome.detail
