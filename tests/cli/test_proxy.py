"""``ddp-monitor proxy`` as a subprocess: it says where it listens, relays, and `watch` can steer it over DDP."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ddp_monitor.transport.client import DDPClient
from tests.cli.watch_process import Watch
from tests.peers.meteor_server import MeteorServer
from tests.timeouts import TIMEOUT


@asynccontextmanager
async def proxy_process(*args: str) -> AsyncIterator[dict[str, Any]]:
    """``ddp-monitor proxy ARGS``, yielded with its first line (where it listens); Ctrl-C at exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "proxy",
        *args,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(3 * TIMEOUT):
            line = json.loads(await proc.stdout.readline())
        yield line
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(TIMEOUT):
                await proc.communicate()
        assert proc.returncode == 0


@pytest.mark.meteor
@pytest.mark.asyncio
async def test_proxy_command_relays_and_watch_sets_faults_over_ddp(
    meteor_server: MeteorServer,
) -> None:
    """The proxy prints its URL and control URL; a client calls through it; `watch --call proxy.setFaults` faults it."""
    async with proxy_process(
        meteor_server.http_url, "--port", "0", "--control-port", "0"
    ) as where:
        assert where["upstream"] == meteor_server.http_url
        async with asyncio.timeout(TIMEOUT), DDPClient(where["proxy"]) as client:
            assert await client.call("add", 1, 2) == 3
        control = where["control"]
        watch = await Watch.start(
            control,
            "--call",
            "proxy.setFaults",
            '[null, {"toClient": {"latencyMs": 5}}]',
        )
        try:
            result = await watch.until(lambda line: line["event"] == "result")
        finally:
            await watch.interrupt()
        assert result["result"] == {"toClient": {"latencyMs": 5.0}}


def test_proxy_command_refuses_a_bad_upstream() -> None:
    """An upstream that is no URL is a usage error (status 2) with the reason."""
    from ddp_monitor.cli.main import main

    assert main(["proxy", "ftp://example.com"]) == 2
