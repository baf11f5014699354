"""What the History view and the Figures tab cost on a full ring (issue 16). Prints figures.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_history [--documents 60000] [--repeat 5]

A real connection fills a ``Recorder`` ring of the window's size (200,000
items): our demo server in this process, the client subscribed to
``items(N)`` (an ``added`` frame and a ``DocumentAdded`` event per document)
and ``ticker(5)``, with calls to ``add`` meanwhile. Then, medians of
``--repeat`` runs, in the same run:

- choosing a document: ``document_history`` over the whole ring, for the
  ticking ``tick`` (many changes) and for one item (one change), and the
  same over a full scan that parses every ``in`` frame (what the quoted-id
  test before ``json.loads`` saves);
- following it: ``HistoryReader.feed`` of one flush's new items (~60 ms of
  traffic);
- the figures of the whole ring (``Figures.feed``), as when a recording opens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable

from ddp_monitor.ddp.client.events import DocumentChanged
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.recording.figures import Figures
from ddp_monitor.recording.history import HistoryReader, document_history
from ddp_monitor.recording.recorder import DEFAULT_LIMIT, Recorder
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["main"]


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _parse_every_frame(items: list[tuple[float, object]]) -> int:
    """The naive scan: every in frame parsed (what the quoted-id test avoids)."""
    named = 0
    for _, item in items:
        if isinstance(item, Frame) and item.direction is Direction.IN:
            message = json.loads(item.data)
            named += message.get("id") == "tick"
    return named


async def _fill(documents: int) -> Recorder:
    server = create_demo_server(host="127.0.0.1", port=0)
    await server.start()
    recorder = Recorder(str(server.url), limit=DEFAULT_LIMIT)
    client = DDPClient(str(server.url))
    recorder.attach(client)
    try:
        async with client:
            await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=30)
            ticker = client.subscribe("ticker", 5)
            await asyncio.wait_for(ticker.wait_ready(), 30)
            items = client.subscribe("items", documents)
            await asyncio.wait_for(items.wait_ready(), 120)
            while len(recorder) < DEFAULT_LIMIT:
                await asyncio.wait_for(client.call("add", 1, 2), 30)
    finally:
        await server.stop()
    return recorder


def run(documents: int, repeat: int) -> None:
    recorder = asyncio.run(_fill(documents))
    items = list(recorder.items())
    frames = sum(isinstance(i, Frame) for _, i in items)
    ticks = sum(isinstance(i, DocumentChanged) for _, i in items)
    print(
        f"ring: {len(items):,} items ({frames:,} frames, {ticks:,} tick changes, "
        f"{recorder.dropped:,} let go)"
    )
    tick = _median_ms(lambda: document_history(items, "ticker", "tick"), repeat)
    one = _median_ms(lambda: document_history(items, "items", "i777"), repeat)
    naive = _median_ms(lambda: _parse_every_frame(items), repeat)
    changes = len(document_history(items, "ticker", "tick").changes)
    print(f"medians of {repeat}")
    print(f"choose 'tick' ({changes:,} changes)     : {tick:7.1f} ms")
    print(f"choose 'i777' (1 change)          : {one:7.1f} ms")
    print(f"every in frame parsed, for compare: {naive:7.1f} ms")
    # One flush: the items of the last ~60 ms of the ring.
    end = items[-1][0]
    flush = [pair for pair in items if pair[0] >= end - 0.060]
    follow = _median_ms(lambda: HistoryReader("ticker", "tick").feed(flush), repeat)
    print(f"follow one flush ({len(flush):,} items)     : {follow:7.3f} ms")
    figures = _median_ms(lambda: Figures().feed(items), repeat)
    print(f"figures of the whole ring         : {figures:7.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    run(args.documents, args.repeat)


if __name__ == "__main__":
    main()
