"""`ddp-monitor serve --demo`: prints the URL once listening, serves DDP, exits 0 on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from websockets.asyncio.client import connect

from tests.demo_process import demo_server_process
from tests.timeouts import TIMEOUT


@pytest.mark.asyncio
async def test_serve_demo_prints_url_serves_and_exits_zero_on_sigint() -> None:
    """The headless demo server answers DDP at the printed URL and stops cleanly."""
    async with demo_server_process() as demo:
        url = demo.url
        assert url.startswith("ws://127.0.0.1:")
        assert url.endswith("/websocket")
        async with connect(url) as ws, asyncio.timeout(TIMEOUT):
            await ws.send(
                json.dumps({"msg": "connect", "version": "1", "support": ["1"]})
            )
            assert json.loads(await ws.recv())["msg"] == "connected"
        demo.proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT):
            assert await demo.proc.wait() == 0


def test_serve_without_demo_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`serve` with nothing to serve says so and exits 2."""
    from ddp_monitor.cli.main import main

    assert main(["serve"]) == 2
    assert "--demo" in capsys.readouterr().err
