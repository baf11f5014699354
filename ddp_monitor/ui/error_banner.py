"""The error banner: problems in plain words, inside the window, dismissible.

Owns ``ErrorBanner``; imports QtWidgets/QtCore and ``ui.resources``. One
banner for every kind of trouble (unreachable server, bad URL, a bad frame, an
unexpected error): the newest message shows, a counter says how many came,
and a "Details" button shows the technical text when there is one.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ui.resources import icon

__all__ = ["ErrorBanner"]


class ErrorBanner(QFrame):
    """Hidden until ``show_problem``; the close button or ``dismiss`` hides it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self._icon = QLabel()
        self._icon.setPixmap(icon("status-failed").pixmap(QSize(18, 18)))
        self._title = QLabel()
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._detail = QLabel()
        self._detail.setWordWrap(True)
        self._detail.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self._more = QToolButton()
        self._more.setText("Details...")
        self._more.clicked.connect(self._show_details)
        close = QToolButton()
        close.setText("\u2715")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self._title)
        text.addWidget(self._detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        layout.addWidget(self._more, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._technical = ""
        self._shown = ("", "")
        self.count = 0
        self.hide()

    @property
    def title(self) -> str:
        """The newest problem's title (without the counter)."""
        return self._shown[0]

    @property
    def detail(self) -> str:
        return self._detail.text()

    @Slot(str, str)
    def show_problem(self, title: str, detail: str = "", technical: str = "") -> None:
        """Show a problem: a short title, a sentence, optional technical text."""
        repeated = self.isVisible() and (title, detail) == self._shown
        if not repeated:
            self.count = self.count + 1 if self.isVisible() else 1
        self._shown = (title, detail)
        suffix = f"  ({self.count} problems; newest shown)" if self.count > 1 else ""
        self._title.setText(title + suffix)
        self._detail.setText(detail)
        self._detail.setVisible(bool(detail))
        self._technical = technical
        self._more.setVisible(bool(technical))
        self.show()

    @Slot()
    def dismiss(self) -> None:
        self.count = 0
        self.hide()

    def _show_details(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self._title.text(),
            self._detail.text(),
            parent=self,
        )
        box.setDetailedText(self._technical)
        box.open()
