"""Meteor's real browser client in headless Chromium, as a child process: its JSON lines as they come.

Owns launching ``tests/peers/browser/run.js`` (see its header: the page, the
scenarios, the lines) and reading its lines while it runs, so a test can act
in the middle (press Close when the page says ``armed``). Imports the
standard library and tests.timeouts; installing it is tests.peers.install's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.timeouts import TIMEOUT

__all__ = ["RUN_JS", "MeteorBrowser"]

RUN_JS = Path(__file__).resolve().parent / "browser" / "run.js"

Line = dict[str, Any]


class MeteorBrowser:
    """``async with MeteorBrowser(url, "--scenario", "close") as page: await page.until(...)``."""

    def __init__(self, url: str, *args: str) -> None:
        self.url, self.args = url, args
        self.lines: list[Line] = []
        self._process: asyncio.subprocess.Process | None = None
        self._stderr = b""

    async def __aenter__(self) -> MeteorBrowser:
        self._process = await asyncio.create_subprocess_exec(
            "node",
            str(RUN_JS),
            self.url,
            "--timeout",
            str(int(6 * TIMEOUT)),
            *self.args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            async with asyncio.timeout(TIMEOUT):
                await process.communicate()

    async def until(self, test: Callable[[Line], bool]) -> Line:
        """The first line (seen or coming) for which ``test`` holds; fails on the final ``result`` line."""
        for line in self.lines:
            if test(line):
                return line
        process = self._process
        assert process is not None
        assert process.stdout is not None
        async with asyncio.timeout(3 * TIMEOUT):
            while raw := await process.stdout.readline():
                line = json.loads(raw)
                self.lines.append(line)
                if test(line):
                    return line
                if line["event"] == "result":
                    break
        stderr = (await process.stderr.read()).decode() if process.stderr else ""
        raise AssertionError(
            "the browser ended first:\n"
            + "\n".join(json.dumps(line) for line in self.lines[-30:])
            + f"\n--- stderr ---\n{stderr[-2000:]}"
        )

    async def result(self) -> Line:
        """The final line; asserts the page's scenario passed."""
        line = await self.until(lambda line: line["event"] == "result")
        assert line["ok"], "\n".join(json.dumps(found) for found in self.lines)
        return line

    def events(self, kind: str) -> list[Line]:
        return [line for line in self.lines if line["event"] == kind]
