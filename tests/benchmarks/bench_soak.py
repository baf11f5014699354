"""Soak: a server under connection churn and slow readers (issue 11, item 5). Prints figures.

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_soak [--clients 500] [--seconds 15] [--slow 3]

Our demo server runs in its own process (its RSS and sockets read from /proc),
with a 32 MiB bound on what may wait for a client that does not read, so the
slow-reader phase fills it in seconds:

1. churn: ``--clients`` workers connect, shake hands, call ``echo``, and leave
   (half with a close handshake, half by dropping the TCP connection) for
   ``--seconds``: connects per second, connect latency p50/p99/max, failed
   attempts, the server's warnings ("socket.send() raised exception." among
   them), its RSS and open sockets at the start, at the end, and once settled;
2. slow readers: ``--slow`` clients subscribe to 600,000 documents and never
   read; the time until the server drops them, and its RSS before, at the
   peak, and 0.5 s and 5 s after the drop (the memory must come back at the
   drop, not when the collector happens to run);
3. a session killed by an error: a frame over the size limit; how long its
   socket stays open when the client does not answer the close.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from websockets.asyncio.client import connect

__all__ = ["main"]

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})
_SERVER = """
import asyncio, sys
from ddp_monitor.cli.main import configure_logging
from ddp_monitor.demo.server import create_demo_server
configure_logging(0, 0)
async def main():
    server = create_demo_server(port=0, max_queued_bytes=32 * 1024 * 1024,
                                max_message_size=1024 * 1024)
    async with server:
        print(server.url, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


@contextmanager
def server_process() -> Iterator[tuple[str, int, Path]]:
    """(url, pid, stderr log file) of a demo server in a child process."""
    log = Path(f"/tmp/bench-soak-{os.getpid()}.log")
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("ws://"):
            raise RuntimeError(f"server did not start: {log.read_text()}")
        open_sockets(proc.pid)  # the idle count
        yield url, proc.pid, log
    finally:
        proc.terminate()
        proc.wait(10)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


_IDLE_SOCKETS: dict[int, int] = {}


def open_sockets(pid: int) -> int:
    """Sockets the server has open beyond its idle ones (listener, loop self-pipe)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count - _IDLE_SOCKETS.setdefault(pid, count)


async def churn(url: str, pid: int, workers: int, seconds: float, log: Path) -> None:
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    rss_start, sockets_start = rss_mb(pid), open_sockets(pid)

    async def worker(n: int) -> None:
        nonlocal failures
        rng = random.Random(n)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                async with asyncio.timeout(60):
                    ws = await connect(url, compression=None)
                    await ws.send(CONNECT)
                    await ws.recv()
                    latencies.append(time.monotonic() - started)
                    await ws.send(
                        '{"msg":"method","id":"1","method":"echo","params":[1]}'
                    )
                    while '"result"' not in str(await ws.recv()):
                        pass
                    if rng.random() < 0.5:
                        await ws.close()
                    else:
                        ws.transport.abort()  # gone without a word, as a phone
            except (OSError, TimeoutError, Exception):
                failures += 1

    await asyncio.gather(*(worker(n) for n in range(workers)))
    rss_end, sockets_end = rss_mb(pid), open_sockets(pid)
    await asyncio.sleep(5)
    print(f"# churn: {workers} workers for {seconds:.0f} s")
    print(
        f"connects              : {len(latencies):,} ({len(latencies) / seconds:,.0f}/s), failed attempts {failures:,}"
    )
    if latencies:
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"connect latency       : p50 {statistics.median(ms):.1f} ms, "
            f"p99 {ms[int(len(ms) * 0.99)]:.1f} ms, max {ms[-1]:.1f} ms"
        )
    print(
        f"server RSS            : {rss_start:.0f} MB -> {rss_end:.0f} MB -> {rss_mb(pid):.0f} MB settled (5 s)"
    )
    print(
        f"server open sockets   : {sockets_start} -> {sockets_end} -> {open_sockets(pid)} settled"
    )
    text = log.read_text()  # noqa: ASYNC240 (a benchmark's log, after the run)
    print(
        f"server log            : {text.count('socket.send() raised exception')} "
        f"'socket.send() raised exception.', {text.count('Traceback')} tracebacks, "
        f"{len(text.splitlines())} lines"
    )


async def slow_readers(url: str, pid: int, count: int) -> None:
    before = rss_mb(pid)
    sockets = []
    for n in range(count):
        ws = await connect(url, compression=None, max_queue=1)  # stops reading
        await ws.send(CONNECT)
        await ws.recv()
        await ws.send(
            json.dumps(
                {"msg": "sub", "id": f"s{n}", "name": "items", "params": [600_000]}
            )
        )
        sockets.append(ws)
    started, peak = time.monotonic(), before
    while open_sockets(pid) > 0 and time.monotonic() - started < 120:
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.05)
    dropped = time.monotonic() - started
    await asyncio.sleep(0.5)
    soon = rss_mb(pid)
    await asyncio.sleep(4.5)
    later = rss_mb(pid)
    for ws in sockets:
        ws.transport.abort()
    print(
        f"# slow readers: {count} clients subscribe to 600,000 documents and never read (bound 32 MiB)"
    )
    print(f"dropped after         : {dropped:.1f} s")
    print(
        f"server RSS            : {before:.0f} MB before, {peak:.0f} MB peak, {soon:.0f} MB 0.5 s after the drop, {later:.0f} MB 5 s after"
    )


async def killed_session(url: str, pid: int) -> None:
    loop = asyncio.get_running_loop()
    host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
    raw = socket.create_connection((host, int(port)))
    raw.setblocking(False)
    await loop.sock_sendall(
        raw,
        b"GET /websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n",
    )
    await loop.sock_recv(raw, 4096)
    connect = CONNECT.encode()  # a DDP session, then the fatal frame
    await loop.sock_sendall(
        raw, b"\x81" + bytes([0x80 | len(connect)]) + b"\0" * 4 + connect
    )
    await loop.sock_recv(raw, 4096)
    before = open_sockets(pid)
    size = 2 * 1024 * 1024  # over the 1 MiB limit: the server closes with 1009
    started = time.monotonic()
    with suppress(TimeoutError):
        async with asyncio.timeout(5):
            await loop.sock_sendall(
                raw, b"\x81\xff" + size.to_bytes(8, "big") + b"\0" * 4 + b"x" * size
            )
    while open_sockets(pid) >= before and time.monotonic() - started < 60:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the client never answers the close
    print(
        "# a DDP session killed by an error (a frame over the limit), the client silent"
    )
    print(f"its socket closed after: {time.monotonic() - started:.1f} s")
    raw.close()


async def run(args: argparse.Namespace) -> None:
    with server_process() as (url, pid, log):
        await churn(url, pid, args.clients, args.seconds, log)
        await slow_readers(url, pid, args.slow)
        await killed_session(url, pid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--slow", type=int, default=3)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
