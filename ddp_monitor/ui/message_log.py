"""The Messages tab: every frame in and out, filterable, with pretty JSON of the selected one.

Owns ``MessageLogPanel``; imports QtWidgets/QtGui/QtCore, ``qt.message_log_model``,
``ui.filter_field`` and ``ui.table_view``. Export writes the shown frames as JSON Lines; pause
freezes the rows (frames are still kept); clear forgets them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.message_log_model import MessageLogModel, pretty
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["MessageLogPanel"]

_NO_FRAMES = "No frames yet: they appear as the connection talks."
_NO_MATCH = "No kept frame matches the filter and the chosen types."


class MessageLogPanel(QWidget):
    """Toolbar (filter, types, pause, clear, export, counters), table, detail pane.

    Signals:
        exported(str, int): the path written and how many frames it holds.
        export_failed(str): why the export could not be written.
    """

    exported = Signal(str, int)
    export_failed = Signal(str)

    def __init__(
        self,
        model: MessageLogModel,
        pause: QAction,
        clear: QAction,
        export: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.filter = FilterField("Filter frames by text (Ctrl+F)")
        self.filter.filter_changed.connect(self._text_filter)
        self.types_button = QToolButton()
        self.types_button.setText("All types")
        self.types_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.types_menu = QMenu(self)
        self.types_menu.aboutToShow.connect(self._fill_types)
        self.types_button.setMenu(self.types_menu)
        self._kinds: set[str] | None = None
        self.counts = QLabel()
        self.counts.setObjectName("hintLabel")
        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.addWidget(self.filter, 2)
        toolbar.addWidget(self.types_button)
        for action in (pause, clear, export):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.counts)
        self.table = DenseTable("messageTable", _NO_FRAMES, follow_tail=True)
        self.table.setModel(model)
        self.table.set_column_widths(96, 58, 80, 56)
        self.table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = JsonView("Select a frame to see it as indented JSON.")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("messageSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(toolbar)
        layout.addWidget(self.splitter, 1)
        model.counts_changed.connect(self._show_counts)
        self._show_counts()

    def set_kinds(self, kinds: set[str] | None) -> None:
        """Show only these message types (None: every type)."""
        self._kinds = kinds
        if kinds is None:
            self.types_button.setText("All types")
        else:
            self.types_button.setText(", ".join(sorted(kinds)) or "No types")
        self.apply_filter()

    def apply_filter(self) -> None:
        """Filter by the chosen types and the typed text now."""
        self.filter.apply()

    def _text_filter(self, text: str) -> None:
        self.model.set_filter(self._kinds, text)
        self._show_counts()

    def export_to(self, path: Path) -> None:
        try:
            written = self.model.export(path)
        except OSError as exc:
            self.export_failed.emit(f"Could not write {path}: {exc.strerror or exc}")
        else:
            self.exported.emit(str(path), written)

    def ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export frames as JSON Lines",
            "ddp-frames.jsonl",
            "JSON Lines (*.jsonl)",
        )
        if name:
            self.export_to(Path(name))

    def _fill_types(self) -> None:
        self.types_menu.clear()
        every = self.types_menu.addAction("All types")
        every.triggered.connect(lambda: self.set_kinds(None))
        self.types_menu.addSeparator()
        for kind in self.model.kinds_seen():
            action = self.types_menu.addAction(kind)
            action.setCheckable(True)
            action.setChecked(self._kinds is not None and kind in self._kinds)
            action.toggled.connect(lambda on, k=kind: self._toggle_kind(k, on))

    def _toggle_kind(self, kind: str, on: bool) -> None:
        kinds = set(self._kinds or ())
        if on:
            kinds.add(kind)
        else:
            kinds.discard(kind)
        self.set_kinds(kinds or None)

    def _show_counts(self) -> None:
        model = self.model
        parts = [f"{model.rowCount():,} shown", f"{model.total:,} kept"]
        parts.append(f"{model.dropped:,} dropped (limit {model.limit:,})")
        if model.paused:
            parts.insert(0, f"PAUSED, {model.held:,} new")
        self.counts.setText("  \u00b7  ".join(parts))
        # Kept frames all filtered out is not "no frames yet".
        self.table.empty_text = _NO_MATCH if model.total else _NO_FRAMES

    def _selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.detail.clear()
            return
        entry = self.model.entry(rows[0].row())
        when = self.model.wall_time(entry).astimezone().strftime("%H:%M:%S.%f")[:-3]
        arrow = "received" if entry.frame.direction.value == "in" else "sent"
        header = (
            f"// {entry.kind}, {arrow} at {when}, {len(entry.frame.data):,} bytes\n"
        )
        self.detail.show_text(header + pretty(entry.frame.data))
