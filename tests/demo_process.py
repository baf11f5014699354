"""The headless demo server in a subprocess, and free loopback ports, for CLI-level tests."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tests.peers.meteor_server import free_port
from tests.timeouts import TIMEOUT

__all__ = ["DemoProcess", "demo_server_process", "free_port"]


@dataclass
class DemoProcess:
    proc: asyncio.subprocess.Process
    url: str  # as the server printed it once listening


@asynccontextmanager
async def demo_server_process(
    port: int = 0, *extra: str, stderr: int | None = None
) -> AsyncIterator[DemoProcess]:
    """``ddp-monitor serve --demo --port N [extra]``, yielded once it listens; Ctrl-C at exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "serve",
        "--demo",
        "--port",
        str(port),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(TIMEOUT * 3):
            line = (await proc.stdout.readline()).decode()
        assert "listening on" in line, line
        yield DemoProcess(proc, line.split()[-1])
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(TIMEOUT):
                await proc.communicate()
