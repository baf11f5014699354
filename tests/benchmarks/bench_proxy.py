"""Proxy overhead (issue 14, benchmark): a DDP proxy against a direct connection, same run.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_proxy [--runs 3] [--calls 2000] [--docs 100000] [--connections 1000] [--no-aiohttp]

Upstream is the real Meteor 1.9.3 server (tests/peers). Each proxy runs in its
own process, as ``ddp-monitor proxy`` does: ours (``python -m ddp_monitor
proxy``) and, unless ``--no-aiohttp`` (or aiohttp is not installed), the
aiohttp relay of ``tests/benchmarks/aiohttp_relay.py`` (the other option the
issue asks to weigh). Figures, medians of ``--runs`` runs, never asserted:

1. method round trip p50 over ``--calls`` sequential ``echo`` calls from a
   bare ``websockets`` client and from ``DDPClient``: direct, then through
   each proxy (target: proxied <= 1.3 x direct);
2. ``items(docs)`` to one bare client that json-decodes every frame until
   ``ready``, in documents per second (target: proxied >= 80% of direct);
3. memory per idle proxied client: the proxy's RSS growth after N DDP
   clients connected through it, divided by N (target < 100 KB; each one
   holds two sockets, the client's and its upstream).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ddp_monitor.transport.client import DDPClient
from tests.benchmarks.bench_server import bench_items, ddp_open, open_many, rss_bytes
from tests.peers.meteor_server import MeteorServer

__all__ = ["main"]


def _more_files() -> None:
    # Each proxied client holds two sockets: 1,000 clients need 2,000+ files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


@contextmanager
def proxy_process(kind: str, upstream: MeteorServer) -> Iterator[tuple[str, int]]:
    """A proxy in a child process: (its ws:// URL, pid)."""
    if kind == "ours":
        command = [
            sys.executable,
            "-m",
            "ddp_monitor",
            "proxy",
            upstream.http_url,
            "--port",
            "0",
        ]
    else:
        command = [sys.executable, "-m", "tests.benchmarks.aiohttp_relay", upstream.url]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, preexec_fn=_more_files
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if kind == "ours":
            url = json.loads(line)["proxy"].replace("http://", "ws://") + "/websocket"
        else:
            url = line.rsplit(" ", 1)[-1].strip()
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


async def bare_rtt(url: str, calls: int) -> float:
    """p50 seconds of an ``echo`` round trip (result and updated) on a bare websockets client."""
    ws = await ddp_open(url)
    times = []
    for i in range(calls):
        start = time.perf_counter()
        await ws.send(
            json.dumps({"msg": "method", "id": str(i), "method": "echo", "params": [i]})
        )
        seen = 0
        while seen < 2:  # updated and result, in either order
            if json.loads(await ws.recv()).get("msg") in ("result", "updated"):
                seen += 1
        times.append(time.perf_counter() - start)
    await ws.close()
    return statistics.median(times)


async def client_rtt(url: str, calls: int) -> float:
    """p50 seconds of ``await client.call("echo", i)`` on ddp-monitor's DDPClient."""
    async with DDPClient(url) as client:
        times = []
        for i in range(calls):
            start = time.perf_counter()
            await client.call("echo", i)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


async def memory_per_client(url: str, pid: int, n: int) -> float:
    warm = await open_many(url, 50)
    await asyncio.sleep(0.5)
    before = rss_bytes(pid)
    sockets = await open_many(url, n)
    await asyncio.sleep(0.5)
    after = rss_bytes(pid)
    await asyncio.gather(*(ws.close() for ws in sockets + warm))
    return (after - before) / n


async def run(args: argparse.Namespace) -> None:
    _more_files()
    kinds = ["ours"]
    if not args.no_aiohttp:
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            print("aiohttp not installed: measuring ours only (pip install aiohttp)")
        else:
            kinds.append("aiohttp")
    figures: dict[str, dict[str, list[float]]] = {
        k: {"bare": [], "client": [], "items": [], "memory": []}
        for k in ["direct", *kinds]
    }
    with MeteorServer() as meteor:
        for _ in range(args.runs):
            direct = figures["direct"]
            direct["bare"].append(await bare_rtt(meteor.url, args.calls))
            direct["client"].append(await client_rtt(meteor.url, args.calls))
            direct["items"].append(await bench_items(meteor.url, args.docs))
            for kind in kinds:
                with proxy_process(kind, meteor) as (url, pid):
                    figures[kind]["bare"].append(await bare_rtt(url, args.calls))
                    figures[kind]["client"].append(await client_rtt(url, args.calls))
                    figures[kind]["items"].append(await bench_items(url, args.docs))
                    figures[kind]["memory"].append(
                        await memory_per_client(url, pid, args.connections)
                    )
    med = {
        k: {f: statistics.median(v) if v else 0.0 for f, v in d.items()}
        for k, d in figures.items()
    }
    d = med["direct"]
    print(f"upstream: Meteor 1.9.3; medians of {args.runs} runs")
    print(f"method round trip p50, bare client: direct {d['bare'] * 1e6:.0f} us")
    print(f"method round trip p50, DDPClient:   direct {d['client'] * 1e6:.0f} us")
    print(f"items({args.docs}): direct {d['items']:,.0f} docs/s")
    for kind in kinds:
        m = med[kind]
        print(f"-- through {kind}")
        print(
            f"  round trip p50, bare client: {m['bare'] * 1e6:.0f} us ({m['bare'] / d['bare']:.2f} x direct)"
        )
        print(
            f"  round trip p50, DDPClient:   {m['client'] * 1e6:.0f} us ({m['client'] / d['client']:.2f} x direct)"
        )
        print(
            f"  items({args.docs}): {m['items']:,.0f} docs/s ({m['items'] / d['items']:.0%} of direct)"
        )
        print(
            f"  memory per idle proxied client ({args.connections}): {m['memory'] / 1024:.1f} KB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--no-aiohttp", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
