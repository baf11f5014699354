"""The Figures tab's tables: one row per method name, one per publication name.

Owns ``FiguresModel`` (the connection's ``recording.figures.Figures`` fed by
the adaptor's ``events_flushed``, and the selected name) and its two tables,
``MethodFiguresModel`` and ``SubscriptionFiguresModel``; imports QtCore,
``recording.figures``, ``qt.cell_text`` and ``qt.table_model``. A recording
opened in the window feeds it the same events with their times, so its
figures are computed by the same code as a live connection's (issue 16).

Both tables sort by any column (numbers as numbers; a name with no time
yet sorts first) and re-sort as figures move, as the other small tables do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from PySide6.QtCore import QObject, Signal

from ddp_monitor.ddp.client.events import Event
from ddp_monitor.qt.cell_text import duration_text
from ddp_monitor.qt.table_model import Column, RowTableModel
from ddp_monitor.recording.figures import (
    SAMPLES,
    Figures,
    MethodFigures,
    Samples,
    SubscriptionFigures,
)

__all__ = [
    "METHOD",
    "SUBSCRIPTION",
    "FiguresModel",
    "MethodFiguresModel",
    "SubscriptionFiguresModel",
]

#: The kinds ``selected_name_changed`` names.
METHOD: Final = "method"
SUBSCRIPTION: Final = "subscription"

R = TypeVar("R")
_KEPT = f"over each name's last {SAMPLES:,} calls"


def _key(value: float | None) -> float:
    return -1.0 if value is None else value  # no time yet sorts first


def _timing(
    header: str, samples: Callable[[R], Samples], which: str, tip: str
) -> Column[R]:
    """A column of one percentile (``p50``, ``p95``) or the ``max`` of a figure's times."""

    def read(row: R) -> float | None:
        kept = samples(row)
        return kept.max if which == "max" else kept.percentile(int(which[1:]))

    return Column(
        header,
        lambda r: duration_text(read(r)),
        tip=tip,
        key=lambda r: _key(read(r)),
    )


def _method_columns() -> list[Column[MethodFigures]]:
    result = "from the call's frame going out to its result"
    updated = (
        "from the call's frame going out to `updated` with its result: Meteor's "
        "callback (the server's writes are visible)"
    )
    columns: list[Column[MethodFigures]] = [
        Column[MethodFigures]("method", lambda r: r.name),
        Column[MethodFigures]("calls", lambda r: f"{r.calls:,}", key=lambda r: r.calls),
        Column[MethodFigures](
            "errors",
            lambda r: f"{r.errors:,}",
            tip="an error result, or a call lost with its connection",
            key=lambda r: r.errors,
        ),
        Column[MethodFigures](
            "in flight",
            lambda r: f"{r.in_flight:,}",
            tip="made, callback not yet run (queued offline, sent, or waiting for updated)",
            key=lambda r: r.in_flight,
        ),
    ]
    figures: tuple[tuple[str, Callable[[MethodFigures], Samples], str], ...] = (
        ("result", lambda r: r.to_result, result),
        ("updated", lambda r: r.to_updated, updated),
    )
    for label, samples, tip in figures:
        for which in ("p50", "p95", "max"):
            kept = "" if which == "max" else f"; {_KEPT}"
            columns.append(
                _timing(f"{label} {which}", samples, which, f"{which} time {tip}{kept}")
            )
    return columns


def _documents(row: SubscriptionFigures) -> str:
    docs = row.documents
    known = ""
    if docs.count:
        median, most = docs.p50, docs.max
        known = (
            f"{median:,.0f}" if median == most else f"{median:,.0f} (max {most:,.0f})"
        )
    if row.unknown_documents:
        unknown = f"{row.unknown_documents} ?"
        return f"{known} + {unknown}" if known else unknown
    return known or "-"


_DOCUMENTS_TIP = (
    "initial documents: those that arrived while one subscription alone waited "
    "for ready (the median and the max). DDP does not say which subscription "
    "sent a document, so a subscription that waited beside another has no count: "
    "it is counted as ?"
)


def _subscription_columns() -> list[Column[SubscriptionFigures]]:
    ready = "from its `sub` going out (at the connect, when made offline) to `ready`"
    return [
        Column[SubscriptionFigures]("publication", lambda r: r.name),
        Column[SubscriptionFigures](
            "subs", lambda r: f"{r.subscriptions:,}", key=lambda r: r.subscriptions
        ),
        Column[SubscriptionFigures](
            "ready", lambda r: f"{r.ready:,}", key=lambda r: r.ready
        ),
        Column[SubscriptionFigures](
            "errors",
            lambda r: f"{r.errors:,}",
            tip="nosub with an error",
            key=lambda r: r.errors,
        ),
        _timing("ready p50", lambda r: r.to_ready, "p50", f"p50 time {ready}"),
        _timing("ready max", lambda r: r.to_ready, "max", f"max time {ready}"),
        Column[SubscriptionFigures](
            "initial docs",
            _documents,
            tip=_DOCUMENTS_TIP,
            key=lambda r: _key(r.documents.p50),
        ),
    ]


class MethodFiguresModel(RowTableModel[MethodFigures]):
    """One row per method name (keyed by the name)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_method_columns(), parent)

    def show(self, figures: dict[str, MethodFigures], names: set[str]) -> None:
        self._add_many([(n, figures[n]) for n in names if self.row(n) is None])
        self._touched(names)


class SubscriptionFiguresModel(RowTableModel[SubscriptionFigures]):
    """One row per publication name (keyed by the name)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_subscription_columns(), parent)

    def show(self, figures: dict[str, SubscriptionFigures], names: set[str]) -> None:
        self._add_many([(n, figures[n]) for n in names if self.row(n) is None])
        self._touched(names)


class FiguresModel(QObject):
    """A connection's figures: both tables, fed in order, and the name selected in them.

    Signals:
        selected_name_changed(str, str): ``METHOD`` or ``SUBSCRIPTION`` and the
            name chosen in the Figures tab (``"", ""`` for none), so the
            timeline can mark that name's calls or subscriptions.
    """

    selected_name_changed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.figures = Figures()
        self.methods = MethodFiguresModel(self)
        self.subscriptions = SubscriptionFiguresModel(self)
        self.selected: tuple[str, str] = ("", "")

    def apply_events(self, events: Sequence[Event], times: Sequence[float]) -> None:
        """One batch of the adaptor's ``events_flushed``: the rows it moved repaint."""
        methods, publications = self.figures.apply(events, times)
        if methods:
            self.methods.show(self.figures.methods, methods)
        if publications:
            self.subscriptions.show(self.figures.subscriptions, publications)

    def select(self, kind: str, name: str) -> None:
        """The Figures tab chose ``name`` (of ``kind``), or nothing ("", "")."""
        if (kind, name) != self.selected:
            self.selected = (kind, name)
            self.selected_name_changed.emit(kind, name)

    def set_filter_text(self, text: str) -> None:
        """Both tables show only the names containing ``text``."""
        self.methods.set_filter_text(text)
        self.subscriptions.set_filter_text(text)
