"""The Messages tab: every frame in and out and the connection's events, filterable, with pretty JSON of the selected one.

Owns ``MessageLogPanel``; imports QtWidgets/QtGui/QtCore, ``qt.message_log_model``,
``ui.filter_field`` and ``ui.table_view``. The types menu stays open while
types are ticked and offers presets; a selected ``method`` frame shows its
``result`` and ``updated`` below it. Export writes the shown rows (or every
kept one) as JSON Lines; pause freezes the rows (frames are still kept);
clear forgets them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QAction, QMouseEvent
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

from ddp_monitor.qt.message_log_model import (
    EVENT_KINDS,
    LogEntry,
    MessageLogModel,
    pretty,
)
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["MessageLogPanel"]

_NO_FRAMES = "No frames yet: they appear as the connection talks."
_NO_MATCH = "No kept frame matches the filter and the chosen types."

_DATA = {"added", "changed", "removed", "ready", "nosub", "addedBefore", "movedBefore"}
#: (menu words, types shown (None: all), types hidden)
PRESETS: list[tuple[str, set[str] | None, set[str]]] = [
    ("All types", None, set()),
    ("Hide heartbeats (ping, pong)", None, {"ping", "pong"}),
    ("Only methods (method, result, updated)", {"method", "result", "updated"}, set()),
    ("Only data (added, changed, removed, ready...)", _DATA, set()),
    ("Only the connection's events", set(EVENT_KINDS), set()),
]


class _StayOpenMenu(QMenu):
    """Ticking a type keeps the menu open: picking three types is one opening."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.activeAction()
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)


class MessageLogPanel(QWidget):
    """Toolbar (filter, types, pause, clear, export, counters), table, detail pane.

    Signals:
        exported(str): a sentence saying what was written where.
        export_failed(str): why the export could not be written.
    """

    exported = Signal(str)
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
        self.types_menu = _StayOpenMenu(self)
        self.types_menu.aboutToShow.connect(self._fill_types)
        self.types_button.setMenu(self.types_menu)
        self._kinds: set[str] | None = None
        self._hidden: set[str] = set()
        self.counts = QLabel()
        self.counts.setObjectName("hintLabel")
        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.addWidget(self.filter, 2)
        toolbar.addWidget(self.types_button)
        self.export_all = QAction("Export every kept row...", self)
        self.export_all.triggered.connect(lambda: self.ask_export(shown=False))
        for action in (pause, clear, export):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            if action is export:
                menu = QMenu(button)
                menu.addAction(export)
                menu.addAction(self.export_all)
                button.setMenu(menu)
                button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.counts)
        self.table = DenseTable("messageTable", _NO_FRAMES, follow_tail=True)
        self.table.setModel(model)
        self.table.set_column_widths(96, 58, 80, 56)
        self.table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = JsonView(
            "Select a frame to see it as indented JSON (a method's answers too)."
        )
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
        model.modelReset.connect(self.detail.clear)  # cleared, or filtered anew
        self._show_counts()

    def set_kinds(self, kinds: set[str] | None, hidden: set[str] | None = None) -> None:
        """Show only these message types (None: every type) but the ``hidden`` ones."""
        self._kinds = kinds
        self._hidden = set(hidden or ())
        preset = next(
            (words for words, k, h in PRESETS if k == kinds and h == self._hidden), None
        )
        if preset is not None:
            self.types_button.setText(preset.split(" (")[0])
        elif kinds is None:
            self.types_button.setText("All but " + ", ".join(sorted(self._hidden)))
        else:
            self.types_button.setText(", ".join(sorted(kinds)) or "No types")
        self.apply_filter()

    def apply_filter(self) -> None:
        """Filter by the chosen types and the typed text now."""
        self.filter.apply()

    def _text_filter(self, text: str) -> None:
        self.model.set_filter(self._kinds, text, self._hidden)
        self._show_counts()

    def export_to(self, path: Path, *, shown: bool = True) -> None:
        """Write the shown rows (or every kept one) and say which."""
        try:
            written = self.model.export(path, shown=shown)
        except OSError as exc:
            self.export_failed.emit(f"Could not write {path}: {exc.strerror or exc}")
            return
        which = (
            f"{written:,} shown rows (of {self.model.total:,} kept)"
            if shown
            else f"all {written:,} kept rows"
        )
        self.exported.emit(f"Exported {which} to {path}")

    def ask_export(self, *, shown: bool = True) -> None:
        what = "the shown rows" if shown else "every kept row"
        name, _ = QFileDialog.getSaveFileName(
            self,
            f"Export {what} as JSON Lines",
            "ddp-frames.jsonl",
            "JSON Lines (*.jsonl)",
        )
        if name:
            self.export_to(Path(name), shown=shown)

    def _fill_types(self) -> None:
        self.types_menu.clear()
        for words, kinds, hidden in PRESETS:
            preset = self.types_menu.addAction(words)
            preset.triggered.connect(
                lambda _=False, k=kinds, h=hidden: self.set_kinds(
                    None if k is None else set(k), set(h)
                )
            )
        self.types_menu.addSeparator()
        for kind in self.model.kinds_seen():
            action = self.types_menu.addAction(kind)
            action.setCheckable(True)
            action.setChecked(self._shows(kind) and self._kinds is not None)
            action.toggled.connect(lambda on, k=kind: self._toggle_kind(k, on))

    def _shows(self, kind: str) -> bool:
        return (self._kinds is None or kind in self._kinds) and kind not in self._hidden

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
        parts = [self._described(entry)]
        if entry.kind == "method":
            answers = self.model.answers(entry)
            waiting = {"result", "updated"} - {a.kind for a in answers}
            parts += [self._described(answer) for answer in answers]
            if waiting:
                parts.append(
                    f"// no {' or '.join(sorted(waiting))} for it among the kept frames yet"
                )
        note = self.model.note(entry)
        if note:
            parts.insert(1, f"// {note}")
        self.detail.show_text("\n\n".join(parts))

    def _described(self, entry: LogEntry) -> str:
        when = self.model.wall_time(entry).astimezone().strftime("%H:%M:%S.%f")[:-3]
        if entry.event:
            return f"// the connection's event: {entry.kind}, at {when}\n" + pretty(
                entry.frame.data
            )
        arrow = "received" if entry.frame.direction.value == "in" else "sent"
        header = (
            f"// {entry.kind}, {arrow} at {when}, {len(entry.frame.data):,} bytes\n"
        )
        return header + pretty(entry.frame.data)
