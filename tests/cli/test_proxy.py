"""``ddp-monitor proxy`` as a subprocess: it says where it listens, relays, and `watch` can steer it over DDP."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import MethodCompleted
from ddp_monitor.recording.recorder import Recording, load
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


def _recordings(folder: Path) -> list[Recording]:
    return [load(path) for path in sorted(folder.glob("*.ddprec"))]


@pytest.mark.meteor
@pytest.mark.asyncio
async def test_proxy_record_writes_one_recording_per_client_connection(
    meteor_server: MeteorServer, tmp_path: Path
) -> None:
    """``--record DIR``: each proxied client's connection in its own file (issue 16)."""
    async with proxy_process(
        meteor_server.http_url, "--port", "0", "--record", str(tmp_path / "rec")
    ) as where:
        for a in (1, 2):
            async with asyncio.timeout(TIMEOUT), DDPClient(where["proxy"]) as client:
                assert await client.call("add", a, 2) == a + 2
    recordings = _recordings(tmp_path / "rec")
    answers = [
        r.item.result
        for recording in recordings
        for r in recording.items
        if isinstance(r.item, MethodCompleted)
    ]
    assert sorted(answers) == [3, 4]
    assert len(recordings) == 2


@pytest.mark.asyncio
async def test_proxy_record_into_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "proxy",
        "localhost:3000",
        "--record",
        str(taken / "sub"),
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(TIMEOUT):
        _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "--record" in err.decode()
