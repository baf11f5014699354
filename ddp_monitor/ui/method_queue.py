"""The Methods tab: the call queue and a console that calls any method.

Owns ``MethodQueuePanel``; imports QtWidgets/QtCore, ``qt.method_model``,
the open profile's calls and scenarios (``qt.profile_scenarios``,
``qt.scenario_runs``) and the panel parts in ``ui``. The console checks the EJSON parameters as they are
typed and refuses to send until they are valid (issue 4 item 4), and offers
Meteor's ``wait`` and ``noRetry``. The table sorts by any column and filters
(the model does both); a past call runs again on a double-click, or is put
back in the console to edit (context menu). The detail pane follows the
selected call: parameters, the result or the whole error as the server sent
it, and where Meteor's rules explain its timing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp import ejson
from ddp_monitor.qt.message_log_model import pretty
from ddp_monitor.qt.method_model import MethodQueueModel, MethodRecord, timing_notes
from ddp_monitor.qt.profile_scenarios import ProfileScenarios
from ddp_monitor.qt.scenario_runs import ScenarioRunAdaptor
from ddp_monitor.steps import SavedCall
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.params_field import ParamsField
from ddp_monitor.ui.scenarios_dialog import ScenariosDialog
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["MethodQueuePanel", "form_label"]

#: ``call(name, params, wait=..., no_retry=...)`` (``ClientAdaptor.call``)
Caller = Callable[..., object]


class MethodQueuePanel(QWidget):
    """Calls above, the selected call's details beside them, the console below."""

    def __init__(
        self,
        model: MethodQueueModel,
        call: Caller | None,
        method_names: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._call = call
        self.table = DenseTable(
            "methodTable",
            "No calls yet: type a method name and its parameters below and press Call.",
            follow_tail=True,
        )
        self.table.show_sorted(model)
        self.table.set_column_widths(44, 120, 170, 130, 70, 70)
        self.filter = FilterField(
            "Filter calls by method, parameters, state or result (Ctrl+F)"
        )
        self.filter.filter_changed.connect(model.set_filter_text)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(self._call_again)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)
        self.table.setToolTip("Double-click a call to make it again")
        self.detail = JsonView("Select a call to see its parameters and result.")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("methodSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        self.name = QLineEdit()
        self.name.setPlaceholderText("method name")
        self.name.setCompleter(QCompleter(list(method_names)))
        self.name.returnPressed.connect(self.submit)
        self.params = ParamsField('parameters as a JSON array, e.g. ["buy milk"]')
        self.params.submitted.connect(self.submit)
        self.call_button = QPushButton("Call")
        self.call_button.setToolTip("Send the call (Ctrl+Enter in the parameters)")
        self.call_button.clicked.connect(self.submit)
        self.params.validity_changed.connect(self.call_button.setEnabled)
        self.wait = QCheckBox("wait")
        self.wait.setToolTip(
            "Meteor.apply's wait: sent alone once earlier calls are done; "
            "later calls wait for it"
        )
        self.no_retry = QCheckBox("noRetry")
        self.no_retry.setToolTip(
            "Meteor.apply's noRetry: fails instead of being sent again when the "
            "connection drops before its result"
        )
        self.saved_button = QToolButton()
        self.saved_button.setText("Saved calls")
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_menu = QMenu(self.saved_button)
        self.saved_button.setMenu(self.saved_menu)
        self.save_button = QPushButton("Save call\u2026")
        self.save_button.clicked.connect(self.save_form_call)
        self.scenarios_button = QPushButton("Scenarios\u2026")
        self.scenarios_button.clicked.connect(self.open_scenarios)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.wait)
        options.addWidget(self.no_retry)
        options.addStretch(1)
        # The verdict on the parameters, then what a profile keeps: one row,
        # so the console is no taller than before (the window fits 1024x640).
        kept = QHBoxLayout()
        kept.setContentsMargins(0, 0, 0, 0)
        kept.addWidget(self.params.status_label, 1)
        for button in (self.saved_button, self.save_button, self.scenarios_button):
            kept.addWidget(button)
        self.profile_scenarios: ProfileScenarios | None = None
        self.runs: ScenarioRunAdaptor | None = None
        self.dialog: ScenariosDialog | None = None  # made when first opened
        self._show_saved()
        # None: a recording's calls, read only (no console, no calling again).
        self.console = QWidget()
        console = QGridLayout(self.console)
        console.setContentsMargins(0, 4, 0, 0)
        console.addWidget(
            form_label("Call", self.name), 0, 0, Qt.AlignmentFlag.AlignTop
        )
        console.addWidget(self.name, 0, 1, Qt.AlignmentFlag.AlignTop)
        console.addWidget(self.params, 0, 2)
        console.addWidget(self.call_button, 0, 3, Qt.AlignmentFlag.AlignTop)
        console.addLayout(options, 1, 1)
        console.addLayout(kept, 1, 2, 1, 2)
        console.setColumnStretch(1, 1)
        console.setColumnStretch(2, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.console)
        # Hidden once in the layout, never shown by hand: a widget shown before
        # it has a parent opens as a window of its own (and takes the focus).
        if call is None:
            self.console.hide()
            self.table.empty_text = "No calls at this moment of the recording."
            self.table.setToolTip("")

    def submit(self) -> None:
        """Call the typed method with the typed parameters (when both are valid)."""
        name = self.name.text().strip()
        if not name:
            self.params.status_label.setText("\u2717 Type a method name first.")
            self.name.setFocus()
            return
        if not self.params.valid:
            self.params.setFocus()
            return
        if self._call is None:
            return
        self._call(
            name,
            self.params.params,
            wait=self.wait.isChecked(),
            no_retry=self.no_retry.isChecked(),
        )

    def call_again(self, record: MethodRecord) -> None:
        """The same method, parameters and options, as a new call."""
        if self._call is None:
            return
        self._call(
            record.name, list(record.params), wait=record.wait, no_retry=record.no_retry
        )

    def edit_call(self, record: MethodRecord) -> None:
        """Put a past call in the console, to change and send."""
        self.name.setText(record.name)
        self.params.setPlainText(ejson.stringify(list(record.params)))
        self.wait.setChecked(record.wait)
        self.no_retry.setChecked(record.no_retry)
        self.params.setFocus()

    # -- saved calls and scenarios (a profile's page) ------------------------------------
    def set_profile(
        self, scenarios: ProfileScenarios | None, runs: ScenarioRunAdaptor | None
    ) -> None:
        """The open profile's calls and scenarios (None: a page with no profile)."""
        self.profile_scenarios, self.runs = scenarios, runs
        if scenarios is not None:
            scenarios.changed.connect(self._show_saved)
        self._show_saved()

    def save_form_call(self) -> None:
        """ "Save call\u2026" beside Call: the console's method, parameters and options."""
        name = self.name.text().strip()
        if not name:
            self.params.status_label.setText("\u2717 Type a method name first.")
            return
        if not self.params.valid:
            return
        self.save_call(
            name, self.params.params, self.wait.isChecked(), self.no_retry.isChecked()
        )

    def save_call(
        self, method: str, params: Sequence[Any], wait: bool, no_retry: bool
    ) -> SavedCall | None:
        """Ask for a name, then keep the call in the profile; returns it when kept."""
        scenarios = self.profile_scenarios
        if scenarios is None:
            return None
        name, ok = QInputDialog.getText(
            self, "Save call", f"Name for this call of {method}:", text=method
        )
        if not ok or not name.strip():
            return None
        call = SavedCall(name.strip(), method, tuple(params), wait, no_retry)
        why_not = scenarios.save_call(call)
        if why_not is not None:
            self.params.status_label.setText(f"\u2717 Not saved. {why_not}")
            return None
        self.params.status_label.setText(f"\u2713 Saved as \u201c{call.name}\u201d.")
        return call

    def call_saved(self, call: SavedCall) -> None:
        """One click in Saved calls: make the call as it was saved."""
        if self._call is None:
            return
        self._call(
            call.method, list(call.params), wait=call.wait, no_retry=call.no_retry
        )

    def open_scenarios(self) -> None:
        if self.profile_scenarios is None or self.runs is None:
            return
        if self.dialog is None:
            self.dialog = ScenariosDialog(self.profile_scenarios, self.runs, self)
        self.dialog.show()
        self.dialog.raise_()

    def _show_saved(self) -> None:
        scenarios = self.profile_scenarios
        calls = scenarios.saved_calls if scenarios is not None else []
        self.saved_menu.clear()
        for call in calls:
            action = self.saved_menu.addAction(
                f"{call.name}  \u2014  {call.method}", partial(self.call_saved, call)
            )
            action.setToolTip(ejson.stringify(list(call.params)))
        if calls and scenarios is not None:
            self.saved_menu.addSeparator()
            forget = self.saved_menu.addMenu("Forget")
            for call in calls:
                forget.addAction(call.name, partial(scenarios.remove_call, call.name))
        self.saved_button.setEnabled(bool(calls))
        no_profile = "Open a saved profile to keep calls and scenarios in it"
        for button, tip in (
            (self.saved_button, "Make a call saved in this profile"),
            (self.save_button, "Keep the call above in this profile, by a name"),
            (self.scenarios_button, "This profile's scenarios: edit and run them here"),
        ):
            button.setToolTip(tip if scenarios is not None else no_profile)
        self.save_button.setEnabled(scenarios is not None)
        self.scenarios_button.setEnabled(scenarios is not None)

    def _call_again(self, index: QModelIndex) -> None:
        self.call_again(self.model.record(index.row()))

    def _row_menu(self, at: QPoint) -> None:
        index = self.table.indexAt(at)
        if index.isValid() and self._call is not None:
            menu = self.row_menu(self.model.record(index.row()))
            menu.exec(self.table.viewport().mapToGlobal(at))

    def row_menu(self, record: MethodRecord) -> QMenu:
        """A past call's context menu: again, edit, save."""
        menu = QMenu(self)
        menu.addAction(f"Call {record.name} again", lambda: self.call_again(record))
        menu.addAction("Edit, then call...", lambda: self.edit_call(record))
        save = menu.addAction(
            "Save call\u2026",
            lambda: self.save_call(
                record.name, list(record.params), record.wait, record.no_retry
            ),
        )
        save.setEnabled(self.profile_scenarios is not None)
        return menu

    def _selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selected_rows()
        if not rows:
            self.detail.clear()
            return
        record = self.model.record(rows[0])
        parts = [
            f"// {record.name}  (id {record.method_id}, {record.state.value})",
            "params:",
            pretty(ejson.stringify(list(record.params))),
        ]
        if record.error is not None:
            parts += [f"error: {record.error}"]
            if record.error_object is not None:  # details, errorType, isClientSafe
                parts += [pretty(ejson.stringify(record.error_object))]
        elif record.result is not None or record.done_at is not None:
            parts += ["result:", pretty(ejson.stringify(record.result))]
        names = {r.method_id: r.name for r in self.model.rows()}
        notes = timing_notes(record, names)
        if notes:
            parts += ["", "// timing"] + [f"// {note}" for note in notes]
        self.detail.show_text("\n".join(parts))


def form_label(text: str, beside: QWidget) -> QLabel:
    """A form's leading word, on the same line as the field ``beside`` it."""
    label = QLabel(text)
    label.setFixedHeight(beside.sizeHint().height())
    label.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
    return label
