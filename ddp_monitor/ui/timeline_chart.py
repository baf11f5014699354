"""The timeline's drawing: QtCharts lines and axes, and a band, markers and a cursor over them.

Owns ``TimelineChart`` (a ``QChartView``) and ``TimelineView`` (the seconds in
view and whether they follow the live end); imports QtCharts, QtWidgets,
QtGui, QtCore and ``qt.timeline_model`` / ``qt.status_look`` values.

QtCharts (it ships in the PySide6 wheel the app already needs: no new
dependency) draws the lines, the two value axes and the grid; the plot area
is fixed by hand (``setPlotArea``) so the parts QtCharts does not have fit
around it at known places: the markers' strip above, the status band and
the time labels below (drawn in ``drawForeground``, in the colours of the
status badge). Points are at most one per pixel (``TimelineModel.series``
merges neighbouring bins, keeping peaks), so a repaint costs the same for an
hour as for a minute.

Mouse: a press or drag moves the cursor (``cursor_moved``), a shift-drag
selects a span (``span_selected``), the wheel zooms around the pointer,
a horizontal wheel (or Alt + wheel) pans, hovering shows the figures of
that second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ddp_monitor.qt.status_look import status_colour
from ddp_monitor.qt.timeline_bins import Series
from ddp_monitor.qt.timeline_model import Marker, MarkerKind, TimelineModel

__all__ = ["TimelineChart", "TimelineView", "clock_words", "tick_step"]

_TOP = 13  # the markers' strip, above the plot
_BAND = 7  # the status band, under the plot
_LABELS = 12  # the time labels, under the band
_LEFT = 42  # the rate axis' labels
_RIGHT = 38  # the round trip axis' labels
_LEAST_PLOT = 18  # shorter than this, the lines and axes step aside: the band stays
_IN = QColor("#3b7dd8")  # server to client
_OUT = QColor("#c2458a")  # client to server
_MARKER_COLOURS = {
    MarkerKind.DROP: QColor("#d2383f"),
    MarkerKind.RECONNECT: QColor("#2e9d4f"),
    MarkerKind.SUBSCRIPTION: QColor("#1b9aa8"),
}
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)
#: Markers looked at per repaint at most: past this many in view, a sample
#: (a call flood is a solid row of ticks either way; highlighted ones are kept).
_MARKER_BUDGET = 6000


@dataclass(slots=True)
class TimelineView:
    """The seconds shown: ``length`` of them ending at ``right`` (or at now, following)."""

    length: float = 120.0
    right: float = 120.0
    follow: bool = True

    def range(self, now: float) -> tuple[float, float]:
        right = max(now, self.length) if self.follow else self.right
        start = max(0.0, right - self.length)
        return start, start + self.length


def tick_step(seconds: float, pixels: float, least: float = 64.0) -> float:
    """The first of 1, 2, 5, 10, 15, 30 s, 1, 2, 5... min that leaves ``least`` pixels between ticks."""
    for step in _STEPS:
        if step * pixels / max(seconds, 1e-9) >= least:
            return float(step)
    return float(_STEPS[-1] * math.ceil(seconds * least / pixels / _STEPS[-1]))


def clock_words(t: float) -> str:
    """Seconds since the start as ``m:ss`` or ``h:mm:ss``."""
    whole = round(t)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``value`` (an axis' top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return float(factor * power)
    return float(10 * power)


class TimelineChart(QChartView):
    """Lines of msg/s (or KB/s) in and out and the round trip, with the band, markers and cursor.

    Signals:
        cursor_moved(float): the cursor was put or dragged at this t.
        span_selected(float, float): a shift-drag ended on this span.
        range_changed(): the wheel zoomed or panned.
    """

    cursor_moved = Signal(float)
    span_selected = Signal(float, float)
    range_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        self.setObjectName("timelineChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setMouseTracking(True)
        self.setFrameShape(QChartView.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.model: TimelineModel | None = None
        self.view = TimelineView()
        self.bytes = False  # KB/s instead of msg/s
        self.cursor_t: float | None = None
        self.span: tuple[float, float] | None = None
        self.highlighted: tuple[str | None, str | None] = (None, None)
        self._drag: str | None = None  # "cursor" or "span"
        self._anchor = 0.0
        self._range = (0.0, self.view.length)
        chart.legend().hide()
        chart.setBackgroundRoundness(0)
        chart.setMargins(QMargins(0, 0, 0, 0))
        chart.layout().setContentsMargins(0, 0, 0, 0)
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.8))
        self._small = small
        self.x_axis = QValueAxis()
        self.x_axis.setLabelsVisible(False)
        self.x_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        self.x_axis.setTickAnchor(0.0)
        self.rate_axis = QValueAxis()
        self.rtt_axis = QValueAxis()
        for axis in (self.rate_axis, self.rtt_axis):
            axis.setTickCount(3)
            axis.setLabelFormat("%g")
            axis.setLabelsFont(small)
            axis.setMinorTickCount(0)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.rate_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.rtt_axis, Qt.AlignmentFlag.AlignRight)
        self.in_series = QLineSeries()
        self.out_series = QLineSeries()
        self.rtt_series = QLineSeries()
        self.rtt_series.setPointsVisible(True)
        for series, axis in (
            (self.in_series, self.rate_axis),
            (self.out_series, self.rate_axis),
            (self.rtt_series, self.rtt_axis),
        ):
            chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(axis)
        self._apply_palette()

    # -- the figures ---------------------------------------------------------------
    def plot(self) -> QRectF:
        """Where the lines go; when too short for them, a line under the markers."""
        room = self.height() - _TOP - _BAND - _LABELS - 2
        return QRectF(
            _LEFT,
            _TOP if room >= _LEAST_PLOT else min(_TOP, max(0, self.height() - _BAND)),
            max(1.0, self.width() - _LEFT - _RIGHT),
            room if room >= _LEAST_PLOT else 0.0,
        )

    def refresh(self) -> None:
        """Take the model's figures for the seconds in view (twice a second live)."""
        model = self.model
        start, end = self._range = self.view.range(model.now() if model else 0.0)
        self.x_axis.setRange(start, end)
        plot = self.plot()
        self.x_axis.setTickInterval(tick_step(end - start, plot.width()))
        if model is None:
            series = Series([], [], [], [], [], [])
        else:
            series = model.series(start, end, max(1, int(plot.width())))
        if self.bytes:
            ins = [v / 1000 for v in series.bytes_in]
            outs = [v / 1000 for v in series.bytes_out]
        else:
            ins, outs = series.msgs_in, series.msgs_out
        ts = series.t
        self.in_series.replace([QPointF(t, v) for t, v in zip(ts, ins, strict=True)])
        self.out_series.replace([QPointF(t, v) for t, v in zip(ts, outs, strict=True)])
        rtts = [r * 1000 for r in series.rtt]
        self.rtt_series.replace(
            [QPointF(t, r) for t, r in zip(ts, rtts, strict=True) if r == r]
        )
        top = max(max(ins, default=0.0), max(outs, default=0.0))
        self.rate_axis.setRange(0.0, nice_ceiling(top))
        slowest = max((r for r in rtts if r == r), default=1.0)
        self.rtt_axis.setRange(0.0, nice_ceiling(slowest))
        self.viewport().update()

    def x_of(self, t: float) -> float:
        start, end = self._range
        plot = self.plot()
        return plot.left() + (t - start) / max(end - start, 1e-9) * plot.width()

    def t_of(self, x: float) -> float:
        start, end = self._range
        plot = self.plot()
        t = start + (x - plot.left()) / plot.width() * (end - start)
        return min(max(t, start), end)

    # -- drawing what QtCharts has not ---------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        super().drawForeground(painter, rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._small)
        plot = self.plot()
        band = QRectF(plot.left(), plot.bottom() + 1, plot.width(), _BAND)
        self._draw_band(painter, band)
        self._draw_ticks(painter, band)
        self._draw_markers(painter, plot)
        self._draw_selection(painter, plot, band)
        painter.restore()

    def _draw_band(self, painter: QPainter, band: QRectF) -> None:
        palette = self.palette()
        painter.fillRect(band, palette.color(QPalette.ColorRole.Midlight))
        model = self.model
        if model is None:
            return
        start, end = self._range
        now = model.now()
        for span in model.spans:
            until = now if span.end is None else span.end
            if until < start or span.start > end:
                continue
            x0 = self.x_of(max(span.start, start))
            x1 = self.x_of(min(until, end))
            painter.fillRect(
                QRectF(x0, band.top(), max(1.0, x1 - x0), band.height()),
                status_colour(span.status),
            )

    def _draw_ticks(self, painter: QPainter, band: QRectF) -> None:
        start, end = self._range
        step = self.x_axis.tickInterval()
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        t = math.ceil(start / step) * step
        metrics = painter.fontMetrics()
        while t <= end + 1e-9:
            words = clock_words(t)
            width = metrics.horizontalAdvance(words)
            x = min(max(self.x_of(t) - width / 2, 0.0), self.width() - width)
            painter.drawText(QPointF(x, band.bottom() + metrics.ascent() + 1), words)
            t += step

    def _draw_markers(self, painter: QPainter, plot: QRectF) -> None:
        model = self.model
        if model is None:
            return
        start, end = self._range
        markers = model.markers_between(start, end)
        kind, name = self.highlighted
        every = max(1, len(markers) // _MARKER_BUDGET)
        text = self.palette().color(QPalette.ColorRole.Text)
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        last: dict[MarkerKind, int] = {}
        lit: list[Marker] = []
        for at, marker in enumerate(markers):
            if kind is not None and marker.kind == kind and name in (None, marker.name):
                lit.append(marker)
                continue
            if at % every:
                continue
            x = round(self.x_of(marker.t))
            if last.get(marker.kind) == x:
                continue  # one per pixel and kind
            last[marker.kind] = x
            colour = _MARKER_COLOURS.get(marker.kind, text)
            if kind is not None:  # something else is highlighted: these step back
                colour = QColor(colour)
                colour.setAlphaF(0.35)
            _glyph(painter, marker.kind, x, colour)
        for marker in lit:
            x = round(self.x_of(marker.t))
            painter.setPen(QPen(accent, 1))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            _glyph(painter, marker.kind, x, accent)

    def _draw_selection(self, painter: QPainter, plot: QRectF, band: QRectF) -> None:
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        if self.span is not None:
            x0, x1 = self.x_of(self.span[0]), self.x_of(self.span[1])
            shade = QColor(accent)
            shade.setAlphaF(0.22)
            painter.fillRect(QRectF(x0, 0, max(1.0, x1 - x0), band.bottom()), shade)
        if self.cursor_t is not None:
            # In the text's colour with a handle: the accent is the highlighted markers'.
            x = self.x_of(self.cursor_t)
            if plot.left() - 1 <= x <= plot.right() + 1:
                ink = self.palette().color(QPalette.ColorRole.Text)
                painter.setPen(QPen(ink, 2))
                painter.drawLine(QPointF(x, 0), QPointF(x, band.bottom()))
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(ink)
                handle = [QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 6)]
                painter.drawPolygon(QPolygonF(handle))

    # -- the mouse -----------------------------------------------------------------
    def _in_plot(self, event: QMouseEvent) -> bool:
        x = event.position().x()
        plot = self.plot()
        return plot.left() - 2 <= x <= plot.right() + 2

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._in_plot(event):
            event.ignore()
            return
        t = self.t_of(event.position().x())
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._drag, self._anchor, self.span = "span", t, (t, t)
        else:
            self._drag = "cursor"
            self._put_cursor(t)
        self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        t = self.t_of(event.position().x())
        if self._drag == "cursor":
            self._put_cursor(t)
        elif self._drag == "span":
            self.span = (min(self._anchor, t), max(self._anchor, t))
            self.viewport().update()
        elif self._in_plot(event):
            QToolTip.showText(
                event.globalPosition().toPoint(), self.moment_words(t), self
            )

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag == "span" and self.span is not None:
            lo, hi = self.span
            if hi - lo < self.model_width() / 4:  # a shift-click: no span
                self.span = None
            else:
                self.span_selected.emit(lo, hi)
            self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.mousePressEvent(event)

    def model_width(self) -> float:
        return self.model.width if self.model is not None else 1.0

    def _put_cursor(self, t: float) -> None:
        self.cursor_t = t
        self.viewport().update()
        self.cursor_moved.emit(t)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        model = self.model
        if model is None:
            return
        start, end = self._range
        view = self.view
        if delta.x() and not delta.y():  # sideways (Alt + wheel on X11): pan
            shift = -delta.x() / 120 * (end - start) / 10
            view.follow = False
            view.right = min(
                max(end + shift, view.length), max(model.now(), view.length)
            )
        elif delta.y():
            factor = 0.8 ** (delta.y() / 120)
            longest = max(model.now(), 60.0)
            length = min(max(view.length * factor, 5.0), longest)
            if not view.follow:
                # Zoom around the pointer: the second under it stays under it.
                t = self.t_of(event.position().x())
                share = (t - start) / max(end - start, 1e-9)
                view.right = t + (1 - share) * length
            view.length = length
        self.refresh()
        self.range_changed.emit()

    def moment_words(self, t: float) -> str:
        """The hover's words: the figures of the second under the pointer."""
        moment = self.model.moment(t) if self.model is not None else None
        if moment is None:
            return clock_words(t)
        p = moment.point
        when = clock_words(moment.start)
        if moment.width > 1:
            when += f" to {clock_words(moment.start + moment.width)}"
        lines = [
            f"{when} · {moment.status or 'status unknown'}",
            f"in {p.msgs_in:,.0f} msg/s · {_bytes(p.bytes_in)}/s",
            f"out {p.msgs_out:,.0f} msg/s · {_bytes(p.bytes_out)}/s",
            "RTT " + ("-" if p.rtt is None else f"{p.rtt * 1000:.1f} ms"),
        ]
        shown = moment.markers[:6]
        lines += [marker.label for marker in shown]
        if len(moment.markers) > len(shown):
            lines.append(f"... {len(moment.markers) - len(shown):,} more")
        return "\n".join(lines)

    # -- looks -------------------------------------------------------------------------
    def line_colours(self) -> tuple[QColor, QColor]:
        """The in and out lines' colours: lifted on a dark palette to keep their contrast."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        dark = base.lightness() < palette.color(QPalette.ColorRole.Text).lightness()
        lift = 135 if dark else 100
        return _IN.lighter(lift), _OUT.lighter(lift)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        plot = self.plot()
        roomy = plot.height() > 0
        for axis in (self.rate_axis, self.rtt_axis, self.x_axis):
            axis.setVisible(roomy)
        for series in (self.in_series, self.out_series, self.rtt_series):
            series.setVisible(roomy)
        self.chart().setPlotArea(plot if roomy else QRectF(plot.left(), 0, 1, 1))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlphaF(0.12)
        chart = self.chart()
        chart.setBackgroundBrush(QBrush(base))
        chart.setPlotAreaBackgroundVisible(False)
        for axis in (self.x_axis, self.rate_axis, self.rtt_axis):
            axis.setLabelsColor(text)
            axis.setGridLineColor(grid)
            axis.setLinePenColor(grid)
        self.rtt_axis.setGridLineVisible(False)
        ins, outs = self.line_colours()
        self.in_series.setPen(QPen(ins, 1.5))
        self.out_series.setPen(QPen(outs, 1.5))
        rtt = QColor(text)
        rtt.setAlphaF(0.7)
        pen = QPen(rtt, 1, Qt.PenStyle.DashLine)
        self.rtt_series.setPen(pen)
        self.rtt_series.setColor(rtt)
        self.rtt_series.setMarkerSize(4.0)
        self.viewport().update()


def _glyph(painter: QPainter, kind: MarkerKind, x: float, colour: QColor) -> None:
    """A marker's shape in the strip above the plot: colour is never its only sign."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    mid = _TOP / 2
    if kind is MarkerKind.DROP:  # pointing down: the link went
        shape = [QPointF(x - 4, 2), QPointF(x + 4, 2), QPointF(x, _TOP - 2)]
    elif kind is MarkerKind.RECONNECT:  # pointing up: it came back
        shape = [QPointF(x - 4, _TOP - 2), QPointF(x + 4, _TOP - 2), QPointF(x, 2)]
    elif kind is MarkerKind.SUBSCRIPTION:  # a diamond
        shape = [
            QPointF(x, mid - 4),
            QPointF(x + 3, mid),
            QPointF(x, mid + 4),
            QPointF(x - 3, mid),
        ]
    else:  # a call: a tick
        painter.setPen(QPen(colour, 1))
        painter.drawLine(QPointF(x, 3), QPointF(x, _TOP - 2))
        return
    painter.drawPolygon(QPolygonF(shape))


def _bytes(count: float) -> str:
    for unit, size in (("MB", 1e6), ("KB", 1e3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count:,.0f} B"
