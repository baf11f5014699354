"""A minimal DDP server, run in its own process, that paces a flood of frames.

Owns nothing the app uses; imports websockets only. ``python -m
tests.qt.paced_server N`` prints ``{"url": ...}`` and serves one publication,
``flood``: N ``added`` frames, each followed by a DDP ``ping`` whose ``pong``
it waits for, so the client receives them in many separate socket reads (the
pattern that aborts PySide6 6.12 under qasync, issue 4), then ``ready``. The
lockstep holds on a loaded machine, where a fixed pause did not: the client
fell behind and took many frames per read.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["main"]


async def _session(ws: ServerConnection, count: int) -> None:
    async for text in ws:
        msg = json.loads(text)
        kind = msg.get("msg")
        if kind == "connect":
            await ws.send(json.dumps({"msg": "connected", "session": "paced"}))
        elif kind == "ping":
            await ws.send(json.dumps({"msg": "pong", "id": msg.get("id")}))
        elif kind == "sub":
            for k in range(count):
                frame = {
                    "msg": "added",
                    "collection": "flood",
                    "id": f"f{k}",
                    "fields": {"k": k},
                }
                await ws.send(json.dumps(frame))
                await ws.send(json.dumps({"msg": "ping", "id": str(k)}))
                while json.loads(await ws.recv()).get("msg") != "pong":
                    pass  # the client's own frames (its pings) meanwhile
            await ws.send(json.dumps({"msg": "ready", "subs": [msg["id"]]}))


async def main(count: int) -> None:
    async with serve(
        lambda ws: _session(ws, count), "127.0.0.1", 0, compression=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(json.dumps({"url": f"ws://127.0.0.1:{port}/websocket"}), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
