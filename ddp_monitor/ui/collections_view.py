"""The Collections tab: collections with counts, a document table, one document as a tree.

Owns ``CollectionsPanel``; imports QtWidgets/QtCore, ``qt.collection_model`` and
``ui.table_view``. Changed cells flash in the table; the tree follows the
selected document live and marks the fields that just changed.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QTreeView, QVBoxLayout, QWidget

from ddp_monitor.qt.collection_model import (
    CollectionListModel,
    DocumentTableModel,
    DocumentTreeModel,
)
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["CollectionsPanel"]


class CollectionsPanel(QWidget):
    """Three panes side by side in a remembered splitter."""

    def __init__(
        self,
        collections: CollectionListModel,
        documents: DocumentTableModel,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.collections = collections
        self.documents = documents
        self.tree_model = DocumentTreeModel(self)
        self.collection_table = DenseTable(
            "collectionTable",
            "No documents yet: subscribe to a publication in the Subscriptions tab.",
        )
        self.collection_table.setModel(collections)
        self.collection_table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        self.collection_table.set_column_widths(130)
        self.collection_table.selectionModel().selectionChanged.connect(
            self._collection_selected
        )
        self.document_table = DenseTable(
            "documentTable", "Select a collection to see its documents."
        )
        self.document_table.setModel(documents)
        # Fixed widths: sizing to contents would read every one of 100,000 rows.
        self.document_table.horizontalHeader().setDefaultSectionSize(130)
        self.document_table.setColumnWidth(0, 160)
        self.document_table.setSelectionMode(DenseTable.SelectionMode.SingleSelection)
        self.document_table.selectionModel().selectionChanged.connect(
            self._document_selected
        )
        self.tree = QTreeView()
        self.tree.setObjectName("documentTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(0, 130)
        self.tree.setColumnWidth(1, 160)
        documents.documents_changed.connect(self._documents_changed)
        documents.modelReset.connect(self._document_selected)
        collections.rowsInserted.connect(self._select_first_collection)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("collectionsSplitter")
        self.splitter.addWidget(self.collection_table)
        self.splitter.addWidget(self.document_table)
        self.splitter.addWidget(self.tree)
        self.splitter.setSizes([190, 560, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)

    def select_collection(self, name: str) -> None:
        for row in range(self.collections.rowCount()):
            if self.collections.name(row) == name:
                self.collection_table.selectRow(row)
                return

    def _select_first_collection(self, *_: object) -> None:
        if self.documents.collection is None and self.collections.rowCount():
            self.collection_table.selectRow(0)

    def _collection_selected(self, *_: object) -> None:
        rows = self.collection_table.selectionModel().selectedRows()
        name = self.collections.name(rows[0].row()) if rows else None
        self.documents.set_collection(name)

    def _document_selected(self, *_: QItemSelection) -> None:
        self._show(self._selected_id())

    def _selected_id(self) -> str | None:
        rows = self.document_table.selectionModel().selectedRows()
        return self.documents.document_id(rows[0].row()) if rows else None

    def _documents_changed(self, ids: frozenset[str]) -> None:
        shown = self.tree_model.document_id
        if shown is not None and shown in ids:
            self._show(shown, flash=True)

    def _show(self, id_: str | None, *, flash: bool = False) -> None:
        store_docs = self.documents.current_documents()
        fields = store_docs.get(id_) if id_ is not None else None
        changed = self.documents.changed_fields(id_) if flash and id_ else ()
        self.tree_model.show_document(id_, fields, changed)
        self.tree.expandToDepth(0)
