"""The Collections tab: collections with counts, a document table, one document as a tree.

Owns ``CollectionsPanel``; imports QtWidgets/QtCore, ``qt.collection_model``,
``qt.history_model`` and the view parts in ``ui``. Changed cells flash in the
table; the tree follows the selected document live and marks the fields that
just changed. Beside the tree, a History tab (issue 16) lists every change of
that document with its frame and a diff; it reads the recorder only while it
is in view.
Both tables sort (numbers as numbers) and the documents filter by text
(sorted and filtered when asked, not on every change: see below);
choosing a collection selects its first document, so the tree is never
blank while there is something to show.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtWidgets import (
    QHeaderView,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.collection_model import (
    CollectionListModel,
    DocumentTableModel,
    DocumentTreeModel,
)
from ddp_monitor.qt.history_model import HistoryModel
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.hint_views import HintTreeView
from ddp_monitor.ui.history_view import HistoryPane
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["FADE_MS", "CollectionsPanel"]

FADE_MS = 100  # a flash fades in steps this far apart

_NO_DOCUMENT = "Select a document to see its fields as a tree."
_NO_COLLECTION = "Choose a collection on the left to see its documents."


class CollectionsPanel(QWidget):
    """Three panes side by side in a remembered splitter, the filter above them.

    The third shows the selected document: its fields as a tree and, given a
    ``history`` model, its History.
    """

    def __init__(
        self,
        collections: CollectionListModel,
        documents: DocumentTableModel,
        parent: QWidget | None = None,
        *,
        history: HistoryModel | None = None,
    ) -> None:
        super().__init__(parent)
        self.collections = collections
        self.documents = documents
        self.tree_model = DocumentTreeModel(self)
        self.collection_table = DenseTable(
            "collectionTable",
            "No documents yet: subscribe to a publication in the Subscriptions tab "
            "(Ctrl+2).",
        )
        self.collection_table.show_sorted(collections)
        single = DenseTable.SelectionMode.SingleSelection
        self.collection_table.setSelectionMode(single)
        # The name takes what the pane leaves the count: no sideways scrolling.
        names = self.collection_table.horizontalHeader()
        names.setStretchLastSection(False)
        names.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.collection_table.setColumnWidth(1, 64)
        self.collection_table.selectionModel().selectionChanged.connect(
            self._collection_selected
        )
        self.document_table = DenseTable("documentTable", _NO_COLLECTION)
        # The model sorts and filters itself; its rows keep their place as
        # their fields change (a header click sorts again).
        self.document_table.show_sorted(documents)
        # Fixed widths: sizing to contents would read every one of 100,000 rows.
        self.document_table.horizontalHeader().setDefaultSectionSize(130)
        self.document_table.setColumnWidth(0, 160)
        self.document_table.setSelectionMode(single)
        self.document_table.selectionModel().selectionChanged.connect(
            self._document_selected
        )
        self.filter = FilterField(
            "Filter this collection's documents by any field's text (Ctrl+F)"
        )
        self.filter.filter_changed.connect(documents.set_filter_text)
        self.tree = HintTreeView(_NO_DOCUMENT)
        self.tree.setObjectName("documentTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        # field | value (takes the room) | type: all three fit the pane.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.setColumnWidth(0, 120)
        self.tree.setColumnWidth(2, 72)
        # Flashes fade in the rows in view only (DocumentTableModel.fade).
        self._fader = QTimer(self)
        self._fader.setInterval(FADE_MS)
        self._fader.timeout.connect(self._fade)
        documents.documents_changed.connect(self._documents_changed)
        documents.modelReset.connect(self._reselect)
        documents.rowsInserted.connect(self._first_rows_arrived)
        collections.rowsInserted.connect(self._select_first_collection)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("collectionsSplitter")
        self.splitter.addWidget(self.collection_table)
        self.splitter.addWidget(self.document_table)
        self.document_tabs = QTabWidget()
        self.document_tabs.setObjectName("documentTabs")
        self.document_tabs.setDocumentMode(True)
        self.document_tabs.addTab(self.tree, "Fields")
        self.history: HistoryPane | None = None
        if history is not None:
            self.history = HistoryPane(history)
            self.document_tabs.addTab(self.history, "History")
            self.document_tabs.currentChanged.connect(self._tab_changed)
        self.splitter.addWidget(self.document_tabs)
        # The document's pane holds its History too: a little more room.
        self.splitter.setSizes([180, 520, 350])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.filter)
        layout.addWidget(self.splitter, 1)

    def select_collection(self, name: str) -> None:
        self.collection_table.select_key(name)

    def select_document(self, id_: str) -> bool:
        """Select this document's row (False: not shown)."""
        return self.document_table.select_key(id_)

    def _select_first_collection(self, *_: object) -> None:
        if self.documents.collection is None and self.collections.rowCount():
            self.collection_table.selectRow(0)

    def _collection_selected(self, *_: object) -> None:
        rows = self.collection_table.selected_rows()
        name = self.collections.name(rows[0]) if rows else None
        self.document_table.empty_text = (
            f"\u201c{name}\u201d has no documents now." if name else _NO_COLLECTION
        )
        self.documents.set_collection(name)

    def _reselect(self) -> None:
        # A reset (another collection, or a big change in this one) loses the
        # selection: keep the document in view if it is still there.
        shown = self.tree_model.document_id
        if shown is None or not self.select_document(shown):
            self._select_first_document()

    def _select_first_document(self, *_: object) -> None:
        # A new collection: its first row (as sorted) fills the tree at once.
        if self.documents.rowCount():
            self.document_table.selectRow(0)
        else:
            self._show(None)

    def _first_rows_arrived(self, *_: object) -> None:
        if not self.document_table.selectionModel().hasSelection():
            self._select_first_document()

    def _document_selected(self, *_: QItemSelection) -> None:
        self._show(self._selected_id())

    def _selected_id(self) -> str | None:
        rows = self.document_table.selected_rows()
        return self.documents.document_id(rows[0]) if rows else None

    def _fade(self) -> None:
        table = self.document_table
        first = table.rowAt(0)
        last = table.rowAt(table.viewport().height() - 1)
        last = self.documents.rowCount() - 1 if last < 0 else last
        if not self.documents.fade(max(first, 0), last):
            self._fader.stop()

    def _documents_changed(self, ids: frozenset[str]) -> None:
        if not self._fader.isActive():
            self._fader.start()
        shown = self.tree_model.document_id
        if shown is not None and shown in ids:
            self._show(shown, flash=True)

    def _show(self, id_: str | None, *, flash: bool = False) -> None:
        store_docs = self.documents.current_documents()
        fields = store_docs.get(id_) if id_ is not None else None
        changed = self.documents.changed_fields(id_) if flash and id_ else ()
        self.tree_model.show_document(id_, fields, changed)
        self.tree.expandToDepth(0)
        self._show_history(id_, follow=flash)

    def show_history(self) -> None:
        """Bring the selected document's History into view."""
        if self.history is not None:
            self.document_tabs.setCurrentWidget(self.history)

    def _tab_changed(self, *_: object) -> None:
        # Not followed while out of view: read afresh when it comes back.
        self._show_history(self.tree_model.document_id, follow=False, again=True)

    def _show_history(
        self, id_: str | None, *, follow: bool, again: bool = False
    ) -> None:
        pane = self.history
        if pane is None or self.document_tabs.currentWidget() is not pane:
            return
        model, collection = pane.model, self.documents.collection
        if id_ is None:
            collection = None
        if again or (model.collection, model.document_id) != (collection, id_):
            model.show_document(collection, id_)
        elif follow:
            model.follow()
