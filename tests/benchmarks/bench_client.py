"""DDPClient throughput and latency beside bare websockets ceilings (issue 2, benchmark).

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_client [--runs 5] [--docs 100000] [--calls 1000] [--no-meteor]

Prints medians of several runs and the ratios to the ceilings:

1. a server (its own process) streams N ``added`` documents to a subscription;
   the client's messages/s until ``ready`` with every document stored, beside a
   bare client that only has websockets parse and json.loads decode the same
   frames, with no await per message (``bare_client.py``; ``await recv()`` per
   message was slower than DDPClient) (target: >= 80% of that ceiling). The stream is
   encoded once, before any client asks (a server encoding each document in
   Python was slower than the client, so the "ceiling" was the server's own
   rate); the server's rate with nobody decoding is printed too, and must be
   well above both;
2. method round trip p50/p99 over sequential calls, beside a bare WebSocket
   echo round trip on the same server that, like a call, is answered with two
   frames in one write (``updated`` and ``result``), both read (target: within
   1.3x);
3. the same subscription from the real Meteor 1.9.3 server, with compression
   off (the default) and on, beside the bare ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.benchmarks.bare_client import BareClient

__all__ = ["main"]

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


# -- the streaming server, in its own process ----------------------------------
async def _serve_forever(port_queue: Any, docs: int) -> None:
    _encoded(docs)  # before the first client: no run pays for the encoding

    async def handle(ws: ServerConnection) -> None:
        async for text in ws:
            msg = json.loads(text)
            kind = msg.get("msg")
            if kind is None and msg.get("echo") is not None:
                # Two frames in one write, as a call's `updated` and `result`.
                ws.protocol.send_text(text.encode())
                ws.protocol.send_text(text.encode())
                ws.send_data()
            elif kind == "connect":
                await ws.send('{"msg":"connected","session":"benchSession00001"}')
            elif kind == "ping":
                await ws.send('{"msg":"pong"}')
            elif kind == "method":
                # updated then result, as Meteor for a write-free method; one
                # write for both, so the server adds no second wake-up.
                result = {"msg": "result", "id": msg["id"], "result": msg["params"][0]}
                updated = {"msg": "updated", "methods": [msg["id"]]}
                ws.protocol.send_text(json.dumps(updated).encode())
                ws.protocol.send_text(json.dumps(result).encode())
                ws.send_data()
            elif kind == "sub":
                await _stream(ws, msg["id"], int(msg["params"][0]))

    async with serve(handle, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port_queue.put(server.sockets[0].getsockname()[1])
        await asyncio.Future()


_STREAMS: dict[int, list[bytes]] = {}
_CHUNK = 500  # frames per write


def _wire_frame(payload: bytes) -> bytes:
    """An unmasked server text frame (RFC 6455 5.2), header and payload."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload


def _encoded(count: int) -> list[bytes]:
    """``items(count)``'s ``added`` frames as the bytes on the wire, 500 a chunk, made once."""
    if count not in _STREAMS:
        frames = [
            _wire_frame(
                json.dumps(
                    {
                        "msg": "added",
                        "collection": "items",
                        "id": f"i{k}",
                        "fields": {"k": k, "text": f"item {k}"},
                    },
                    separators=(",", ":"),
                ).encode()
            )
            for k in range(count)
        ]
        _STREAMS[count] = [
            b"".join(frames[at : at + _CHUNK]) for at in range(0, count, _CHUNK)
        ]
    return _STREAMS[count]


async def _stream(ws: ServerConnection, sub_id: str, count: int) -> None:
    # The whole stream is bytes made before the first client came, written
    # 500 frames at a time past websockets' framing (which tracks nothing of
    # what a server sends but its close): the server must be faster than any
    # client, or both figures would measure the server.
    for chunk in _encoded(count):
        ws.transport.write(chunk)
        await ws.drain()
    ws.protocol.send_text(json.dumps({"msg": "ready", "subs": [sub_id]}).encode())
    ws.send_data()


def _server_process(port_queue: Any, docs: int) -> None:
    asyncio.run(_serve_forever(port_queue, docs))


# -- the measurements ---------------------------------------------------------------
async def server_rate(url: str, docs: int) -> float:
    """Messages/s the server writes when the client only counts frames (no decoding)."""
    loop = asyncio.get_running_loop()
    client = await BareClient.open(url, decode=False)
    connected: asyncio.Future[None] = loop.create_future()
    ready: asyncio.Future[float] = loop.create_future()
    received = 0

    def counting(frame: Any) -> None:
        nonlocal received
        received += 1
        if not connected.done():
            connected.set_result(None)
        elif b'"ready"' in frame[:20]:
            ready.set_result(time.perf_counter())

    try:
        client.on_message = counting
        client.send(CONNECT)
        await connected
        received = 0
        start = time.perf_counter()
        client.send(
            json.dumps({"msg": "sub", "id": "s1", "name": "items", "params": [docs]})
        )
        end = await ready
        return received / (end - start)
    finally:
        client.close()


async def bare_subscription(url: str, docs: int, compression: bool = False) -> float:
    """Messages/s of a client that only parses and json-decodes each frame, until ready."""
    loop = asyncio.get_running_loop()
    client = await BareClient.open(url, compression)
    connected: asyncio.Future[None] = loop.create_future()
    ready: asyncio.Future[float] = loop.create_future()
    received = 0

    def handshake(msg: Any) -> None:
        if msg.get("msg") == "connected" and not connected.done():
            connected.set_result(None)

    def counting(msg: Any) -> None:
        nonlocal received
        received += 1
        if msg.get("msg") == "ready":
            ready.set_result(time.perf_counter())

    try:
        client.on_message = handshake
        client.send(CONNECT)
        await connected
        client.on_message = counting
        start = time.perf_counter()
        client.send(
            json.dumps({"msg": "sub", "id": "s1", "name": "items", "params": [docs]})
        )
        end = await ready
        return received / (end - start)
    finally:
        client.close()


async def client_subscription(url: str, docs: int, compression: bool = False) -> float:
    """Messages/s of DDPClient from subscribe() until ready with every document stored."""
    async with DDPClient(url, compression=compression) as client:
        await client.call("echo", 0)  # handshake done, as the bare client
        start = time.perf_counter()
        handle = client.subscribe("items", docs)
        await handle.ready
        elapsed = time.perf_counter() - start
        stored = len(client.store.collection("items"))
        if stored != docs:
            raise SystemExit(f"only {stored} of {docs} documents stored")
        return (docs + 1) / elapsed


async def bare_round_trips(url: str, calls: int) -> list[float]:
    """Round trips of an echo answered, as a call, with two frames in one write."""
    loop = asyncio.get_running_loop()
    client = await BareClient.open(url)
    waiter: asyncio.Future[None] = loop.create_future()
    frames = 0

    def two_frames(_msg: Any) -> None:
        nonlocal frames
        frames += 1
        if frames == 2 and not waiter.done():
            waiter.set_result(None)

    client.on_message = two_frames
    times = []
    try:
        for i in range(calls):
            waiter, frames = loop.create_future(), 0
            start = time.perf_counter()
            client.send(json.dumps({"echo": i}))
            await waiter
            times.append(time.perf_counter() - start)
        return times
    finally:
        client.close()


async def client_round_trips(url: str, calls: int) -> list[float]:
    async with DDPClient(url) as client:
        await client.call("echo", 0)
        times = []
        for i in range(calls):
            start = time.perf_counter()
            await client.call("echo", i)
            times.append(time.perf_counter() - start)
        return times


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _paired(
    runs: int,
    reference: Callable[[], Awaitable[float]],
    ours: Callable[[], Awaitable[float]],
) -> tuple[float, float, float]:
    """Median of each, and the median of the per-run ratios ours / reference.

    The two alternate run by run, so load from elsewhere on a shared machine
    hits both alike; the ratio of each pair is what the targets are about.
    """
    pairs = [(await reference(), await ours()) for _ in range(runs)]
    return (
        statistics.median(r for r, _ in pairs),
        statistics.median(o for _, o in pairs),
        statistics.median(o / r for r, o in pairs),
    )


async def bench(args: argparse.Namespace, url: str) -> None:
    runs, docs = args.runs, args.docs
    print(f"# subscription: {docs} added documents, median of {runs} paired runs")
    ceiling, ours, ratio = await _paired(
        runs,
        lambda: bare_subscription(url, docs),
        lambda: client_subscription(url, docs),
    )
    alone = statistics.median([await server_rate(url, docs) for _ in range(runs)])
    print(f"server, frames counted  : {alone:10.0f} msg/s  (must be above both)")
    print(f"bare websockets ceiling : {ceiling:10.0f} msg/s")
    print(
        f"DDPClient               : {ours:10.0f} msg/s  ({ratio:.0%} of ceiling, target >= 80%)"
    )

    print(
        f"# method round trip: {args.calls} sequential calls, median p50/p99 of {runs} paired runs"
    )
    bare: list[list[float]] = []
    mine: list[list[float]] = []
    for _ in range(runs):
        bare.append(await bare_round_trips(url, args.calls))
        mine.append(await client_round_trips(url, args.calls))
    for label, series in (("bare WebSocket echo", bare), ("DDPClient call", mine)):
        p50 = statistics.median(_percentile(s, 0.5) for s in series) * 1e6
        p99 = statistics.median(_percentile(s, 0.99) for s in series) * 1e6
        print(f"{label:24}: p50 {p50:7.0f} us  p99 {p99:7.0f} us")
    ratio50, ratio99 = (
        statistics.median(
            _percentile(m, q) / _percentile(b, q)
            for b, m in zip(bare, mine, strict=True)
        )
        for q in (0.5, 0.99)
    )
    print(
        f"ratio                   : p50 {ratio50:.2f}x  p99 {ratio99:.2f}x (target <= 1.3x)"
    )


async def bench_meteor(args: argparse.Namespace) -> None:
    from tests.peers.meteor_server import MeteorServer

    docs, runs = args.docs, args.meteor_runs
    with MeteorServer() as server:
        url = server.url
        print(f"# real Meteor 1.9.3: items({docs}), median of {runs} runs")
        ceiling, off, ratio = await _paired(
            runs,
            lambda: bare_subscription(url, docs),
            lambda: client_subscription(url, docs),
        )
        _, on, deflate = await _paired(
            runs,
            lambda: client_subscription(url, docs),
            lambda: client_subscription(url, docs, compression=True),
        )
        print(f"bare websockets ceiling : {ceiling:10.0f} msg/s")
        print(f"DDPClient (no deflate)  : {off:10.0f} msg/s  ({ratio:.0%} of ceiling)")
        print(
            f"DDPClient (deflate)     : {on:10.0f} msg/s  ({deflate:.0%} of no-deflate)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--meteor-runs", type=int, default=3)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--no-meteor", action="store_true")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(
        target=_server_process, args=(ports, args.docs), daemon=True
    )
    server.start()
    try:
        url = f"ws://127.0.0.1:{ports.get(timeout=120)}/websocket"
        asyncio.run(bench(args, url))
    finally:
        server.terminate()
        server.join()
    if not args.no_meteor:
        asyncio.run(bench_meteor(args))


if __name__ == "__main__":
    sys.exit(main())
