"""The History view of the selected document: its changes, and the diff of the chosen one.

Owns ``HistoryPane`` and ``DiffView``; imports QtWidgets/QtGui/QtCore,
``qt.history_model``, ``recording.diff`` and the view parts in ``ui``. The
changes (time, kind, fields, frame) sit above; choosing one shows what caused
it (its frame, or why there is none) and the document before and after as a
unified diff: removed lines red, added lines green, in colours picked for the
palette in force (light or dark), with ``-``/``+`` marks so colour is never
the only sign. The newest change is chosen when none is.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QSplitter, QTextEdit, QVBoxLayout, QWidget

from ddp_monitor.qt.history_model import HistoryModel
from ddp_monitor.recording.diff import Line, LineKind, diff_lines
from ddp_monitor.recording.history import DocumentChange
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.resources import is_dark
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["DiffView", "HistoryPane"]

#: Line backgrounds: (light, dark) for removed and added lines.
_BACKGROUNDS = {
    LineKind.REMOVED: ("#ffe1e1", "#5b2b30"),
    LineKind.ADDED: ("#d9f5df", "#23492f"),
}
_LEAST = 44  # pixels: two rows of a table, three lines of the diff
_FRAME_LINES = 4  # the frame's pane is this tall; it scrolls for more


class DiffView(JsonView):
    """A unified diff in monospace, each changed line's whole width coloured."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(placeholder, wrap=False, parent=parent)
        self.setObjectName("diffView")
        self._lines: list[Line] = []

    def show_lines(self, lines: list[Line]) -> None:
        self._lines = lines
        self.show_text("\n".join(f"{kind.value} {text}" for kind, text in lines))
        self._colour()

    def kinds(self) -> list[LineKind]:
        """Each shown line's mark (what a test or a reader checks)."""
        return [kind for kind, _ in self._lines]

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._colour()  # the theme changed: colours that read on it

    def _colour(self) -> None:
        dark = is_dark(self.palette())
        selections = []
        block = self.document().firstBlock()
        for kind, _ in self._lines:
            colours = _BACKGROUNDS.get(kind)
            if colours is not None and block.isValid():
                selection = QTextEdit.ExtraSelection()
                selection.format.setBackground(QColor(colours[dark]))
                selection.format.setProperty(
                    QTextFormat.Property.FullWidthSelection, True
                )
                selection.cursor = QTextCursor(block)
                selections.append(selection)
            block = block.next()
        self.setExtraSelections(selections)


class HistoryPane(QWidget):
    """The changes above, the chosen change's cause and diff below."""

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = DenseTable(
            "historyTable",
            "Select a document to see every change it went through.",
            # The frame column gives way first: the chosen change's frame is
            # shown whole below, and the time stays whole.
            last_column_min=40,
        )
        self.table.setModel(model)  # oldest first, as they happened
        self.table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        self.table.set_column_widths(90, 58, 60)
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.starts = QLabel()
        self.starts.setObjectName("hintLabel")
        self.starts.setWordWrap(True)
        self.starts.hide()
        self.cause = QLabel()
        self.cause.setWordWrap(True)
        self.cause.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The frame as it came: a JSON line with no spaces, which a label
        # could not wrap (it would widen the pane); this wraps anywhere.
        self.frame = JsonView("")
        self.frame.setObjectName("frameView")
        lines = self.frame.fontMetrics().lineSpacing() * _FRAME_LINES
        self.frame.setFixedHeight(lines + 2 * self.frame.frameWidth() + 8)
        self.frame.hide()
        self.diff = DiffView("Choose a change to see the document before and after.")
        # Small minimums: the window fits a 1024x640 screen (scroll bars do the rest).
        self.table.setMinimumHeight(_LEAST)
        self.diff.setMinimumHeight(_LEAST)
        below = QWidget()
        column = QVBoxLayout(below)
        column.setContentsMargins(0, 4, 0, 0)
        column.addWidget(self.cause)
        column.addWidget(self.frame)
        column.addWidget(self.diff, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("historySplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(below)
        self.splitter.setSizes([180, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.starts)
        layout.addWidget(self.splitter, 1)
        self._following = True  # the newest change is chosen as changes come
        model.document_changed.connect(self._new_document)
        model.rowsInserted.connect(self._rows_arrived)

    def show_change(self, change: DocumentChange | None) -> None:
        """The cause and the diff of ``change`` (None: blank)."""
        if change is None:
            self.cause.clear()
            self.frame.hide()
            self.diff.show_lines([])
            return
        when = self.model.clock(change)
        words = f"{change.kind.capitalize()} at {when}"
        if change.frame is not None and change.frame_at is not None:
            words += f", by the frame received at {self.model.clock(change.frame_at)}:"
            self.frame.show_text(change.frame)
            self.frame.show()
        else:
            words += f"; {change.why_no_frame}."
            self.frame.hide()
        if not change.whole:
            words += "\nIts add was let go: the values hold only the fields seen since."
        self.cause.setText(words)
        self.diff.show_lines(diff_lines(change.before, change.after))

    def _new_document(self) -> None:
        starts = self.model.starts_at
        if starts is None:
            self.starts.hide()
        else:
            self.starts.setText(
                f"History starts at {self.model.clock(starts)}: older frames and "
                "events were let go (the window keeps each connection's last "
                "200,000)."
            )
            self.starts.show()
        self._choose_last()
        if not self.model.rowCount():
            self.show_change(None)

    def _rows_arrived(self, *_: object) -> None:
        # Follow the newest change, unless the reader chose an older one.
        if self._following or not self.table.selected_rows():
            self._choose_last()

    def _choose_last(self) -> None:
        last = self.model.rowCount() - 1
        if last >= 0:
            self.table.selectRow(last)
            self.table.scrollToBottom()

    def _chosen(self, *_: object) -> None:
        rows = self.table.selected_rows()
        self._following = bool(rows) and rows[0] == self.model.rowCount() - 1
        self.show_change(self.model.change(rows[0]) if rows else None)
