"""Fixtures shared by every test: offscreen Qt, the real Meteor peer, our demo server, npm clients, Meteor's browser client, keyrings.

Owns the session-wide test setup; imports tests.peers (launchers, installers),
tests.timeouts, and ddp_monitor.demo.server (only inside the fixtures that run it).
Subdirectories add their own conftest.py for local fixtures.

Real peers need node and npm. Without them the tests that use a peer are skipped
with the reason, except under CI=true, where a missing peer is a failure: CI must
never pass by skipping the comparisons with Meteor.
"""

from __future__ import annotations

import os
import tempfile

# Before anything can import Qt: no test may need a display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
# Nor touch the user's own settings and profiles (QSettings and platformdirs
# both follow the XDG variables on Linux).
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="ddp-monitor-test-config-")
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="ddp-monitor-test-data-")

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn

import keyring
import keyring.backends.fail
import pytest
import pytest_asyncio

from tests.keyrings import MemoryKeyring
from tests.peers.install import (
    PeerInstallError,
    install_browser,
    install_meteor,
    install_npm_clients,
    missing_browser_tools,
    missing_node_tools,
)
from tests.peers.meteor_server import MeteorServer

__all__ = [
    "ddp_server",
    "in_ci",
    "memory_keyring",
    "meteor_browser",
    "meteor_installed",
    "meteor_server",
    "meteor_server_factory",
    "no_keyring",
    "npm_clients",
    "our_server",
]

MeteorServerFactory = Callable[..., MeteorServer]


def in_ci() -> bool:
    """True under CI=true, where a peer that cannot run fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"CI=true and a real peer is unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def _ensure_meteor() -> None:
    missing = missing_node_tools()
    if missing is not None:
        _unavailable(missing)
    try:
        install_meteor()
    except PeerInstallError as exc:
        # A broken install is a real failure everywhere, never a skip.
        pytest.fail(f"installing the Meteor peer failed: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def meteor_installed() -> None:
    """The real Meteor peer installed (for fixtures that start their own, with other options)."""
    _ensure_meteor()


@pytest.fixture(scope="session")
def meteor_server() -> Iterator[MeteorServer]:
    """One real Meteor 1.9.3 DDP server for the whole session (do not kill it; use the factory)."""
    _ensure_meteor()
    server = MeteorServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def meteor_server_factory() -> Iterator[MeteorServerFactory]:
    """Start private Meteor servers: ``factory(port=None, env=None, args=()) -> MeteorServer`` (started).

    For tests that kill() or restart() the server; all are stopped afterwards.
    """
    _ensure_meteor()
    servers: list[MeteorServer] = []

    def factory(
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> MeteorServer:
        server = MeteorServer(port=port, env=env, args=args)
        servers.append(server)
        return server.start()

    try:
        yield factory
    finally:
        for server in servers:
            server.stop()


@asynccontextmanager
async def _demo_server() -> AsyncIterator[Any]:
    # Imported here: the demo (and the server library under it) loads only for
    # the tests that use it, so a broken server cannot stop the others running.
    from ddp_monitor.demo.server import create_demo_server

    server = create_demo_server(host="127.0.0.1", port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def our_server() -> AsyncIterator[Any]:
    """ddp-monitor's own demo server on a free loopback port, in the test's event loop."""
    async with _demo_server() as server:
        yield server


@pytest_asyncio.fixture(
    params=[pytest.param("meteor", marks=pytest.mark.meteor), "ours"]
)
async def ddp_server(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The URL of a DDP server with the scenario: the real Meteor one, then ours (one test, both servers)."""
    if request.param == "meteor":
        meteor: MeteorServer = request.getfixturevalue("meteor_server")
        yield meteor.url
        return
    async with _demo_server() as server:
        yield str(server.url)


@pytest.fixture(scope="session")
def npm_clients() -> Path:
    """tests/peers/npm with its third-party DDP clients installed (ddp, simpleddp, sockjs-client)."""
    missing = missing_node_tools()
    if missing is not None:
        _unavailable(missing)
    try:
        return install_npm_clients()
    except PeerInstallError as exc:
        pytest.fail(f"installing the npm DDP clients failed: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def meteor_browser() -> None:
    """Meteor's browser client and headless Chromium installed (tests.peers.meteor_browser runs it)."""
    missing = missing_browser_tools()
    if missing is not None:
        _unavailable(missing)
    try:
        install_browser()
    except PeerInstallError as exc:
        pytest.fail(f"installing Meteor's browser client failed: {exc}", pytrace=False)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A working keyring for the test's secrets (never the user's own)."""
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a headless box without a secret service."""
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(before)
