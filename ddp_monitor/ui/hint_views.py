"""List and tree views that say what to do while they are empty.

Owns ``HintListView`` and ``HintTreeView``; imports QtWidgets/QtGui/QtCore and
``ui.table_view``'s painter. docs/ux.md: "Empty states explain themselves";
the tables get this from ``DenseTable``, the sidebar's profile list and the
document tree from here, drawn the same way.
"""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QTreeView, QWidget

from ddp_monitor.ui.table_view import paint_empty_text

__all__ = ["HintListView", "HintTreeView"]


def _paint_hint(view: QAbstractItemView, empty_text: str, margin: int) -> None:
    model = view.model()
    if model is not None and model.rowCount() == 0 and empty_text:
        paint_empty_text(view, empty_text, margin=margin)


class HintListView(QListView):
    """A list view showing ``empty_text`` while its model has no rows."""

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = empty_text

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        _paint_hint(self, self.empty_text, margin=8)


class HintTreeView(QTreeView):
    """A tree view showing ``empty_text`` while its model has no rows."""

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = empty_text

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        _paint_hint(self, self.empty_text, margin=24)
