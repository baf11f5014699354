"""`ddp-monitor serve --demo`: prints the URL once listening, serves DDP, exits 0 on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import pytest
from websockets.asyncio.client import connect

from tests.timeouts import TIMEOUT


@pytest.mark.asyncio
async def test_serve_demo_prints_url_serves_and_exits_zero_on_sigint() -> None:
    """The headless demo server answers DDP at the printed URL and stops cleanly."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "serve",
        "--demo",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(TIMEOUT * 3):
            line = (await proc.stdout.readline()).decode()
        url = line.split()[-1]
        assert url.startswith("ws://127.0.0.1:")
        assert url.endswith("/websocket")
        async with connect(url) as ws, asyncio.timeout(TIMEOUT):
            await ws.send(
                json.dumps({"msg": "connect", "version": "1", "support": ["1"]})
            )
            assert json.loads(await ws.recv())["msg"] == "connected"
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_serve_without_demo_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`serve` with nothing to serve says so and exits 2."""
    from ddp_monitor.cli import main

    assert main(["serve"]) == 2
    assert "--demo" in capsys.readouterr().err
