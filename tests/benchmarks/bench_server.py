"""DDPServer figures (issue 3, benchmark): memory, fan-out, items(100000) beside Meteor.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_server [--runs 3] [--connections 1000] [--docs 100000] [--no-meteor]

Our demo server runs in its own process (``python -m ddp_monitor serve --demo``),
so its memory is measured alone and the clients do not share its CPU:

1. memory per idle DDP connection: the server's RSS growth (``/proc``) after
   N clients connected, divided by N (target < 50 KB);
2. fan-out: N connections subscribed to ``tasks``; one ``tasks.add`` from
   another connection; the time until every one of them has the ``added``
   (target: within 50 ms). The receivers are plain sockets read by one
   selector that only looks for ``"added"`` in the bytes
   (``raw_sockets``): ``websockets`` clients json-decoding in this process
   were so heavy that they, not the server, were what was timed. Beside it the
   same receivers time a bare ``websockets`` server that broadcasts one
   pre-encoded frame to all of them: the floor no server can go below here;
3. ``items(docs)`` to one bare ``websockets`` client that json-decodes every
   frame until ``ready``, from our server and from the real Meteor 1.9.3
   server in the same run (target: at least Meteor's rate).

Prints the median of ``--runs`` runs for each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.benchmarks.raw_sockets import RawClient, wait_all

__all__ = ["main"]

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


@contextmanager
def our_server() -> Iterator[tuple[str, int]]:
    """Our demo server in a child process: (url, pid)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ddp_monitor", "serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        if not url.startswith("ws://"):
            raise RuntimeError(f"server did not start: {line!r}")
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def _broadcast_server(port_queue: Any) -> None:
    """A bare websockets server: `connect` -> `connected`; any `method` ->
    one pre-encoded `added` broadcast to every other socket, then `result`."""
    from websockets.asyncio.server import broadcast, serve

    added = json.dumps(
        {"msg": "added", "collection": "tasks", "id": "t1", "fields": {"title": "x"}}
    )

    async def handle(ws: Any) -> None:
        async for text in ws:
            kind = json.loads(text).get("msg")
            if kind == "connect":
                await ws.send('{"msg":"connected","session":"bare"}')
            elif kind == "sub":
                await ws.send('{"msg":"ready","subs":["t"]}')
            elif kind == "method":
                broadcast([c for c in server.connections if c is not ws], added)
                await ws.send('{"msg":"result","id":"1"}')

    async def main() -> None:
        nonlocal server
        async with serve(
            handle, "127.0.0.1", 0, compression=None, ping_interval=None
        ) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    server: Any = None
    asyncio.run(main())


@contextmanager
def bare_broadcast_server() -> Iterator[str]:
    """The fan-out floor's server in a child process: its URL."""
    import multiprocessing

    ports: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_broadcast_server, args=(ports,), daemon=True)
    proc.start()
    try:
        yield f"ws://127.0.0.1:{ports.get(timeout=30)}/websocket"
    finally:
        proc.kill()
        proc.join(10)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def ddp_open(url: str) -> ClientConnection:
    ws = await connect(url, compression=None, max_size=None)
    await ws.send(CONNECT)
    while json.loads(await ws.recv()).get("msg") != "connected":
        pass
    return ws


async def open_many(url: str, n: int) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, n, 100):  # in waves: the listen backlog is finite
        sockets += await asyncio.gather(
            *(ddp_open(url) for _ in range(min(100, n - start)))
        )
    return sockets


async def bench_memory(url: str, pid: int, n: int) -> float:
    """Bytes of server RSS per idle DDP connection."""
    warm = await open_many(url, 50)  # imports, caches and first allocations
    await asyncio.sleep(0.5)
    before = rss_bytes(pid)
    sockets = await open_many(url, n)
    await asyncio.sleep(0.5)
    after = rss_bytes(pid)
    await asyncio.gather(*(ws.close() for ws in sockets + warm))
    return (after - before) / n


def bench_fanout(url: str, n: int) -> float:
    """Seconds from sending tasks.add to the `added` on every subscriber (raw receivers)."""
    receivers = [RawClient(url) for _ in range(n)]
    for client in receivers:
        client.send_text(CONNECT)
    wait_all(receivers, b'"connected"')
    for i, client in enumerate(receivers):
        client.forget()
        client.send_text(json.dumps({"msg": "sub", "id": f"t{i}", "name": "tasks"}))
    wait_all(receivers, b'"ready"')
    writer = RawClient(url)
    writer.send_text(CONNECT)
    wait_all([writer], b'"connected"')
    for client in receivers:
        client.forget()
    start = time.perf_counter()
    writer.send_text(
        json.dumps({"msg": "method", "id": "1", "method": "tasks.add", "params": ["x"]})
    )
    elapsed = wait_all(receivers, b'"added"') - start
    writer.send_text(
        json.dumps({"msg": "method", "id": "2", "method": "tasks.remove", "params": []})
    )
    for client in [*receivers, writer]:
        client.close()
    return elapsed


async def bench_items(url: str, docs: int) -> float:
    """Documents per second of items(docs) to one bare client, until `ready`."""
    ws = await ddp_open(url)
    start = time.perf_counter()
    await ws.send(
        json.dumps({"msg": "sub", "id": "s", "name": "items", "params": [docs]})
    )
    count = 0
    while True:
        frame: Any = json.loads(await ws.recv())
        if frame.get("msg") == "added":
            count += 1
        elif frame.get("msg") == "ready":
            break
    elapsed = time.perf_counter() - start
    await ws.close()
    assert count == docs, count
    return docs / elapsed


def median(values: list[float]) -> float:
    return statistics.median(values)


async def run(args: argparse.Namespace) -> None:
    n, runs = args.connections, args.runs
    memory, fanout, floor, ours = [], [], [], []
    for _ in range(runs):
        with our_server() as (url, pid):
            memory.append(await bench_memory(url, pid, n))
        with our_server() as (url, _pid):
            fanout.append(bench_fanout(url, n))
        with bare_broadcast_server() as url:
            floor.append(bench_fanout(url, n))
        with our_server() as (url, _pid):
            ours.append(await bench_items(url, args.docs))
    print(
        f"memory per idle connection ({n} connections): {median(memory) / 1024:.1f} KB"
    )
    print(f"fan-out of one change to {n} subscribers: {median(fanout) * 1000:.1f} ms")
    print(
        f"  bare websockets broadcast to the same receivers: "
        f"{median(floor) * 1000:.1f} ms (ratio {median(fanout) / median(floor):.2f})"
    )
    print(f"items({args.docs}) from ddp-monitor: {median(ours):,.0f} docs/s")
    if args.no_meteor:
        return
    from tests.peers.meteor_server import MeteorServer

    meteor = []
    with MeteorServer() as server:
        for _ in range(runs):
            meteor.append(await bench_items(server.url, args.docs))
    print(f"items({args.docs}) from Meteor 1.9.3:  {median(meteor):,.0f} docs/s")
    print(f"ratio ours / Meteor: {median(ours) / median(meteor):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--no-meteor", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
