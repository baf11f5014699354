"""The Meteor agent's cost on the server (issue 17, benchmark): the same app with and without it, same run.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_agent [--runs 3] [--calls 2000] [--docs 100000] [--ours]

Two real Meteor 1.9.3 servers (tests/peers) run side by side: one plain, one
with ``packaging/meteor-agent/agent.js`` loaded and its secret set. Three
configurations, measured in turn within each run (medians of ``--runs``):
the plain server, the agent with no panel attached, and the agent with one
panel attached (a ``DDPClient`` in a child process subscribed to
``ddpMonitorAgent.connections``, as the window's panel is). Figures, never
asserted:

1. method round trip p50 over ``--calls`` sequential ``echo`` calls from a
   bare ``websockets`` client (target: <= 5% more with no panel, <= 15% with one);
2. ``items(docs)`` to one bare client until ``ready``, in documents per
   second, and the server process's CPU seconds for it (the same targets);
3. the server's CPU seconds for the round trips;

as medians per configuration, with the spread of the CPU seconds, and as the
median of each run's ratio to the plain server (the three are measured back
to back in every run, in a rotating order, after one warm-up round each).

``--ours``: the same with ddp-monitor's own demo server (``ddp-monitor serve
--demo``, plain and with ``--agent-secret``: ``hosting.agent``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ddp_monitor.transport.client import DDPClient
from tests.benchmarks.bench_proxy import bare_rtt
from tests.benchmarks.bench_server import bench_items
from tests.peers.meteor_server import MeteorServer

__all__ = ["main"]

AGENT = Path(__file__).resolve().parents[2] / "packaging" / "meteor-agent" / "agent.js"
SECRET = "bench secret, long enough to be a real one"
T = TypeVar("T")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(pid: int, work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """``work()``'s value and the server's CPU seconds while it ran."""
    before = cpu_seconds(pid)
    value = await work()
    return value, cpu_seconds(pid) - before


@contextmanager
def panel_attached(url: str) -> Iterator[None]:
    """A watcher in its own process, as the window's panel: subscribed until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.bench_agent", "--watch", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "watching":
            raise RuntimeError("the panel's stand-in could not subscribe")
        yield
    finally:
        proc.terminate()
        proc.wait(10)


async def watch(url: str) -> None:
    async with DDPClient(url) as client:
        await client.subscribe("ddpMonitorAgent.connections", SECRET).wait_ready()
        print("watching", flush=True)
        await asyncio.Event().wait()


@dataclass(frozen=True)
class Served:
    """A server process under test: where to connect, whose CPU to count."""

    url: str
    pid: int


@contextmanager
def meteor(
    env: dict[str, str] | None = None, args: list[str] | None = None
) -> Iterator[Served]:
    with MeteorServer(env=env, args=args) as server:
        assert server.pid is not None
        yield Served(server.url, server.pid)


@contextmanager
def ours(*extra: str) -> Iterator[Served]:
    """``ddp-monitor serve --demo`` on a free port, in its own process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ddp_monitor", "serve", "--demo", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"our server did not start: {line!r}")
        yield Served(line.split()[-1], proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)


async def one_round(server: Served, args: argparse.Namespace) -> dict[str, float]:
    """The round trips and items(docs) against ``server``, with its CPU seconds."""
    pid = server.pid
    rtt, rtt_cpu = await measured(pid, lambda: bare_rtt(server.url, args.calls))
    items, items_cpu = await measured(pid, lambda: bench_items(server.url, args.docs))
    return {"rtt": rtt, "rtt_cpu": rtt_cpu, "items": items, "items_cpu": items_cpu}


async def run(args: argparse.Namespace) -> None:
    names = ("plain", "agent", "agent + panel")
    figures: dict[str, dict[str, list[float]]] = {
        n: {"rtt": [], "rtt_cpu": [], "items": [], "items_cpu": []} for n in names
    }
    env = {"DDP_MONITOR_AGENT_SECRET": SECRET}
    with (
        ours() if args.ours else meteor() as plain,
        ours("--agent-secret", SECRET)
        if args.ours
        else meteor(env, ["--agent", str(AGENT)]) as agent,
    ):
        # Warm both (V8 compiles the hot paths on first use); not counted.
        await one_round(plain, args)
        await one_round(agent, args)
        for run_number in range(args.runs):
            # A different order each run: no configuration always goes first.
            shift = run_number % len(names)
            for name in names[shift:] + names[:shift]:
                if name == "agent + panel":
                    with panel_attached(agent.url):
                        found = await one_round(agent, args)
                else:
                    found = await one_round(plain if name == "plain" else agent, args)
                for key, value in found.items():
                    figures[name][key].append(value)
    med = {
        n: {f: statistics.median(v) for f, v in d.items()} for n, d in figures.items()
    }
    base = med["plain"]
    print(
        f"{'ddp-monitor serve --demo' if args.ours else 'Meteor 1.9.3'},"
        f" medians of {args.runs} runs; {args.calls} echo calls, items({args.docs});"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name in names:
        m, spread = med[name], figures[name]
        # Each run measures the three back to back: its own ratio to plain is
        # less exposed to the machine's load drifting between runs.
        paired = {
            key: statistics.median(
                a / b for a, b in zip(spread[key], figures["plain"][key], strict=True)
            )
            - 1
            for key in spread
        }
        print(f"-- {name}")
        if name == "agent + panel":
            # The same server process with and without the panel: no two
            # processes' differences (placement, caches) in this ratio.
            alone = figures["agent"]
            same = {
                key: statistics.median(
                    a / b for a, b in zip(spread[key], alone[key], strict=True)
                )
                - 1
                for key in spread
            }
            print(
                "  median of per-run ratios to the agent alone (same process):"
                f" round trip {same['rtt']:+.1%}, its CPU {same['rtt_cpu']:+.1%};"
                f" items docs/s {same['items']:+.1%}, its CPU {same['items_cpu']:+.1%}"
            )
        if name != "plain":
            print(
                "  median of per-run ratios to plain:"
                f" round trip {paired['rtt']:+.1%}, its CPU {paired['rtt_cpu']:+.1%};"
                f" items docs/s {paired['items']:+.1%}, its CPU {paired['items_cpu']:+.1%}"
            )
        print(
            f"  round trip p50: {m['rtt'] * 1e6:.0f} us ({m['rtt'] / base['rtt'] - 1:+.1%});"
            f" server CPU {m['rtt_cpu']:.2f} s ({m['rtt_cpu'] / base['rtt_cpu'] - 1:+.1%},"
            f" runs {min(spread['rtt_cpu']):.2f}-{max(spread['rtt_cpu']):.2f} s)"
        )
        print(
            f"  items({args.docs}): {m['items']:,.0f} docs/s ({m['items'] / base['items'] - 1:+.1%});"
            f" server CPU {m['items_cpu']:.2f} s ({m['items_cpu'] / base['items_cpu'] - 1:+.1%},"
            f" runs {min(spread['items_cpu']):.2f}-{max(spread['items_cpu']):.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument(
        "--ours", action="store_true", help="our demo server and hosting.agent"
    )
    parser.add_argument("--watch", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(watch(args.watch) if args.watch else run(args))


if __name__ == "__main__":
    main()
