"""One connection's page: its bar, banner, tabs, models and countdown.

Owns ``ConnectionPage`` and ``PageActions``; imports QtWidgets/QtCore, the
``qt`` adaptor, models and countdown, ``ddp.client.status`` values and the panels in
``ui``. Split out of ``main_window`` when the window began to hold several
connections (issue 6): every open connection has a page, the window shows
the selected one and points its shared actions (Ctrl+R, Ctrl+D, log pause,
clear, export) at it. The page binds its adaptor's signals to its own
models and panels and nothing else.

A page shows a live connection (``ClientAdaptor``) or a saved recording
(``RecordingAdaptor``, issue 16) with the same models and panels: a
recording's adaptor sends the same signals, and ``rewound`` when its cursor
moves, which the page shows in one go. A recording's page is read-only: no
console, no subscribe form, no URL to move, no probe. (Past 400 lines for
that: the recording's few methods sit beside the live ones they mirror.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QByteArray, QSettings, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    HandshakeCompleted,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status, meteor_status
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.collection_model import CollectionListModel, DocumentTableModel
from ddp_monitor.qt.countdown import RetryCountdown
from ddp_monitor.qt.figures_model import METHOD, SUBSCRIPTION, FiguresModel
from ddp_monitor.qt.history_model import HistoryModel
from ddp_monitor.qt.message_log_model import LogEvent, MessageLogModel
from ddp_monitor.qt.method_model import MethodQueueModel
from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
from ddp_monitor.qt.recording_state import Rewind
from ddp_monitor.qt.status_look import session_outcome
from ddp_monitor.qt.subscription_model import SubscriptionModel
from ddp_monitor.qt.timeline_model import MarkerKind, TimelineModel
from ddp_monitor.recording.format import Recorded, RecordedFrame
from ddp_monitor.ui.collections_view import CollectionsPanel
from ddp_monitor.ui.connection_bar import ConnectionBar
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.figures_view import FiguresPanel
from ddp_monitor.ui.message_log import MessageLogPanel
from ddp_monitor.ui.method_queue import MethodQueuePanel
from ddp_monitor.ui.subscriptions import SubscriptionsPanel
from ddp_monitor.ui.table_view import DenseTable
from ddp_monitor.ui.timeline import Timeline

__all__ = ["ConnectionPage", "PageActions", "PageSource"]

#: What a page shows: a live connection or a saved recording of one.
PageSource = ClientAdaptor | RecordingAdaptor

#: The Figures tab's kinds as the timeline's markers ("": nothing chosen).
_MARKER_OF = {METHOD: MarkerKind.CALL, SUBSCRIPTION: MarkerKind.SUBSCRIPTION}


@dataclass(frozen=True, slots=True)
class PageActions:
    """The window's actions a page shows in its bar and log toolbar."""

    reconnect: QAction
    battery: QAction
    pause: QAction
    clear: QAction
    export: QAction


class ConnectionPage(QWidget):
    """Everything shown for one connection.

    Signals:
        facts_changed(): the status-bar facts (session, version, login...) moved.
    """

    facts_changed = Signal()

    def __init__(
        self,
        key: str,
        adaptor: PageSource,
        actions: PageActions,
        *,
        method_names: Sequence[str] = (),
        publication_names: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.key = key
        self.adaptor = adaptor
        self.user_id: str | None = None
        self.log_model = MessageLogModel(parent=self)
        self.method_model = MethodQueueModel(self)
        self.subscription_model = SubscriptionModel(self)
        self.collection_model = CollectionListModel(adaptor.store, self)
        self.document_model = DocumentTableModel(adaptor.store, parent=self)
        #: per method and publication name; ``figures_model.selected_name_changed``
        #: names the row chosen in the Figures tab (for the timeline)
        self.figures_model = FiguresModel(self)
        # A recording's clock is its cursor: a retry counts down from there.
        self.countdown = RetryCountdown(adaptor.now, parent=self)
        self.bar = ConnectionBar(actions.reconnect, actions.battery)
        self.badge = self.bar.badge
        self.banner = ErrorBanner()
        # The connection's life and traffic over time (issue 16), fed by the
        # adaptor's batches (a recording's: as it is read); View > Timeline hides it.
        self.timeline = Timeline()
        live = adaptor if isinstance(adaptor, ClientAdaptor) else None
        if live is not None:
            self.timeline.set_source(live)
        else:
            self.timeline.set_source(TimelineModel())
        self.methods = MethodQueuePanel(
            self.method_model, live.call if live else None, method_names
        )
        self.subscriptions = SubscriptionsPanel(
            self.subscription_model,
            live.subscribe if live else None,
            live.stop if live else None,
            publication_names,
        )
        # A document's history reads the live recorder, or the recording.
        if isinstance(adaptor, ClientAdaptor):
            self.history_model = HistoryModel(adaptor.recorder, self)
        else:
            self.history_model = HistoryModel(adaptor, self)
        self.collections = CollectionsPanel(
            self.collection_model, self.document_model, history=self.history_model
        )
        assert self.collections.history is not None
        self.history = self.collections.history
        self.log = MessageLogPanel(
            self.log_model, actions.pause, actions.clear, actions.export
        )
        self.figures = FiguresPanel(self.figures_model)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for panel in (self.methods, self.subscriptions, self.collections, self.log):
            self.tabs.addTab(panel, "")
        self.tabs.addTab(self.figures, "Figures")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.bar)
        column.addWidget(self.timeline)
        banner_box = QVBoxLayout()
        banner_box.setContentsMargins(8, 6, 8, 0)
        banner_box.addWidget(self.banner)
        column.addLayout(banner_box)
        column.addWidget(self.tabs, 1)
        self._bind()
        self._show_status(adaptor.status)
        self._update_titles()

    @property
    def read_only(self) -> bool:
        """A recording's page: nothing here acts on a connection."""
        return self.adaptor.read_only

    def _bind(self) -> None:
        a = self.adaptor
        a.status_changed.connect(self._show_status)
        a.status_changed.connect(self.countdown.follow)
        self.countdown.ticked.connect(self.badge.show_remaining)
        a.battery_saving_changed.connect(self.badge.show_battery_saving)
        a.events_flushed.connect(self._apply_events)
        a.flushed.connect(self._log_batch)
        a.meter_changed.connect(self.bar.show_meter)
        self.figures_model.selected_name_changed.connect(self._highlight_on_timeline)
        if isinstance(a, ClientAdaptor):
            self.bar.probe.toggled.connect(a.set_probing)
            self.bar.show_url(a.url)
            self.bar.url.returnPressed.connect(self._move)
            a.url_changed.connect(self.bar.show_url)
            a.probing_changed.connect(self.bar.probe.setChecked)
        else:
            a.rewound.connect(self._rewind)
            a.read.connect(self._read)
            self.tabs.currentChanged.connect(self._show_log_due)
            for progressed in (a.progress, a.loaded, a.seeked):
                progressed.connect(self._describe_recording)
            self.bar.show_recording(a.describe())
            # The timeline's cursor moves the recording's, and follows it.
            self.timeline.cursor_moved.connect(a.seek)
            a.seeked.connect(self.timeline.set_cursor)
            a.loaded.connect(self._show_whole_recording)
        a.handshake_completed.connect(self.facts_changed)
        a.transport_lost.connect(self._transport_lost)
        a.problem.connect(self.banner.show_problem)
        self.log.exported.connect(self._exported)
        self.log.export_failed.connect(
            lambda why: self.banner.show_problem("Export failed", why)
        )
        for model in (
            self.method_model,
            self.subscription_model,
            self.collection_model,
            self.log_model,
        ):
            model.counts_changed.connect(self._update_titles)

    @Slot(str, str)
    def _highlight_on_timeline(self, kind: str, name: str) -> None:
        """A name chosen in the Figures tab: its calls or subscriptions stand out."""
        marker = _MARKER_OF.get(kind)
        self.timeline.highlight(marker, name or None)

    def _exported(self, sentence: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(sentence, 8000)

    # -- reacting ------------------------------------------------------------------
    @Slot(list, list)
    def _apply_events(self, events: list[Any], times: list[float]) -> None:
        self.method_model.apply_events(events, times)
        self.subscription_model.apply_events(events, times)
        self.collection_model.apply_events(events)
        self.document_model.apply_events(events)
        self.figures_model.apply_events(events, times)
        for event in events:
            if isinstance(event, BadMessageReceived) and event.text:
                self.log_model.mark_bad(event.text)
            elif isinstance(event, HandshakeCompleted):
                self.badge.show_session_outcome(session_outcome(event))

    @Slot(list, list, list)
    def _log_batch(
        self, frames: list[Any], events: list[Any], times: list[float]
    ) -> None:
        """Frames and the connection's own events into the log, in time order."""
        happened: list[LogEvent] = []
        outcomes = []
        wall_offset = time.time() - time.monotonic()
        for event, at in zip(events, times, strict=True):
            if isinstance(event, StatusChanged):
                # As it read when it changed (a recording's are long past).
                fields = meteor_status(event.status, at, (at + wall_offset) * 1000)
                happened.append(LogEvent(at, "status", fields))
            elif isinstance(event, TransportLost) and not event.local:
                reason = event.reason or "the server closed the connection"
                happened.append(LogEvent(at, "lost", {"reason": reason}))
            elif isinstance(event, HandshakeCompleted):
                outcomes.append(session_outcome(event))
        self.log_model.append(frames, happened)
        for outcome in outcomes:  # the `connected` frame is in the log now
            if outcome is not None:
                self.log_model.annotate_last("connected", outcome.words, outcome.detail)

    @Slot(object)
    def _rewind(self, rewind: Rewind) -> None:
        """A recording's cursor moved: every panel as it stood then, each in one go."""
        shown = self.document_model.collection
        self.method_model.replay(rewind.events, rewind.times, rewind.methods)
        self.subscription_model.replay(
            rewind.events, rewind.times, rewind.subscriptions
        )
        # The documents' store first: the collection list, made again, may
        # select its first collection on the way, and that must read it.
        self.document_model.set_collection(shown, rewind.store)
        self.collection_model.set_store(rewind.store)
        if shown is not None:
            self.collections.select_collection(shown)
        # The log is the costliest to make again (up to 50,000 rows): made
        # when its tab is in view, so scrubbing over the other tabs skips it.
        self._log_due = rewind
        self._show_log_due()
        handshake = rewind.handshake
        self.badge.show_session_outcome(
            session_outcome(handshake) if handshake else None
        )
        self._update_titles()
        self.facts_changed.emit()

    _log_due: Rewind | None = None

    def _show_log_due(self, *_: object) -> None:
        rewind = self._log_due
        if rewind is None or self.tabs.currentWidget() is not self.log:
            return
        self._log_due = None
        tail = rewind.log()
        self.log_model.clear()
        self._log_batch(tail.frames, tail.events, tail.times)

    @Slot(list)
    def _read(self, parsed: list[Recorded]) -> None:
        """A slice of a recording, read: its timeline and figures grow (the whole file's)."""
        model = self.timeline.model
        if model is not None:
            model.take_recorded(parsed)
            model.changed.emit()
        base = self.adaptor.base if isinstance(self.adaptor, RecordingAdaptor) else 0.0
        events = [r.item for r in parsed if not isinstance(r.item, RecordedFrame)]
        times = [base + r.t for r in parsed if not isinstance(r.item, RecordedFrame)]
        self.figures_model.apply_events(events, times)
        # While the file is read the timeline shows all of it so far, redrawn
        # once a second (a recording's timeline has no clock of its own).
        now = time.monotonic()
        if now - self._timeline_grown_at >= 1.0:
            self._timeline_grown_at = now
            self._show_whole_recording()

    _timeline_grown_at = 0.0

    def _show_whole_recording(self) -> None:
        if isinstance(self.adaptor, RecordingAdaptor):
            self.timeline.show_range(0.0, max(self.adaptor.duration, 1.0))

    def _describe_recording(self, *_: object) -> None:
        if isinstance(self.adaptor, RecordingAdaptor):
            self.bar.show_recording(self.adaptor.describe())

    def save_recording(
        self, path: Path, start: float | None = None, end: float | None = None
    ) -> int | None:
        """Save what this page's connection did (or a span, in seconds since it began).

        Returns how many items were written, or None when the file could not
        be written (the banner says why; the recording in memory is untouched).
        """
        try:
            return self.adaptor.save_recording(path, start, end)
        except OSError as exc:
            why = exc.strerror or str(exc)
            self.banner.show_problem(
                "The recording was not saved",
                f"{path}: {why}. Nothing was lost: the recording is still in "
                "memory; try another place.",
            )
            return None

    _connection_problem = False

    @Slot(object)
    def _show_status(self, status: Status) -> None:
        self.badge.show_status(status)
        if status.status is ConnectionStatus.CONNECTED and self._connection_problem:
            self._connection_problem = False
            self.banner.dismiss()
        if (
            status.status is ConnectionStatus.FAILED
            and status.reason
            and not self.read_only
        ):
            self._connection_problem = True
            self.banner.show_problem(
                "The connection failed for good",
                f"{status.reason}. Ctrl+R tries again.",
            )
        self.facts_changed.emit()

    def _move(self) -> None:
        """Enter in the URL field: this page talks to that server from now on."""
        typed = self.bar.url.text().strip()
        assert isinstance(self.adaptor, ClientAdaptor)
        if not typed or typed == self.adaptor.url:
            self.bar.show_url(self.adaptor.url)
            return
        why_not = self.adaptor.move_to(typed)
        if why_not is not None:
            self.banner.show_problem("That is no DDP server URL", why_not)
            return
        self.facts_changed.emit()

    @Slot(str)
    def _transport_lost(self, reason: str) -> None:
        if self.adaptor.battery_saving or self.read_only:
            return
        self.badge.show_last_failure(reason)
        self._connection_problem = True
        self.banner.show_problem(
            "Cannot reach the server"
            if self.adaptor.session is None
            else "The connection dropped",
            f"{self.adaptor.url}: {reason}. ddp-monitor retries on its own; "
            "Reconnect now (Ctrl+R) tries at once.",
        )

    def show_user(self, user_id: str | None) -> None:
        """The logged-in user (None: logged out), for the status bar."""
        self.user_id = user_id
        self.facts_changed.emit()

    def _update_titles(self) -> None:
        queued = self.method_model.queued
        calls = f"{queued} queued" if queued else f"{self.method_model.rowCount()}"
        titles = (
            f"Methods ({calls})",
            f"Subscriptions ({self.subscription_model.live})",
            f"Collections ({self.collection_model.rowCount()})",
            f"Messages ({self._log_rows():,})",
        )
        for at, title in enumerate(titles):
            if self.tabs.tabText(at) != title:
                self.tabs.setTabText(at, title)

    def _log_rows(self) -> int:
        due = self._log_due
        return due.log_rows if due is not None else self.log_model.total

    def facts(self) -> tuple[str, str, str, str, str]:
        """Session, DDP version, transport time, subs ready, login: status-bar words."""
        a = self.adaptor
        since = a.connected_since
        if since is None:
            opened = "transport closed"
        else:
            seconds = int(a.now() - since)
            hours, rest = divmod(seconds, 3600)
            opened = f"transport open {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        return (
            f"session {a.session or '-'}",
            f"DDP {a.version or '-'}",
            opened,
            # Offline the data is the last the server sent, not live (issue 13 item 14).
            f"{self.subscription_model.ready} subs ready"
            if a.status.connected
            else f"{self.subscription_model.ready} subs (not live)",
            f"logged in as {self.user_id}" if self.user_id else "not logged in",
        )

    # -- remembering -----------------------------------------------------------------
    # Each page keeps its own splitters, column widths and tab under
    # "pages/<key>/"; the shared keys hold the layout last saved by any page,
    # which a page opened for the first time starts from.
    def splitters(self) -> list[QSplitter]:
        return [
            self.methods.splitter,
            self.collections.splitter,
            self.log.splitter,
            self.figures.splitter,
            self.history.splitter,
        ]

    def tables(self) -> list[DenseTable]:
        return [
            self.methods.table,
            self.subscriptions.table,
            self.collections.collection_table,
            self.log.table,
            *self.figures.tables(),
            self.history.table,
            # Not the document table: its columns are each collection's fields.
        ]

    def restore(self, s: QSettings) -> None:
        mine = _PageSettings(s, self.key)
        for splitter in self.splitters():
            state = mine.value(f"splitters/{splitter.objectName()}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        for table in self.tables():
            state = mine.value(f"columns/{table.objectName()}")
            if isinstance(state, QByteArray):
                table.restore_header(state)
        tab = mine.value("window/tab")
        if tab is not None and str(tab).isdigit():
            self.tabs.setCurrentIndex(min(int(str(tab)), self.tabs.count() - 1))

    def save(self, s: QSettings) -> None:
        mine = _PageSettings(s, self.key)
        mine.set_value("window/tab", self.tabs.currentIndex())
        for splitter in self.splitters():
            mine.set_value(f"splitters/{splitter.objectName()}", splitter.saveState())
        for table in self.tables():
            mine.set_value(f"columns/{table.objectName()}", table.header_state())


class _PageSettings:
    """One page's keys, falling back to the shared ones (and writing both)."""

    def __init__(self, settings: QSettings, key: str) -> None:
        self.settings = settings
        # Keys may be URLs: "/" would nest groups, so it is escaped.
        self.prefix = "pages/" + quote(key, safe="").replace("%", "_") + "/"

    def value(self, name: str) -> object:
        own = self.settings.value(self.prefix + name)
        return own if own is not None else self.settings.value(name)

    def set_value(self, name: str, value: object) -> None:
        self.settings.setValue(self.prefix + name, value)
        self.settings.setValue(name, value)
