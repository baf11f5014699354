"""The other option of issue 14, measured beside ours: a DDP relay on aiohttp.

Run as ``python -m tests.benchmarks.aiohttp_relay UPSTREAM_WS_URL`` (bench_proxy
does); prints ``listening on ws://127.0.0.1:PORT/websocket``. Not part of the
package and not collected: aiohttp is not a dependency (``pip install
aiohttp`` to run it). It does what ``ddp_monitor.proxy``'s relay does on the
hot path and no more: one upstream WebSocket per client (aiohttp's client,
the client's address appended to ``X-Forwarded-For``), text frames relayed
unchanged both ways, the frame's ``msg`` read from its first bytes and
counted, as our rows do. No SockJS, no faults: its figures are the floor of
an aiohttp-based proxy.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiohttp import ClientSession, TCPConnector, WSMsgType, web

__all__ = ["main"]


def _kind(text: str) -> str:
    return text[8 : text.find('"', 8)] if text.startswith('{"msg":"') else ""


async def relay(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    client = web.WebSocketResponse(autoping=False, max_msg_size=0)
    peer = request.remote or ""
    headers = {
        "X-Forwarded-For": peer,
        "User-Agent": request.headers.get("User-Agent", ""),
    }
    session: ClientSession = app["session"]
    upstream = await session.ws_connect(
        app["upstream"], headers=headers, autoping=False, max_msg_size=0
    )
    await client.prepare(request)
    counts: dict[str, int] = {}

    async def pump(source: Any, sink: Any) -> None:
        async for message in source:
            if message.type is not WSMsgType.TEXT:
                break
            kind = _kind(message.data)
            counts[kind] = counts.get(kind, 0) + 1
            await sink.send_str(message.data)
        await sink.close()

    await asyncio.gather(pump(client, upstream), pump(upstream, client))
    return client


async def serve(upstream: str) -> None:
    app = web.Application()
    app["upstream"] = upstream
    app.router.add_get("/websocket", relay)
    app["session"] = ClientSession(connector=TCPConnector(limit=0))  # no pool cap (100)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"listening on ws://127.0.0.1:{port}/websocket", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    asyncio.run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()
