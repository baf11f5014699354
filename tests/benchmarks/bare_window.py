"""bench_ui's reference: the same flood in a bare PySide6 window, in its own process.

Owns the reference window; imports PySide6, qasync, websockets and
``tests.benchmarks.probes`` (no ddp_monitor). What PySide6 gives a developer
with no DDP library and no design: a bare ``websockets`` client on the same
qasync loop json-decodes each frame into a dict of documents; every 60 ms the
new documents become rows of a ``QStandardItemModel`` (C++ data) and changed
fields new item texts; a ``QSortFilterProxyModel`` (C++ sort and filter) sits
between it and a ``QTableView``. It shows the documents only, so it does less
than ddp-monitor: a fair ceiling to measure against.

``python -m tests.benchmarks.bare_window SCENARIO URL`` prints one JSON line
(``bench_ui`` runs it); ``--first-paint`` opens the window and prints when it
first painted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import qasync  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, QObject, QPoint, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHeaderView, QMainWindow, QTableView
from websockets.asyncio.client import connect

from tests.benchmarks.probes import Stalls, painted, rss_mb

__all__ = ["BareWindow", "main"]

COLUMNS = ["_id", "n", "text", "tags"]


class BareWindow(QMainWindow):
    """A table of documents, sortable and filterable by Qt's own proxy."""

    def __init__(self) -> None:
        super().__init__()
        self.model = QStandardItemModel(0, len(COLUMNS))
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setDynamicSortFilter(False)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.setCentralWidget(self.table)
        self.rows: dict[str, int] = {}  # source row of each document
        self.docs: dict[str, dict[str, Any]] = {}
        self._new: list[str] = []
        self._changed: dict[str, dict[str, Any]] = {}
        self.last: float | None = None
        self.flushed = asyncio.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self._flush)
        self._timer.start()

    def receive(self, msg: dict[str, Any]) -> None:
        kind = msg.get("msg")
        if kind == "added":
            self.docs[msg["id"]] = msg["fields"]
            self._new.append(msg["id"])
        elif kind == "changed":
            doc = self.docs[msg["id"]] = {**self.docs[msg["id"]], **msg["fields"]}
            self._changed.setdefault(msg["id"], {}).update(msg["fields"])
            if "last" in msg["fields"]:
                self.last = msg["fields"]["last"]
                doc.pop("last")

    def _flush(self) -> None:
        new, self._new = self._new, []
        changed, self._changed = self._changed, {}
        for id_ in new:
            fields = self.docs[id_]
            row = [QStandardItem(id_)] + [_item(fields.get(c)) for c in COLUMNS[1:]]
            self.rows[id_] = self.model.rowCount()
            self.model.appendRow(row)
        for id_, fields in changed.items():
            at = self.rows.get(id_)
            for name, value in fields.items():
                if at is not None and name in COLUMNS:
                    item = self.model.item(at, COLUMNS.index(name))
                    item.setData(_value(value), Qt.ItemDataRole.DisplayRole)
        if new or changed:
            self.flushed.set()


def _value(value: Any) -> Any:
    """Numbers stay numbers (Qt's proxy then compares them in C++), the rest text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return value if isinstance(value, str) else json.dumps(value)


def _item(value: Any) -> QStandardItem:
    item = QStandardItem()
    item.setData(_value(value), Qt.ItemDataRole.DisplayRole)
    return item


async def _scenario(
    window: BareWindow, name: str, url: str, plan: dict[str, Any]
) -> dict[str, Any]:
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send('{"msg":"connect","version":"1","support":["1"]}')
        await ws.recv()
        stalls = Stalls()
        started, cpu = time.perf_counter(), time.process_time()
        await ws.send(
            json.dumps({"msg": "sub", "id": "s1", "name": "flood", "params": [plan]})
        )
        async for text in ws:
            window.receive(json.loads(text))
            if window.last is not None:
                break
        window.flushed.clear()
        await window.flushed.wait()  # the flush that carries the last frame
        seen = time.monotonic()
        figures: dict[str, Any] = {
            **stalls.take(),
            "cpu_s": time.process_time() - cpu,
            "seconds": time.perf_counter() - started,
            "behind_ms": (seen - float(window.last or seen)) * 1000,
            "documents": window.model.rowCount(),
        }
        stalls.stop()
    figures["rss_mb"] = rss_mb()
    if name in ("adds", "bulk"):
        figures.update(await _sort_filter(window))
    return figures


async def _sort_filter(window: BareWindow) -> dict[str, float]:
    viewport = window.table.viewport()
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
    start = time.perf_counter()
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    sort = await painted(viewport) - start
    start = time.perf_counter()
    window.proxy.setFilterFixedString("document 4242")
    filtered = await painted(viewport) - start
    shown = window.proxy.rowCount()
    start = time.perf_counter()
    window.proxy.setFilterFixedString("")
    cleared = await painted(viewport) - start
    return {
        "sort_s": sort,
        "filter_s": filtered,
        "clear_s": cleared,
        "filter_rows": shown,
    }


def _first_paint(app: QApplication, loop: asyncio.AbstractEventLoop) -> None:
    class Painted(QObject):
        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not done.done():
                done.set_result(time.monotonic())
            return False

    done: asyncio.Future[float] = loop.create_future()
    window = BareWindow()
    watcher = Painted()
    window.installEventFilter(watcher)
    window.resize(1280, 800)
    window.show()
    print(
        json.dumps({"painted": loop.run_until_complete(asyncio.wait_for(done, 30))}),
        flush=True,
    )


def main() -> None:
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if sys.argv[1] == "--first-paint":
        _first_paint(app, loop)
        return
    name, url, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    window = BareWindow()
    window.resize(1280, 800)
    window.show()
    figures = loop.run_until_complete(_scenario(window, name, url, plan))
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
