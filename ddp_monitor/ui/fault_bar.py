"""The fault bar: faults to apply to the selected connections, or to all.

Owns ``FaultBar`` (latency each way, bandwidth, dead link, hold data,
battery saving, in the proxy control endpoint's wire form) and
``limit_to``, which leaves only the faults a source can do enabled;
imports QtWidgets/QtCore.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

__all__ = ["FaultBar"]


def _spin(
    suffix: str, maximum: float, step: float = 10, prefix: str = ""
) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setPrefix(prefix)
    box.setRange(0, maximum)
    box.setDecimals(0)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    return box


class FaultBar(QWidget):
    """Faults to apply: latency each way, bandwidth, dead link, hold data, battery saving.

    Signals:
        apply_requested(dict, bool): the faults (control endpoint's form) and
            True for all connections, False for the selected ones.
        clear_requested(bool): clear for all (True) or the selected ones.
    """

    apply_requested = Signal(dict, bool)
    clear_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latency_down = _spin(" ms", 60_000, prefix="latency ↓ ")
        self.latency_up = _spin(" ms", 60_000, prefix="↑ ")
        self.bandwidth = _spin(" KB/s", 1_000_000, 10, prefix="bandwidth ↓ ")
        self.bandwidth.setSpecialValueText("bandwidth ↓ no limit")
        self.dead_link = QCheckBox("Dead link")
        self.hold = _spin(" s", 3600, 1, prefix="hold data ")
        self.battery = _spin(" s", 3600, 5, prefix="battery saving ")
        self.latency_down.setToolTip("latency added to every frame to the client")
        self.latency_up.setToolTip("latency added to every frame to the app")
        self.hold.setToolTip("hold every data message this long, from now")
        self.battery.setToolTip(
            "close the client's socket and refuse its reconnects this long"
        )
        self.to_all = QCheckBox("All connections")
        self.to_all.setToolTip(
            "Apply to every connection and to new ones (else: the selected)"
        )
        self.apply = QPushButton("Apply faults")
        self.clear = QPushButton("Clear")
        # Two rows: in one, the bar alone made the window 1,200 px wide.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Faults:"), 0, 0)
        first = QHBoxLayout()
        for widget in (self.latency_down, self.latency_up, self.bandwidth):
            first.addWidget(widget)
        first.addWidget(self.dead_link)
        first.addStretch(1)
        second = QHBoxLayout()
        for widget in (self.hold, self.battery):
            second.addWidget(widget)
        second.addStretch(1)
        second.addWidget(self.to_all)
        second.addWidget(self.apply)
        second.addWidget(self.clear)
        layout.addLayout(first, 0, 1)
        layout.addLayout(second, 1, 1)
        self.apply.clicked.connect(
            lambda: self.apply_requested.emit(self.faults(), self.to_all.isChecked())
        )
        self.clear.clicked.connect(
            lambda: self.clear_requested.emit(self.to_all.isChecked())
        )

    def faults(self) -> dict[str, Any]:
        """The bar's settings in the control endpoint's form (every key, so they replace)."""
        down: dict[str, Any] = {"latencyMs": self.latency_down.value()}
        down["bandwidth"] = self.bandwidth.value() * 1024
        return {
            "toClient": down,
            "toServer": {"latencyMs": self.latency_up.value()},
            "deadLink": self.dead_link.isChecked(),
            "holdDataMs": self.hold.value() * 1000,
            "batterySavingMs": self.battery.value() * 1000,
        }

    def limit_to(self, offered: Collection[str], why: str) -> None:
        """Enable only the fields named in ``offered`` (``latency_down``,
        ``hold``...); the others stay at zero (off) and say ``why`` in their tooltip."""
        for name in (
            "latency_down",
            "latency_up",
            "bandwidth",
            "dead_link",
            "hold",
            "battery",
        ):
            widget = getattr(self, name)
            if name not in offered:
                widget.setEnabled(False)
                widget.setToolTip(why)
