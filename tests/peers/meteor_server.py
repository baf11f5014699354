"""A real Meteor 1.9.3 DDP server as a child process, for tests that compare with Meteor.

Owns starting, killing, restarting and stopping ``tests/peers/meteor/serve`` on a
loopback port. Imports only the standard library and tests.timeouts; installing
the peer lives in tests.peers.install.

The server prints one JSON line ``{"ready": true, "url": ...}`` on stdout once it
listens (``{"ready": false, ...}`` if Meteor dies first); its own logs go to stderr,
which is kept in a temporary file so a failure can show them.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.timeouts import PEER_START_TIMEOUT

__all__ = ["SERVE", "MeteorServer", "MeteorServerError", "free_port"]

SERVE = Path(__file__).resolve().parent / "meteor" / "serve"


class MeteorServerError(RuntimeError):
    """The Meteor peer did not start, or died before saying it was ready."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class MeteorServer:
    """One real Meteor DDP server on ``host:port``; ``restart()`` keeps the port.

    Use as a context manager or call ``start()`` / ``stop()``. ``kill()`` is the
    abrupt death (SIGKILL) that clients must survive; ``restart()`` kills if still
    running and starts again on the same port, so a client's URL stays valid.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.host = host
        # Extra environment for Meteor (e.g. HTTP_FORWARDED_COUNT), kept across restarts.
        self.env = dict(env or {})
        # Extra arguments for serve (e.g. --agent FILE), kept across restarts too.
        self.args = list(args)
        self.port = port if port is not None else free_port(host)
        self.ready_info: dict[str, Any] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The raw WebSocket URL, as a Node DDP client would be given it."""
        return f"ws://{self.host}:{self.port}/websocket"

    @property
    def http_url(self) -> str:
        """The app's root URL (what ``DDP.connect`` and SockJS clients take)."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (``serve`` execs Node)."""
        return self._process.pid if self.running else None  # type: ignore[union-attr]

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = PEER_START_TIMEOUT) -> MeteorServer:
        """Start the server and return once it listens; raise if it cannot."""
        if self.running:
            raise MeteorServerError(f"Meteor peer already running on port {self.port}")
        self._close_stderr()
        # Kept open for the server's whole life (and read on failure), not a with-block.
        self._stderr = tempfile.TemporaryFile(prefix="meteor-peer-stderr-")  # noqa: SIM115
        self._process = subprocess.Popen(
            [str(SERVE), "--port", str(self.port), "--host", self.host, *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **self.env},
        )
        try:
            self.ready_info = self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    async def start_async(self) -> MeteorServer:
        """``start()`` without blocking the event loop (clients keep running)."""
        return await asyncio.to_thread(self.start)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: no close frames are sent."""
        self._end(signal.SIGKILL)

    def stop(self, timeout: float = PEER_START_TIMEOUT) -> None:
        """Stop the server cleanly (SIGTERM), killing it if it does not exit."""
        self._end(signal.SIGTERM, timeout)
        self._close_stderr()

    def restart(self, timeout: float = PEER_START_TIMEOUT) -> MeteorServer:
        """Kill the server if it runs, then start it again on the same port."""
        self.kill()
        return self.start(timeout)

    async def restart_async(self) -> MeteorServer:
        """``restart()`` without blocking the event loop (clients keep running)."""
        return await asyncio.to_thread(self.restart)

    def stderr_text(self) -> str:
        """What Meteor logged so far (for failure messages)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> MeteorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<MeteorServer {self.url} {state}>"

    def _wait_ready(self, timeout: float) -> dict[str, Any]:
        process = self._process
        assert process is not None
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MeteorServerError(
                        f"Meteor peer not ready on port {self.port} within {timeout:.0f} s\n"
                        + self.stderr_text()[-4000:]
                    )
                if not selector.select(left):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    process.wait(timeout=left)
                    raise MeteorServerError(
                        f"Meteor peer exited with code {process.returncode} before it was ready\n"
                        + self.stderr_text()[-4000:]
                    )
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    info = _ready_line(line)
                    if info is None:
                        continue
                    if not info.get("ready"):
                        raise MeteorServerError(
                            f"Meteor peer failed: {info.get('error')}\n"
                            + self.stderr_text()[-4000:]
                        )
                    return info

    def _end(self, sig: signal.Signals, timeout: float = PEER_START_TIMEOUT) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _ready_line(line: bytes) -> dict[str, Any] | None:
    """The ready JSON object if this stdout line is one (other output is ignored)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if isinstance(value, dict) and "ready" in value:
        return value
    return None
