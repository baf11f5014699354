"""Soak: session resumption's memory bounds under 1,000 clients that drop without closing (issue 15). Prints figures.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_resumption [--clients 1000] [--subscribe-only]

``--subscribe-only`` prints the server's RSS with the clients subscribed, with
resumption on and off (``disconnect_grace_period=0``), in the same run: what
keeping the last frames of each session costs.

Our demo server runs in its own process (RSS from /proc; its sessions read
through a ``bench.stats`` method over DDP). Each phase connects ``--clients``
raw WebSocket clients that subscribe to ``tasks`` (20 documents), then cuts
every TCP connection with a reset (no close frame, as a phone that loses its
network):

1. held: nothing changes afterwards. The detached sessions must stay for the
   grace period (15 s) and then end, every one, with their memory;
2. overflow: a writer adds 40 tasks/s to the publication they all follow,
   so each detached session's gap grows; each must end once it holds more
   than ``maxMessageQueueLength`` (100) frames, long before the grace period;
3. resume: every client reconnects on a new socket with its ``session`` and
   ``receivedCount``; how many get the same session back, the time to
   ``connected``, then a goodbye (``disconnect``) from each: how fast the
   sessions end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.benchmarks.bench_soak import rss_mb

__all__ = ["main"]

CONNECT = {"msg": "connect", "version": "1", "support": ["1"]}
_UNCOUNTED = ("ping", "pong", "connected", "failed")
_SERVER = """
import asyncio, gc, sys
from ddp_monitor.cli.main import configure_logging
from ddp_monitor.ddp.server.session import ServerSession
from ddp_monitor.demo.server import create_demo_server
configure_logging(0, 0)
async def main():
    server = create_demo_server(port=0, disconnect_grace_period=float(sys.argv[1]))
    def stats(this):
        conns = server.connections
        return {
            "sessions": len(conns),
            "detached": sum(c.detached for c in conns),
            "held": sum(c.frames_held for c in conns),
            "maxHeld": max((c.frames_held for c in conns), default=0),
            "resumptions": sum(c.resumptions for c in conns),
        }
    def live(this):
        gc.collect()
        return sum(isinstance(o, ServerSession) for o in gc.get_objects())
    server.methods({"bench.stats": stats, "bench.live": live})
    async with server:
        print(server.url, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


@contextmanager
def server_process(grace: float = 15.0) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(grace)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("ws://"):
            raise RuntimeError("the server did not start")
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


class Raw:
    """One raw DDP client that counts what a resuming client counts."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.session = ""
        self.count = 0

    @classmethod
    async def open(cls, url: str, hello: dict[str, Any] = CONNECT) -> Raw:
        raw = cls(await connect(url, compression=None, max_size=None))
        await raw.send(hello)
        raw.session = (await raw.until("connected"))["session"]
        return raw

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def until(self, kind: str, **fields: Any) -> dict[str, Any]:
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("msg") not in _UNCOUNTED:
                self.count += 1
            if message.get("msg") == kind and all(
                message.get(k) == v for k, v in fields.items()
            ):
                return message

    def reset(self) -> None:
        """Gone without a word: RST, no close frame."""
        sock = self.ws.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.ws.transport.abort()


async def stats(admin: Raw, n: list[int]) -> dict[str, int]:
    n[0] += 1
    method_id = f"s{n[0]}"
    await admin.send(
        {"msg": "method", "id": method_id, "method": "bench.stats", "params": []}
    )
    return dict((await admin.until("result", id=method_id))["result"])


async def subscribed_clients(url: str, count: int) -> list[Raw]:
    clients: list[Raw] = []
    for start in range(0, count, 100):
        batch = await asyncio.gather(
            *(Raw.open(url) for _ in range(start, min(count, start + 100)))
        )
        for raw in batch:
            await raw.send({"msg": "sub", "id": "t", "name": "tasks", "params": []})
        await asyncio.gather(*(raw.until("ready") for raw in batch))
        clients += batch
    return clients


async def watch(
    admin: Raw, pid: int, label: str, until: float, writer: Raw | None = None
) -> None:
    """Print the sessions, detached, frames held and RSS each second until none is left.

    The clock starts once the server has seen every reset (all detached).
    """
    n = [0]
    # Polled over DDP: the server's state has no event a client can await.
    while (await stats(admin, n))["detached"] < admin_clients[0]:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    started = time.monotonic()
    peak_held = 0
    adds = 0
    print(f"# {label}")
    print("    t (s)  sessions  detached  frames held  max/session  RSS (MB)")
    next_print = 0.0
    while True:
        now = time.monotonic() - started
        if writer is not None:  # 40 tasks/s to everyone's publication
            while adds < now * 40:
                adds += 1
                await writer.send(
                    {
                        "msg": "method",
                        "id": f"a{adds}",
                        "method": "tasks.add",
                        "params": [f"gap {adds}"],
                    }
                )
        if now >= next_print:
            s = await stats(admin, n)
            peak_held = max(peak_held, s["held"])
            print(
                f"    {now:5.1f}  {s['sessions']:8,}  {s['detached']:8,}  "
                f"{s['held']:11,}  {s['maxHeld']:11,}  {rss_mb(pid):8.0f}"
            )
            if s["detached"] == 0 or now > until:
                print(f"    peak frames held {peak_held:,}; writes {adds:,}")
                return
            next_print += 1.0
        await asyncio.sleep(0.025)


admin_clients = [0]  # how many resets each phase waits to be seen


async def subscribed_rss(clients: int) -> None:
    """RSS with ``clients`` subscribed, resumption on then off, alternating."""
    rows: dict[float, list[float]] = {15.0: [], 0.0: []}
    for _ in range(3):
        for grace in rows:
            with server_process(grace) as (url, pid):
                writer = await Raw.open(url)
                for n in range(150):
                    await writer.send(
                        {
                            "msg": "method",
                            "id": f"w{n}",
                            "method": "tasks.add",
                            "params": [f"task {n}"],
                        }
                    )
                await writer.until("result", id="w149")
                idle = rss_mb(pid)
                held = await subscribed_clients(url, clients)
                rows[grace].append((rss_mb(pid) - idle) * 1024 / clients)
                for raw in held:
                    await raw.ws.close()
    for grace, per in rows.items():
        label = "on (15 s)" if grace else "off      "
        print(
            f"resumption {label}: {statistics.median(per):.1f} KB per subscribed "
            f"client (150 documents each; runs {', '.join(f'{x:.1f}' for x in per)})"
        )


async def run(args: argparse.Namespace) -> None:
    admin_clients[0] = args.clients
    if args.subscribe_only:
        await subscribed_rss(args.clients)
        return
    with server_process() as (url, pid):
        admin = await Raw.open(url)
        writer = await Raw.open(url)
        for n in range(20):
            await writer.send(
                {
                    "msg": "method",
                    "id": f"w{n}",
                    "method": "tasks.add",
                    "params": [f"task {n}"],
                }
            )
        await writer.until("result", id="w19")
        print(f"server RSS idle          : {rss_mb(pid):.0f} MB")

        clients = await subscribed_clients(url, args.clients)
        print(f"server RSS, {args.clients:,} subscribed : {rss_mb(pid):.0f} MB")
        for raw in clients:
            raw.reset()
        await watch(admin, pid, "held: reset, nothing written", 25.0)

        clients = await subscribed_clients(url, args.clients)
        for raw in clients:
            raw.reset()
        await watch(admin, pid, "overflow: reset, 40 writes/s", 25.0, writer)

        clients = await subscribed_clients(url, args.clients)
        for raw in clients:
            raw.reset()
        times: list[float] = []

        async def resume(old: Raw) -> Raw:
            started = time.monotonic()
            hello = {**CONNECT, "session": old.session, "receivedCount": old.count}
            new = await Raw.open(url, hello)
            times.append(time.monotonic() - started)
            return new

        resumed: list[Raw] = []
        for start in range(0, len(clients), 100):
            resumed += await asyncio.gather(
                *(resume(old) for old in clients[start : start + 100])
            )
        same = sum(
            new.session == old.session
            for new, old in zip(resumed, clients, strict=True)
        )
        ms = sorted(t * 1000 for t in times)
        print("# resume: reset, then a new socket with session and receivedCount")
        print(f"    same session back    : {same:,} of {len(clients):,}")
        print(
            f"    time to connected    : p50 {statistics.median(ms):.1f} ms, "
            f"p99 {ms[int(len(ms) * 0.99)]:.1f} ms (batches of 100)"
        )
        s = await stats(admin, [100])
        print(
            f"    resumptions counted  : {s['resumptions']:,}, frames held {s['held']:,}"
        )
        started = time.monotonic()
        for raw in resumed:
            await raw.send({"msg": "disconnect"})
        n = [200]
        while (await stats(admin, n))["sessions"] > 2:  # noqa: ASYNC110 (polled)
            await asyncio.sleep(0.01)
        print(
            f"    after a goodbye each : sessions gone in {time.monotonic() - started:.2f} s"
        )
        await asyncio.sleep(3)  # the sockets' close handshakes (close timeout 2 s)
        await admin.send({"msg": "method", "id": "live", "method": "bench.live"})
        live = (await admin.until("result", id="live"))["result"]
        print(f"server RSS at the end    : {rss_mb(pid):.0f} MB")
        print(f"ServerSession objects alive at the end: {live} (admin and writer: 2)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--subscribe-only", action="store_true")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
