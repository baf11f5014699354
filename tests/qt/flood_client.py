"""The app's stack under a paced flood, in its own process so an abort is reported, not fatal.

Owns nothing the app uses; imports PySide6, qasync, websockets and
``ddp_monitor``. ``python -m tests.qt.flood_client URL N``: a QApplication and
qasync loop (as ``ddp_monitor.app.desktop`` runs them) with the real ``DDPClient`` and
``ClientAdaptor`` subscribe to ``flood`` and wait for N documents. Prints
``{"documents": n, "reads": r}``, where ``reads`` counts the socket reads
websockets took (its protocol's ``data_received`` calls).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication
from websockets.asyncio.connection import Connection

from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.transport.client.ddp_client import DDPClient

__all__ = ["main"]

reads = 0
_data_received = Connection.data_received


def _counting(self: Connection, data: bytes) -> None:
    global reads
    reads += 1
    _data_received(self, data)


Connection.data_received = _counting  # type: ignore[method-assign]  # count reads only


async def _scenario(url: str, count: int, within: float) -> dict[str, Any]:
    adaptor = ClientAdaptor(DDPClient(url))
    await adaptor.start()
    handle = adaptor.subscribe("flood", [])
    async with asyncio.timeout(within):
        await handle.ready
    documents = len(adaptor.store.collection("flood"))
    await adaptor.close()
    return {"documents": documents, "reads": reads}


def main() -> None:
    url, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    result = loop.run_until_complete(_scenario(url, count, timeout))
    print(json.dumps(result), flush=True)
    loop.close()


if __name__ == "__main__":
    main()
