"""Replaying N calls (``--pacing none``) beside making the same calls directly (issue 16).

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_replay [--runs 5] [--calls 1000]

The demo server runs in its own process (``ddp-monitor serve --demo``). Two
sessions are recorded once: N ``add`` calls made one after another (each
awaited: the replay keeps that order, so it waits for each answer too) and N
calls made at once (no answer before the next call: the replay sends them
all at once as well). Each run, interleaved, times from the first call to the
last answer:

1. direct: a ``DDPClient`` making the calls as the session did;
2. replay: ``replay_run.replay`` of the recording's plan (its own client);
3. compare: building the report from the replayed answers.

Prints medians and the replay/direct ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.recording.recorder import Recorder, load
from ddp_monitor.recording.replay import Plan, plan
from ddp_monitor.recording.replay_report import compare
from ddp_monitor.recording.replay_run import replay
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.demo_process import demo_server_process

__all__ = ["main"]

Calls = Callable[[DDPClient, int], Awaitable[None]]


async def one_by_one(client: DDPClient, calls: int) -> None:
    for n in range(calls):
        await client.call("add", n, 1)


async def all_at_once(client: DDPClient, calls: int) -> None:
    pending = [client.apply_nowait("add", [n, 1]) for n in range(calls)]
    await asyncio.gather(*pending)


async def _connected(url: str) -> DDPClient:
    client = DDPClient(url)
    await client.start()
    await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=10)
    return client


async def direct(url: str, calls: int, make: Calls) -> float:
    client = await _connected(url)
    try:
        start = time.perf_counter()
        await make(client, calls)
        return time.perf_counter() - start
    finally:
        await client.close()


async def recorded(url: str, calls: int, make: Calls, folder: Path) -> Plan:
    client = DDPClient(url)
    recorder = Recorder(url)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=10)
        await make(client, calls)
        path = folder / f"{make.__name__}.ddprec"
        recorder.save(path)
    return plan(load(path))


async def run(runs: int, calls: int) -> None:
    async with demo_server_process() as server:
        url = server.url
        with tempfile.TemporaryDirectory() as folder:
            for make in (one_by_one, all_at_once):
                the_plan = await recorded(url, calls, make, Path(folder))
                times: dict[str, list[float]] = {
                    "direct": [],
                    "replay": [],
                    "compare": [],
                }
                for _ in range(runs):
                    times["direct"].append(await direct(url, calls, make))
                    replayed = await replay(the_plan, url)
                    times["replay"].append(replayed.seconds)
                    start = time.perf_counter()
                    lines = compare(the_plan, replayed.answers, replayed.documents)
                    times["compare"].append(time.perf_counter() - start)
                    assert all(line["outcome"] == "same" for line in lines), lines
                medians = {k: statistics.median(v) for k, v in times.items()}
                print(
                    f"{make.__name__:>12}, {calls} calls: direct {medians['direct'] * 1000:8.1f} ms"
                    f"  replay {medians['replay'] * 1000:8.1f} ms"
                    f"  (x{medians['replay'] / medians['direct']:.2f})"
                    f"  compare {medians['compare'] * 1000:6.1f} ms"
                    f"  [medians of {runs}]"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.calls))


if __name__ == "__main__":
    main()
