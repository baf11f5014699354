"""``RowSource``: what the Server panel's connection rows come from, as signals and actions.

Owns the part every source of connection rows shares (a proxy run or
attached by ``qt.proxy_adaptor``, a Meteor app's agent attached by
``qt.agent_adaptor``): batching the rows every ``FLUSH_MS``, running the
control methods in the background, and turning a connection's recent frames
into a page's message log. Imports QtCore and ``transport.wiretap`` (the
log's frame value).

One protocol for every source: rows are the proxy control endpoint's
``connections`` documents (``proxy.rows.row``, keyed by connection id) and
the actions are its method names (``proxy.close``, ``proxy.setFaults``,
``proxy.clearFaults``, ``proxy.frames``); a source that speaks another
dialect translates in its ``call``.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["FLUSH_MS", "Row", "RowSource"]

#: Rows are handed on at most this often (as the server panel's).
FLUSH_MS = 60

Row = dict[str, Any]


class RowSource(QObject):
    """Batches a source's rows for a connection table; subclasses say where rows come from.

    Signals:
        proxying_changed(str): a line saying what is shown from where ("" when off).
        proxying_failed(str): why it could not start, attach or act, in words.
        rows_flushed(list, list): rows that appeared or changed (each with
            ``_id``), then the ids of rows that went.
    """

    proxying_changed = Signal(str)
    proxying_failed = Signal(str)
    rows_flushed = Signal(list, list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._shown: dict[str, Row] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)

    # -- what a source says ----------------------------------------------------------

    @property
    def active(self) -> bool:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Where clients connect ("" when the source is not a proxy run here)."""
        return ""

    def rows(self) -> dict[str, Row]:
        """Every row now, by connection id."""
        raise NotImplementedError

    async def call(self, method: str, *params: Any) -> Any:
        """Run a control method (the proxy control endpoint's names)."""
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    # -- actions -----------------------------------------------------------------------

    def act(self, method: str, *params: Any) -> None:
        """``call`` in the background; a failure goes to the proxying_failed signal."""
        task = asyncio.ensure_future(self.call(method, *params))
        task.add_done_callback(self._done)
        self._tasks.add(task)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.proxying_failed.emit(str(task.exception()))
        self._mark()

    async def log(self, connection_id: str, limit: int = 500) -> list[Frame]:
        """The connection's recent frames as a page's message log takes them.

        ``OUT`` is client to app and ``IN`` app to client, as on a page; the
        times are put on this process's monotonic clock (the log's wall-clock
        column adds its own offset back).
        """
        found = await self.call("proxy.frames", connection_id, limit)
        opened = self._shown.get(connection_id, {}).get("connectedAt")
        start = (
            opened.timestamp() if isinstance(opened, datetime.datetime) else time.time()
        )
        start -= time.time() - time.monotonic()
        return [
            Frame(
                Direction.OUT if f["dir"] == "toServer" else Direction.IN,
                start + float(f["at"]),
                str(f["text"]),
            )
            for f in found
        ]

    # -- rows ---------------------------------------------------------------------------

    def _mark(self, *_: Any) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _forget_rows(self) -> None:
        """Every shown row goes (the source stopped)."""
        if self._shown:
            gone, self._shown = list(self._shown), {}
            self.rows_flushed.emit([], gone)

    @Slot()
    def flush(self) -> None:
        """Hand on what changed since the last batch (the timer calls this)."""
        now = self.rows()
        changed = [
            {"_id": ident, **r}
            for ident, r in now.items()
            if self._shown.get(ident) != r
        ]
        gone = [ident for ident in self._shown if ident not in now]
        self._shown = now
        if changed or gone:
            self.rows_flushed.emit(changed, gone)
