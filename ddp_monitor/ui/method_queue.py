"""The Methods tab: the call queue and a console that calls any method.

Owns ``MethodQueuePanel``; imports QtWidgets/QtCore, ``qt.method_model`` and
the panel parts in ``ui``. The console checks the EJSON parameters as they are
typed and refuses to send until they are valid (issue 4 item 4). The table
sorts by any column and filters (the model does both); the detail pane
follows the selected call wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp import ejson
from ddp_monitor.qt.message_log_model import pretty
from ddp_monitor.qt.method_model import MethodQueueModel
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.params_field import ParamsField
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["MethodQueuePanel", "form_label"]

Caller = Callable[[str, Sequence[Any]], object]


class MethodQueuePanel(QWidget):
    """Calls above, the selected call's details beside them, the console below."""

    def __init__(
        self,
        model: MethodQueueModel,
        call: Caller,
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
        console = QGridLayout()
        console.setContentsMargins(0, 4, 0, 0)
        console.addWidget(
            form_label("Call", self.name), 0, 0, Qt.AlignmentFlag.AlignTop
        )
        console.addWidget(self.name, 0, 1, Qt.AlignmentFlag.AlignTop)
        console.addWidget(self.params, 0, 2)
        console.addWidget(self.call_button, 0, 3, Qt.AlignmentFlag.AlignTop)
        console.addWidget(self.params.status_label, 1, 2, 1, 2)
        console.setColumnStretch(1, 1)
        console.setColumnStretch(2, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(console)

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
        self._call(name, self.params.params)

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
            parts += ["error:", record.error]
        elif record.result is not None or record.done_at is not None:
            parts += ["result:", pretty(ejson.stringify(record.result))]
        self.detail.show_text("\n".join(parts))


def form_label(text: str, beside: QWidget) -> QLabel:
    """A form's leading word, on the same line as the field ``beside`` it."""
    label = QLabel(text)
    label.setFixedHeight(beside.sizeHint().height())
    label.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
    return label
