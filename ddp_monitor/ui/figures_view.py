"""The Figures tab: per method name and per publication name, how many and how long.

Owns ``FiguresPanel``; imports QtWidgets/QtCore, ``qt.figures_model`` and the
panel parts in ``ui``. Two sortable tables one above the other (methods, then
subscriptions) under one filter; choosing a row names it to the model
(``FiguresModel.select``), whose ``selected_name_changed`` the timeline
follows. A line under the filter says how the times are measured.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from ddp_monitor.qt.figures_model import METHOD, SUBSCRIPTION, FiguresModel
from ddp_monitor.qt.ordered_table import OrderedTableModel
from ddp_monitor.recording.figures import SAMPLES
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["FiguresPanel"]

_LEAST = 60  # pixels: a table's header and two rows

_HOW = (
    "Times run from a call's frame going out (its last send, after a reconnect) "
    "to its result, and to <i>updated</i> (Meteor's callback); a subscription's "
    f"from its <i>sub</i> to <i>ready</i>. Percentiles over the last {SAMPLES:,} "
    "per name."
)


class FiguresPanel(QWidget):
    """Methods above subscriptions, in a remembered splitter, one filter over both."""

    def __init__(self, model: FiguresModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.filter = FilterField("Filter methods and publications by name (Ctrl+F)")
        self.filter.filter_changed.connect(model.set_filter_text)
        self.how = QLabel(_HOW)
        self.how.setObjectName("hintLabel")
        self.how.setWordWrap(True)
        self.how.setTextFormat(Qt.TextFormat.RichText)
        self.method_table = self._table(
            "methodFiguresTable",
            model.methods,
            "No calls yet: call a method in the Methods tab (Ctrl+1).",
            METHOD,
        )
        self.method_table.set_column_widths(120, 48, 52, 62, *[90] * 5)
        self.subscription_table = self._table(
            "subscriptionFiguresTable",
            model.subscriptions,
            "No subscriptions yet: subscribe in the Subscriptions tab (Ctrl+2).",
            SUBSCRIPTION,
        )
        self.subscription_table.set_column_widths(120, 48, 52, 52, 90, 90)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("figuresSplitter")
        self.splitter.addWidget(self.method_table)
        self.splitter.addWidget(self.subscription_table)
        self.splitter.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.how)
        layout.addWidget(self.splitter, 1)

    def tables(self) -> list[DenseTable]:
        return [self.method_table, self.subscription_table]

    def _table(
        self, name: str, model: OrderedTableModel, empty: str, kind: str
    ) -> DenseTable:
        table = DenseTable(name, empty)
        table.show_sorted(model)
        table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        table.setMinimumHeight(_LEAST)  # the window fits a 1024x640 screen
        table.selectionModel().selectionChanged.connect(
            lambda *_: self._selected(table, kind)
        )
        return table

    def _selected(self, table: DenseTable, kind: str) -> None:
        keys = table.selected_keys()
        if keys:
            other = (
                self.subscription_table
                if table is self.method_table
                else self.method_table
            )
            other.clearSelection()  # one name at a time on the timeline
            self.model.select(kind, keys[0])
        elif not any(t.selected_keys() for t in self.tables()):
            self.model.select("", "")
