"""The Subscriptions tab: subscribe to any publication, watch it get ready, stop it.

Owns ``SubscriptionsPanel``; imports QtWidgets/QtCore, ``qt.subscription_model``
and the panel parts in ``ui``. The model sorts and filters its own rows; Stop
acts on the records of the selected rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCompleter,
    QGridLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.subscription_model import SubscriptionModel, SubscriptionState
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.method_queue import form_label
from ddp_monitor.ui.params_field import ParamsField
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["SubscriptionsPanel"]


class SubscriptionsPanel(QWidget):
    """The subscribe form above the table; Stop ends the selected subscriptions."""

    def __init__(
        self,
        model: SubscriptionModel,
        subscribe: Callable[[str, Sequence[Any]], object] | None,
        stop: Callable[[str], None] | None,
        publication_names: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._subscribe = subscribe
        self._stop = stop
        self.name = QLineEdit()
        self.name.setPlaceholderText("publication name")
        self.name.setCompleter(QCompleter(list(publication_names)))
        self.name.returnPressed.connect(self.submit)
        self.params = ParamsField("parameters as a JSON array, e.g. [100]")
        self.params.submitted.connect(self.submit)
        self.subscribe_button = QPushButton("Subscribe")
        self.subscribe_button.clicked.connect(self.submit)
        self.params.validity_changed.connect(self.subscribe_button.setEnabled)
        self.stop_button = QPushButton("Stop selected")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_selected)
        # None: a recording's subscriptions, read only (no form).
        self.form = QWidget()
        form = QGridLayout(self.form)
        form.setContentsMargins(0, 0, 0, 4)
        form.addWidget(
            form_label("Subscribe", self.name), 0, 0, Qt.AlignmentFlag.AlignTop
        )
        form.addWidget(self.name, 0, 1, Qt.AlignmentFlag.AlignTop)
        form.addWidget(self.params, 0, 2)
        form.addWidget(self.subscribe_button, 0, 3, Qt.AlignmentFlag.AlignTop)
        form.addWidget(self.stop_button, 0, 4, Qt.AlignmentFlag.AlignTop)
        form.addWidget(self.params.status_label, 1, 2, 1, 3)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(2, 3)
        self.table = DenseTable(
            "subscriptionTable",
            "No subscriptions yet: type a publication name and press Subscribe.",
        )
        self.table.show_sorted(model)
        self.table.set_column_widths(140, 200, 170, 170, 110)
        self.filter = FilterField(
            "Filter subscriptions by name, parameters, id or state (Ctrl+F)"
        )
        self.filter.filter_changed.connect(model.set_filter_text)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        model.dataChanged.connect(self._selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.form)
        if subscribe is None:
            self.form.hide()
            self.table.empty_text = "No subscriptions at this moment of the recording."
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)

    def submit(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.params.status_label.setText("\u2717 Type a publication name first.")
            self.name.setFocus()
            return
        if self.params.valid and self._subscribe is not None:
            self._subscribe(name, self.params.params)

    def stop_selected(self) -> None:
        if self._stop is None:
            return
        for sub_id in self._selected_live():
            self._stop(sub_id)

    def _selected_live(self) -> list[str]:
        live = (SubscriptionState.WAITING, SubscriptionState.READY)
        records = [self.model.record(row) for row in self.table.selected_rows()]
        return [r.sub_id for r in records if r.state in live]

    def _selection(self, *_: object) -> None:
        self.stop_button.setEnabled(bool(self._selected_live()))
