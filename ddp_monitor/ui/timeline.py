"""The timeline at the top of a page: a connection's life and traffic over time (issue 16).

Owns ``Timeline``; imports QtWidgets/QtCore, ``ui.timeline_chart`` (the
drawing), ``qt.timeline_model`` (the figures), the ``ClientAdaptor`` and
``recording`` values it can be pointed at.

One widget for a live connection and for a recording: ``set_source`` takes
either. Live, it follows the newest second (the Live switch) and redraws
twice a second while shown, never while hidden (the model keeps
counting: that costs a counter per frame). The cursor and the span are the
caller's to use: ``cursor_moved(t)`` to show every panel at that moment,
``span_selected(start, end)`` to save that part; t is seconds since t = 0
of the adaptor's recorder (the saved recording's ``t``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.timeline_model import MarkerKind, TimelineModel
from ddp_monitor.recording.recorder import Recording
from ddp_monitor.ui.timeline_chart import TimelineChart

__all__ = ["BAND_ONLY", "HEIGHT", "REFRESH_MS", "SETTING", "Timeline"]

#: The timeline's height: the figures legible, the tables below keep their room.
HEIGHT = 104
#: Below this the legend steps aside, and below ``BAND_ONLY`` the charts:
#: the timeline gives way to the tables when the window is at its least
#: (1024x640 with the Server dock open in proxy mode leaves it 12 pixels;
#: tests/ui/test_window_layout.py checks the window's minimum).
ROOMY = 88
BAND_ONLY = 44
#: Where the window's settings keep View > Timeline (shown or hidden).
SETTING = "view/timeline"
#: Live redraws: twice a second (the bins are a second wide; each redraw
#: costs a few milliseconds of the window's thread, bench_timeline says how many).
REFRESH_MS = 500


class Timeline(QFrame):
    """Status band, traffic each way, round trips and markers over time, with a cursor.

    Signals:
        cursor_moved(float): the user put the cursor at this t (seconds since t = 0).
        span_selected(float, float): the user shift-dragged this span (start, end).

    The source is a ``ClientAdaptor`` (live) or a ``Recording``
    (``set_source``); the model it made is ``model``.
    """

    cursor_moved = Signal(float)
    span_selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        # Up to HEIGHT and no taller: the tabs below take what is left; no
        # least height of its own (minimumSizeHint), so it never pushes the
        # window past a small screen.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.chart = TimelineChart()
        self.model: TimelineModel | None = None
        self.live_button = QToolButton()
        self.live_button.setObjectName("timelineLive")
        self.live_button.setText("Live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip(
            "Follow live: the newest second stays at the right edge. The wheel "
            "zooms; a sideways wheel (Alt + wheel) goes back in time."
        )
        self.bytes_button = QToolButton()
        self.bytes_button.setObjectName("timelineBytes")
        self.bytes_button.setText("msg/s")
        self.bytes_button.setCheckable(True)
        self.bytes_button.setToolTip(
            "Messages per second each way; press for kilobytes per second"
        )
        self.legend = QLabel()
        self.legend.setObjectName("timelineLegend")
        self.legend.setToolTip(
            "Above the chart: ▼ a drop, ▲ a reconnect, ◆ a subscription, "
            "| a call. Below: the connection's status. Click or drag to put "
            "the cursor; shift-drag to select a span."
        )
        small = self.legend.font()
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.8))
        self.legend.setFont(small)
        side = QVBoxLayout()
        side.setContentsMargins(6, 4, 2, 4)
        side.setSpacing(3)
        for button in (self.live_button, self.bytes_button):
            button.setAutoRaise(True)
            side.addWidget(button)
        side.addWidget(self.legend)
        # One background with the chart's (after the parts: a palette change
        # redraws the legend).
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self._show_legend()
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addLayout(side)
        row.addWidget(self.chart, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._news = False  # the model changed since the last redraw
        self.live_button.toggled.connect(self.set_follow)
        self.bytes_button.toggled.connect(self._show_bytes)
        self.chart.cursor_moved.connect(self.cursor_moved)
        self.chart.span_selected.connect(self.span_selected)
        self.chart.range_changed.connect(self._range_changed)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = event.size().height()
        self.legend.setVisible(height >= ROOMY)
        self.bytes_button.setVisible(height >= BAND_ONLY)
        self.live_button.setVisible(height >= BAND_ONLY // 2)

    # -- the source ------------------------------------------------------------------
    def set_source(
        self, source: ClientAdaptor | Recording | TimelineModel | None
    ) -> None:
        """Show a live connection, a recording, a model made elsewhere, or nothing.

        Live, the view follows the newest two minutes; a recording is shown
        whole. The cursor and the span are cleared.
        """
        old = self.model
        if isinstance(source, ClientAdaptor):
            model: TimelineModel | None = TimelineModel.following(source)
        elif isinstance(source, Recording):
            model = TimelineModel.from_recording(source)
        else:
            model = source
        if model is not None and model.parent() is None:
            model.setParent(self)
        if old is not None and old is not model:
            old.changed.disconnect(self._model_changed)
            if old.parent() is self:
                old.deleteLater()  # its connection to the adaptor goes with it
        if model is not None:
            model.changed.connect(self._model_changed)
        self.model = self.chart.model = model
        self.chart.cursor_t = self.chart.span = None
        view = self.chart.view
        live = model is not None and model.live
        if model is not None and not live:
            view.length = view.right = max(model.now(), 10.0)
        else:
            view.length = view.right = 120.0
        self.set_follow(live)
        self._run_timer()
        self.chart.refresh()

    # -- what a caller asks ---------------------------------------------------------------
    def selected_span(self) -> tuple[float, float] | None:
        """The span last shift-dragged (start, end in seconds), or None."""
        return self.chart.span

    def cursor_time(self) -> float | None:
        """Where the cursor is (seconds), or None when it was never put."""
        return self.chart.cursor_t

    def set_cursor(self, t: float | None) -> None:
        """Put the cursor at ``t`` without emitting (a seek made elsewhere)."""
        self.chart.cursor_t = t
        self.chart.viewport().update()

    def clear_span(self) -> None:
        self.chart.span = None
        self.chart.viewport().update()

    def highlight(self, kind: MarkerKind | str | None, name: str | None = None) -> None:
        """Bring out the markers of one kind (``"call"``, ``"subscription"``...),
        only those named ``name`` when given (a method or publication); the rest
        step back. ``highlight(None)`` shows them all alike again."""
        self.chart.highlighted = (None if kind is None else MarkerKind(kind), name)
        self.chart.viewport().update()

    def show_range(self, start: float, end: float) -> None:
        """Show the seconds from ``start`` to ``end`` (stops following live)."""
        view = self.chart.view
        view.length, view.right = max(end - start, 1.0), end
        self.set_follow(False)
        self.chart.refresh()

    def visible_range(self) -> tuple[float, float]:
        """The seconds in view now."""
        return self.chart.view.range(self.model.now() if self.model else 0.0)

    @Slot(bool)
    def set_follow(self, on: bool) -> None:
        """Follow the live end (only a live source can)."""
        on = on and self.model is not None and self.model.live
        self.chart.view.follow = on
        self.live_button.setEnabled(self.model is not None and self.model.live)
        if self.live_button.isChecked() != on:
            self.live_button.blockSignals(True)
            self.live_button.setChecked(on)
            self.live_button.blockSignals(False)
        self.chart.refresh()

    # -- reacting ----------------------------------------------------------------------
    def _show_bytes(self, on: bool) -> None:
        self.chart.bytes = on
        self.bytes_button.setText("KB/s" if on else "msg/s")
        self.bytes_button.setToolTip(
            "Kilobytes per second each way; press for messages per second"
            if on
            else "Messages per second each way; press for kilobytes per second"
        )
        self.chart.refresh()

    def _range_changed(self) -> None:
        if not self.chart.view.follow and self.live_button.isChecked():
            self.set_follow(False)

    def _show_legend(self) -> None:
        ins, outs = self.chart.line_colours()
        self.legend.setText(
            f"<span style='color:{ins.name()}'>━</span> in&nbsp; "
            f"<span style='color:{outs.name()}'>━</span> out<br>┄ RTT ms"
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._show_legend()

    def _tick(self) -> None:
        # Following, the view moves with the clock; else only news redraw it.
        if self.chart.view.follow or self._news:
            self._news = False
            self.chart.refresh()

    def _model_changed(self) -> None:
        self._news = True

    def _run_timer(self) -> None:
        live = self.model is not None and self.model.live
        if live and self.isVisible():
            self._timer.start()
        else:
            self._timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._run_timer()
        self.chart.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()
