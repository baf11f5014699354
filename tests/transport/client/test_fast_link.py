"""The proxy's upstream parser (FastLink) reads what websockets would: every message, in order, whatever the framing."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ddp_monitor.transport.client.fast_link import FastLink
from ddp_monitor.transport.client.link import Link, open_link
from tests.timeouts import TIMEOUT

pytestmark = pytest.mark.asyncio

SENT: list[str | bytes | list[str]] = [
    "a",
    "é" * 100,  # 200 bytes: a 16-bit length
    "x" * 70_000,  # a 64-bit length, split over reads
    ["frag", "mented", " message"],  # continuation frames: websockets' part
    b"\x00\x01binary",
    "after the ping",
]


async def _serve(ws: ServerConnection) -> None:
    for message in SENT:
        await ws.send(message)
        if message == b"\x00\x01binary":
            await ws.ping()  # answered by websockets, between data frames
    await ws.close(4000, "done")


@pytest.mark.parametrize("link_class", [Link, FastLink], ids=["websockets", "fast"])
async def test_fast_link_delivers_what_websockets_delivers(
    link_class: type[Link],
) -> None:
    """Short, long and very long texts, a fragmented message, binary, a ping and a close: the same messages and the same close."""
    async with serve(_serve, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        link = await open_link(
            f"ws://127.0.0.1:{port}",
            compression=False,
            max_message_size=None,
            headers=None,
            link_class=link_class,
        )
        got: list[str | bytes] = []
        link.attach(lambda _, data: got.append(data))
        async with asyncio.timeout(TIMEOUT):
            await link.wait_closed()
    expected = ["".join(m) if isinstance(m, list) else m for m in SENT]
    assert got == expected
    assert link.protocol.close_rcvd is not None
    assert (link.protocol.close_rcvd.code, link.protocol.close_rcvd.reason) == (
        4000,
        "done",
    )
