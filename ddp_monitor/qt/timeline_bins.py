"""The timeline's traffic bins: frames and bytes each way, and the fastest round trip, per bin.

Owns ``Bins``, ``Series`` and ``Point``; imports the standard library only (no Qt: pure
arithmetic, shared by the live and the recorded timeline through
``qt.timeline_model``).

Bounded memory: at most ``max_bins`` bins. They start ``width`` seconds wide
(one); when time runs past the last bin, pairs merge and the width doubles
(2 s, 4 s...), so a long connection keeps its whole history at a coarser
grain; ``width_for`` gives a recording the width its duration needs at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_BINS", "Bins", "Point", "Series", "byte_length", "width_for"]

#: Bins kept at most; 4,096 one-second bins are the last 68 minutes.
MAX_BINS: Final = 4096


@dataclass(frozen=True, slots=True)
class Series:
    """The charts' points as columns: per second rates, the fastest round trip (nan: none)."""

    t: list[float]
    msgs_in: list[float]
    msgs_out: list[float]
    bytes_in: list[float]
    bytes_out: list[float]
    rtt: list[float]


@dataclass(frozen=True, slots=True)
class Point:
    """One point of the charts: rates per second and the fastest round trip (None: none)."""

    t: float
    msgs_in: float
    msgs_out: float
    bytes_in: float
    bytes_out: float
    rtt: float | None


def byte_length(data: str | bytes) -> int:
    """A frame's size in bytes as UTF-8 on the wire."""
    # A str's isascii() is a flag lookup in CPython: most DDP frames are ASCII
    # and their length is their UTF-8 length; the rest are encoded to count.
    if isinstance(data, bytes) or data.isascii():
        return len(data)
    return len(data.encode("utf-8"))


def width_for(duration: float, max_bins: int = MAX_BINS) -> float:
    """The bin width (1 s doubled as often as needed) that holds ``duration`` in ``max_bins``."""
    width = 1.0
    while duration / width >= max_bins:
        width *= 2
    return width


class Bins:
    """Counts per bin; ``index(t)`` makes room for ``t`` (merging if it must)."""

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "max_bins",
        "msgs_in",
        "msgs_out",
        "rtt",
        "width",
    )

    def __init__(self, width: float = 1.0, max_bins: int = MAX_BINS) -> None:
        self.width = width  # seconds per bin
        self.max_bins = max_bins
        self.msgs_in: list[int] = []
        self.msgs_out: list[int] = []
        self.bytes_in: list[int] = []
        self.bytes_out: list[int] = []
        self.rtt: list[float] = []  # the bin's fastest round trip; nan: none

    def __len__(self) -> int:
        return len(self.msgs_in)

    def index(self, t: float) -> int:
        """The bin of ``t`` seconds, there to be added to."""
        at = int(t / self.width) if t > 0 else 0
        if at >= len(self.msgs_in):
            self._grow(at)
            at = int(t / self.width) if t > 0 else 0
        return at

    def frame(self, t: float, inbound: bool, size: int) -> None:
        at = int(t / self.width) if t > 0 else 0
        if at >= len(self.msgs_in):  # the rare case out of line: a call less per frame
            at = self.index(t)
        if inbound:
            self.msgs_in[at] += 1
            self.bytes_in[at] += size
        else:
            self.msgs_out[at] += 1
            self.bytes_out[at] += size

    def round_trip(self, t: float, seconds: float) -> None:
        at = self.index(t)
        self.rtt[at] = fastest(self.rtt[at], seconds)

    def _grow(self, at: int) -> None:
        """Room for bin ``at``: merge pairs while it lies past ``max_bins``, then extend."""
        while at >= self.max_bins:
            self._merge()
            at //= 2
        more = at + 1 - len(self.msgs_in)
        for counts in (self.msgs_in, self.msgs_out, self.bytes_in, self.bytes_out):
            counts.extend([0] * more)
        self.rtt.extend([math.nan] * more)

    def _merge(self) -> None:
        def pairs(values: list[int]) -> list[int]:
            if len(values) % 2:
                values = [*values, 0]
            return [a + b for a, b in zip(values[::2], values[1::2], strict=True)]

        self.msgs_in = pairs(self.msgs_in)
        self.msgs_out = pairs(self.msgs_out)
        self.bytes_in = pairs(self.bytes_in)
        self.bytes_out = pairs(self.bytes_out)
        rtt = self.rtt if len(self.rtt) % 2 == 0 else [*self.rtt, math.nan]
        self.rtt = [fastest(a, b) for a, b in zip(rtt[::2], rtt[1::2], strict=True)]
        self.width *= 2

    def point(self, at: int) -> Point:
        """Bin ``at`` as rates per second; its ``t`` is the bin's start."""
        w = self.width
        rtt = self.rtt[at]
        return Point(
            at * w,
            self.msgs_in[at] / w,
            self.msgs_out[at] / w,
            self.bytes_in[at] / w,
            self.bytes_out[at] / w,
            None if math.isnan(rtt) else rtt,
        )

    def series(self, start: float, end: float, most: int, complete: int) -> Series:
        """The bins from ``start`` to ``end`` seconds (of the first ``complete``), at most ``most`` points.

        With more bins than points, neighbours are merged keeping each one's
        highest rate and fastest round trip, so a one-second burst still shows
        when zoomed out. Each point's ``t`` is the middle of its bins. Lists,
        not a value per point: this runs for every redraw.
        """
        w = self.width
        lo = max(0, int(start / w))
        hi = min(complete, len(self), math.ceil(end / w) + 1)
        if hi <= lo:
            return Series([], [], [], [], [], [])
        step = max(1, math.ceil((hi - lo) / max(1, most)))
        cuts = range(0, hi - lo, step)

        def rates(values: list[int]) -> list[float]:
            part = values[lo:hi]
            if step == 1:
                return [v / w for v in part]
            return [max(part[at : at + step]) / w for at in cuts]

        rtt = self.rtt[lo:hi]
        if step > 1:
            rtt = [
                min((r for r in rtt[at : at + step] if r == r), default=math.nan)
                for at in cuts
            ]
        return Series(
            [(lo + at + min(step, hi - lo - at) / 2) * w for at in cuts],
            rates(self.msgs_in),
            rates(self.msgs_out),
            rates(self.bytes_in),
            rates(self.bytes_out),
            rtt,
        )


def fastest(a: float, b: float) -> float:
    """The smaller of two round trips, nan standing for none measured."""
    if a != a:
        return b
    if b != b:
        return a
    return min(a, b)
