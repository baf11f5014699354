"""A minimal DDP server, run in its own process, that paces a flood of frames.

Owns nothing the app uses; imports websockets only. ``python -m
tests.qt.paced_server N`` prints ``{"url": ...}`` and serves one publication,
``flood``: N ``added`` frames, each written on its own with a short pause so
the client receives them in many separate socket reads (the pattern that
aborts PySide6 6.12 under qasync, issue 4), then ``ready``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["main"]

PAUSE = 0.0001  # seconds between frames: a real network's pacing, in miniature


def _pause() -> None:
    # Blocks this process only, on purpose: the frame is already written, and
    # the client must get to read it alone before the next one is.
    time.sleep(PAUSE)


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
                _pause()
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
