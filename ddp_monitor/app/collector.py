"""The window's plan for Python's cyclic garbage collector: no full pass over settled data.

Owns ``CollectorPlan``; imports ``gc`` and QtCore. CPython's collector
looks at every tracked container in a full (generation 2) pass. A document is
two of them (its fields dict, and a list or object inside it), so with
100,000 documents held a full pass took 90-130 ms, and a flood of new
documents makes full passes keep coming (issue 12; a bare PySide6 window
holding the same documents stalls the same way).

The plan: every ``SETTLE_MS`` in which objects survived, collect the young
generations (a few ms: cyclic garbage made since is freed there) and
``gc.freeze()`` what is left, moving it to the permanent generation, which no
pass ever scans. A full pass then sees only what arrived since the last
freeze: at 10,000 documents a second, a quarter of a second's worth.

Frozen objects are still freed by reference counting when nothing holds them
(removed documents, a closed page's rows), and documents hold no cycles. What
freezing can keep is a reference cycle that became garbage after it was
frozen (a closed connection's client and its adaptor are such a cycle,
holding its whole store), so ``collect_all()`` unfreezes, makes one full pass
and freezes again; the app calls it when a connection closes, a pause at a
moment the user chose. ``gc.freeze`` itself is O(1): a list splice.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Signal

__all__ = ["RELEASE_MS", "SETTLE_MS", "CollectorPlan"]

#: How often survivors are frozen: bounds what a full pass can find.
SETTLE_MS = 250
#: After a connection closes: its page is deleted later (deleteLater), then
#: its objects can be found.
RELEASE_MS = 1000


class CollectorPlan(QObject):
    """Freeze what survives, every ``SETTLE_MS``; ``collect_all`` when much goes.

    Signals:
        collected(int): a full pass ran (``collect_all``) and freed this many objects.
    """

    collected = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.settle)
        self.settled = 0  # how many times survivors were frozen (tests and benchmarks)
        self._middle = -1  # generation 1 passes counted at the last freeze

    def start(self) -> None:
        """Freeze what exists (the window, modules, Qt wrappers) from the first step on.

        The first step comes ``SETTLE_MS`` later, after the window's first
        paint, and turns the collector on if start-up turned it off
        (``cli.main``): nothing collects or freezes before the window shows.
        """
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def settle(self) -> None:
        """Collect the young generations, then freeze what survived (if anything did)."""
        if not gc.isenabled():
            # The first step after a start with the collector off: what start-up
            # made (modules, the window) lives for the whole run, so it is
            # frozen without a pass (a pass over all of it stalled ~50 ms).
            gc.freeze()
            gc.enable()
            self.settled += 1
            return
        _new, young_passes, middle_passes = gc.get_count()
        if not young_passes and middle_passes == self._middle:
            return  # no pass since the last freeze: nothing outlived generation 0
        gc.collect(1)
        gc.freeze()
        self._middle = gc.get_count()[2]
        self.settled += 1

    def released(self) -> None:
        """Something big went away (a connection): one full pass soon."""
        QTimer.singleShot(RELEASE_MS, self, self.collect_all)

    def collect_all(self) -> int:
        """One full pass over everything, frozen included; returns what it freed."""
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.collected.emit(freed)
        return freed
