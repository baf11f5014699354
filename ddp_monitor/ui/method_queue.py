"""The Methods tab: the call queue and a console that calls any method.

Owns ``MethodQueuePanel``; imports QtWidgets/QtCore, ``qt.method_model`` and
the panel parts in ``ui``. The console checks the EJSON parameters as they are
typed and refuses to send until they are valid (issue 4 item 4), and offers
Meteor's ``wait`` and ``noRetry``. The table sorts by any column and filters
(the model does both); a past call runs again on a double-click, or is put
back in the console to edit (context menu). The detail pane follows the
selected call: parameters, the result or the whole error as the server sent
it, and where Meteor's rules explain its timing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp import ejson
from ddp_monitor.qt.message_log_model import pretty
from ddp_monitor.qt.method_model import MethodQueueModel, MethodRecord, timing_notes
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.params_field import ParamsField
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
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.wait)
        options.addWidget(self.no_retry)
        options.addStretch(1)
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
        console.addWidget(self.params.status_label, 1, 2, 1, 2)
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

    def _call_again(self, index: QModelIndex) -> None:
        self.call_again(self.model.record(index.row()))

    def _row_menu(self, at: QPoint) -> None:
        index = self.table.indexAt(at)
        if not index.isValid() or self._call is None:
            return
        record = self.model.record(index.row())
        menu = QMenu(self)
        menu.addAction(f"Call {record.name} again", lambda: self.call_again(record))
        menu.addAction("Edit, then call...", lambda: self.edit_call(record))
        menu.exec(self.table.viewport().mapToGlobal(at))

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
