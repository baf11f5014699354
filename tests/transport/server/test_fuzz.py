"""Fuzzing our server alone: thousands of hostile frames, both transports, a client that must not notice.

Sessions on raw WebSocket and on SockJS send seeded structured frames with the
values that used to kill sessions (``tests/fuzz.py``, nesting to 20,000 levels
included) and plain garbage, then the sentinel: each session must answer it
(Meteor answers every such frame; only SockJS closes, on broken framing, as
Meteor does). Meanwhile a subscribed DDPClient keeps calling. Afterwards no
error was logged, and the sockets, sessions, drivers and tasks are back to
where they started. ``DDP_FUZZ_FRAMES`` and ``DDP_FUZZ_SEED`` as in the
differential fuzz (CI: 2,000 frames per transport).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random

import pytest

from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.client import DDPClient
from ddp_monitor.transport.server import callbacks
from ddp_monitor.transport.server.connection import SocketDriver
from tests.differential.frames import SENTINEL
from tests.fuzz import garbage, structured
from tests.timeouts import TIMEOUT
from tests.waits import eventually
from tests.wire import SOCKJS, WireClient, is_close

pytestmark = pytest.mark.asyncio

FRAMES = int(os.environ.get("DDP_FUZZ_FRAMES", "2000"))
SEED = int(os.environ.get("DDP_FUZZ_SEED", "11"))
PER_SESSION = 50
GRACE = 0.3  # seconds a fuzzed session waits for a resumption


async def _session(url: str, frames: list[str], *, sockjs: bool) -> None:
    async with await WireClient.open(url, sockjs=sockjs) as client:
        await client.handshake()
        await client.send(*frames, SENTINEL)
        got = await client.collect_until(
            lambda f: (
                is_close(f) or (f.get("msg") == "result" and f.get("id") == "sentinel")
            ),
            within=TIMEOUT * 3,
        )
        assert not is_close(got[-1]), f"session closed on: {frames}"


async def _broken_framing(url: str, text: str) -> None:
    # sockjs-node closes a session whose frame is no JSON: 3000 "Broken framing."
    async with await WireClient.open(url, sockjs=True) as client:
        await client.handshake()
        await client.socket.send(text)
        got = await client.collect_until(is_close)
        assert got[-1].get(SOCKJS) == "c" or is_close(got[-1])


async def test_hostile_frames_never_hurt_the_server_or_another_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every fuzzed session is answered, a bystander is served throughout, and nothing is left behind."""
    caplog.set_level(logging.WARNING)
    rng = random.Random(SEED)
    tasks_before = len(asyncio.all_tasks())
    background_before = len(callbacks._background)
    # Fuzzed sessions lost without a goodbye wait GRACE for a resumption.
    server = create_demo_server(port=0, disconnect_grace_period=GRACE)
    async with server, DDPClient(server.url) as bystander:
        await bystander.subscribe("tasks").wait_ready()
        for sockjs in (False, True):
            for start in range(0, FRAMES, PER_SESSION):
                frames = [
                    structured(rng) if rng.random() < 0.8 else garbage(rng)
                    for _ in range(min(PER_SESSION, FRAMES - start))
                ]
                await _session(server.url, frames, sockjs=sockjs)
                title = f"still here {sockjs} {start}"
                task = await bystander.call("tasks.add", title)
                assert bystander.store.get("tasks", task) is not None
        for text in ("not json", "[unclosed", '["a", NaN]'):
            await _broken_framing(server.url, text)
        await eventually(lambda: server.open_sockets == 1)  # the bystander's
        await eventually(
            lambda: [c.id for c in server.connections] == [bystander.session]
        )
    await eventually(lambda: len(callbacks._background) <= background_before)
    assert len(asyncio.all_tasks()) <= tasks_before
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, SocketDriver)]
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == [], problems[0].getMessage() if problems else ""
