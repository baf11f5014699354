"""The flood the window benchmarks send: a DDP server streaming pre-encoded frames at a set rate.

Owns the flood server; imports websockets only (no ddp_monitor: the sender
must cost the same whoever listens). ``python -m tests.benchmarks.flood_server``
prints ``{"url": ...}`` and serves until killed. A client connects (``connect``
-> ``connected``; ``ping`` -> ``pong``) and subscribes to ``flood`` with one
parameter, a plan ``{"mode", "rate", "seconds", "docs"}``:

- ``adds``: ``ready`` at once, then ``rate`` new documents a second for
  ``seconds`` (``rate * seconds`` documents);
- ``changes``: ``docs`` documents, ``ready``, then ``rate`` changes a second
  (one field of one document each) for ``seconds``;
- ``bulk``: ``docs`` documents as fast as the client reads them, then
  ``ready`` (ingest at scale).

Every frame is encoded before the clock starts and written straight into
websockets' protocol, flushed once a millisecond, so the sender is faster than
any window it feeds (bench_client's lesson: a reference slower than what it
measures flatters). The last frame changes ``f000000``'s ``last`` field to the
monotonic time it was sent (the clock is shared by the processes), so a window
can tell how far behind it was.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["added", "document", "main"]


def document(k: int) -> dict[str, Any]:
    """Document ``k``'s fields: ``n`` in a scrambled order, so sorting by it does real work."""
    return {"n": (k * 7919) % 1_000_003, "text": f"document {k}", "tags": ["a", "b"]}


def added(k: int) -> str:
    n = (k * 7919) % 1_000_003
    return (
        f'{{"msg":"added","collection":"flood","id":"f{k:06d}","fields":{{"n":{n},'
        f'"text":"document {k}","tags":["a","b"]}}}}'
    )


def _changed(k: int, docs: int) -> str:
    return (
        f'{{"msg":"changed","collection":"flood","id":"f{k % docs:06d}",'
        f'"fields":{{"n":{k}}}}}'
    )


async def _paced(ws: ServerConnection, frames: list[str], rate: float) -> None:
    protocol, start, sent = ws.protocol, time.monotonic(), 0
    while sent < len(frames):
        due = min(len(frames), int((time.monotonic() - start) * rate) + 1)
        for frame in frames[sent:due]:
            protocol.send_text(frame.encode())
        sent = due
        ws.send_data()
        await ws.drain()  # a window that cannot keep up slows the flood down
        await asyncio.sleep(0.001)


async def _burst(ws: ServerConnection, frames: list[str]) -> None:
    for at in range(0, len(frames), 500):
        for frame in frames[at : at + 500]:
            ws.protocol.send_text(frame.encode())
        ws.send_data()
        await ws.drain()


async def _flood(ws: ServerConnection, sub_id: str, plan: dict[str, Any]) -> None:
    mode, rate = plan["mode"], float(plan.get("rate", 0))
    seconds, docs = float(plan.get("seconds", 0)), int(plan.get("docs", 0))
    ready = json.dumps({"msg": "ready", "subs": [sub_id]})
    if mode == "adds":
        frames = [added(k) for k in range(int(rate * seconds))]
        await ws.send(ready)
        await _paced(ws, frames, rate)
    elif mode == "changes":
        await _burst(ws, [added(k) for k in range(docs)])
        await ws.send(ready)
        await _paced(ws, [_changed(k, docs) for k in range(int(rate * seconds))], rate)
    else:  # bulk
        await _burst(ws, [added(k) for k in range(docs)])
        await ws.send(ready)
    last = {"msg": "changed", "collection": "flood", "id": "f000000"}
    await ws.send(json.dumps({**last, "fields": {"last": time.monotonic()}}))


async def _session(ws: ServerConnection) -> None:
    floods: set[asyncio.Task[None]] = set()
    async for text in ws:
        msg = json.loads(text)
        kind = msg.get("msg")
        if kind == "connect":
            await ws.send('{"msg":"connected","session":"flood"}')
        elif kind == "ping":
            pong = {"msg": "pong", **({"id": msg["id"]} if "id" in msg else {})}
            await ws.send(json.dumps(pong))
        elif kind == "sub" and msg.get("name") == "flood":
            task = asyncio.ensure_future(_flood(ws, msg["id"], msg["params"][0]))
            floods.add(task)
            task.add_done_callback(floods.discard)
        elif kind == "sub":
            await ws.send(json.dumps({"msg": "ready", "subs": [msg["id"]]}))


async def _serve() -> None:
    async with serve(
        _session, "127.0.0.1", 0, compression=None, max_size=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(json.dumps({"url": f"ws://127.0.0.1:{port}/websocket"}), flush=True)
        await asyncio.Future()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
