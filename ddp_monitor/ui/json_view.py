"""The read-only pane that shows one selected thing as monospace text (JSON, mostly).

Owns ``JsonView``; imports QtGui/QtWidgets only. The method detail, the
message detail and the server panel's connection detail are all one.
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

__all__ = ["JsonView"]


class JsonView(QPlainTextEdit):
    """Read-only monospace text with a hint while empty.

    Args:
        placeholder: what the empty pane says (how to fill it).
        wrap: wrap long lines (a document's long string) or scroll sideways
            (a table of headers, whose columns must stay aligned).
    """

    def __init__(
        self, placeholder: str, *, wrap: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jsonView")  # monospace in both stylesheets
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        if not wrap:
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setPlaceholderText(placeholder)

    def show_text(self, text: str) -> None:
        """Show ``text``; only on a real change, which would drop the user's selection."""
        if text != self.toPlainText():
            # Keep the reader's place: a ticking detail must not jump to the top.
            bar = self.verticalScrollBar()
            at = bar.value()
            self.setPlainText(text)
            bar.setValue(at)
