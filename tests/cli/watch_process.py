"""One ``ddp-monitor watch`` process for the CLI tests: its JSON lines as they come.

Owns ``Watch``; imports asyncio and tests.timeouts. Every read is bounded by TIMEOUT.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from typing import Any

from tests.timeouts import TIMEOUT

__all__ = ["Line", "Watch"]

Line = dict[str, Any]


class Watch:
    """One ``watch`` process; lines are parsed as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[Line] = []

    @classmethod
    async def start(cls, *args: str) -> Watch:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ddp_monitor",
            "watch",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def until(self, predicate: Callable[[Line], bool]) -> Line:
        """Read lines until one matches (each must be a JSON object)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            while True:
                raw = await self.process.stdout.readline()
                assert raw, f"watch ended early: {await self.stderr()}"
                line = json.loads(raw)
                assert isinstance(line, dict)
                self.lines.append(line)
                if predicate(line):
                    return line

    async def stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode()

    async def interrupt(self) -> int:
        """Ctrl-C, then the exit status."""
        self.process.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT):
            await self.process.communicate()
        assert self.process.returncode is not None
        return self.process.returncode
