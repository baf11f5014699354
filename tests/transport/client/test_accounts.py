"""Logging in over DDP: Meteor's digest, login/logout against our server, re-login on reconnect.

Real sockets: a ``DDPServer`` with ``demo_accounts`` on 127.0.0.1 port 0 and a
real ``DDPClient``; every wait is bounded by ``tests.timeouts.TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.password import login_password_params, meteor_sha256, token_hash
from ddp_monitor.demo.accounts import DemoAccounts, DemoUser, install_accounts
from ddp_monitor.transport.client.accounts import (
    Accounts,
    login_with_password,
    login_with_token,
    logout,
    user_id,
)
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.server.ddp_server import DDPServer, MethodInvocation
from ddp_monitor.transport.wiretap import Direction, Frame
from tests.timeouts import TIMEOUT

# Meteor 1.9.3's own SHA256 (packages/sha/sha256.js), run in node on these inputs.
MAGIC = (
    ("meteor", "647d177cca8601046a3cb39e12f55bec5790bfcbc42199dd5fcf063200fac1d0"),
    ("pässwörd", "46970bef70aced8123f0d5d094717e2a5cd412041e03b26376049fe65b2834a4"),
    (
        "a\U0001f40eb",
        "56f1959c526148193c5dfaa9836e12362bf855409b49447db6bd85cb1af231c8",
    ),
    ("\U0001f600", "ea645893a930e0872284cf8fbc8d14f66f052aea0bc8d9c4829f08a38219940c"),
    ("crlf\r\nx", "013923c4811561b223588259b627d3d3795a17b2da13675e2f1be713ea004284"),
)

SHA_JS = (
    Path.home()
    / ".cache/ddp-monitor-peers/meteor-1.9.3/bundle/bundle/programs/server/packages/sha.js"
)


@pytest.mark.parametrize(("text", "digest"), MAGIC)
def test_digest_matches_meteors_sha256(text: str, digest: str) -> None:
    """A password hashes to the digest Meteor's own SHA256 gives, emoji included."""
    assert meteor_sha256(text) == digest


def test_non_bmp_digest_is_not_plain_utf8() -> None:
    """A password with an emoji is hashed per UTF-16 unit, unlike a plain UTF-8 SHA-256."""
    text = "a\U0001f40eb"
    assert meteor_sha256(text) != hashlib.sha256(text.encode()).hexdigest()
    assert meteor_sha256("abc") == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.meteor
def test_digest_matches_meteors_code_run_in_node(tmp_path: Path) -> None:
    """Meteor's sha256.js, run in node right now, agrees on awkward passwords."""
    node = shutil.which("node")
    if node is None or not SHA_JS.exists():
        pytest.skip("node or the installed Meteor peer is missing")
    texts = ["", "x" * 200, "\U0001f600\U0001f600", "\ud7ff\ue000", "tab\tand\u2028"]
    script = tmp_path / "sha.js"
    script.write_text(
        "const src=require('fs').readFileSync(process.argv[2],'utf8');"
        "const a=src.indexOf('SHA256 = (function');"
        "eval('var '+src.slice(a,src.indexOf('})();',a)+5));"
        "console.log(JSON.stringify(JSON.parse(process.argv[3]).map(SHA256)));"
    )
    out = subprocess.run(
        [node, str(script), str(SHA_JS), json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert json.loads(out.stdout) == [meteor_sha256(t) for t in texts]


def test_login_params_have_meteors_shape() -> None:
    """loginWithPassword sends a user selector and a sha-256 digest, never the password."""
    [by_name] = login_password_params("ada", "secret")
    [by_mail] = login_password_params("ada@example.com", "secret")
    assert by_name == {
        "user": {"username": "ada"},
        "password": {"digest": meteor_sha256("secret"), "algorithm": "sha-256"},
    }
    assert by_mail["user"] == {"email": "ada@example.com"}
    assert "secret" not in json.dumps(by_name)


# -- against the server -----------------------------------------------------------


@dataclass
class World:
    server: DDPServer
    accounts: DemoAccounts
    ada: DemoUser
    seen: asyncio.Queue[tuple[str, str | None]] = field(default_factory=asyncio.Queue)
    gate: asyncio.Event = field(default_factory=asyncio.Event)


PASSWORD = "lovelace \U0001f40e"


@asynccontextmanager
async def world() -> AsyncIterator[World]:
    ada = DemoUser.make("ada", "ada@example.com", PASSWORD)
    accounts = DemoAccounts([ada, DemoUser.make("bob", "bob@example.com", "b")])
    server = DDPServer(host="127.0.0.1", port=0)
    install_accounts(server, accounts)
    w = World(server, accounts, ada)

    async def record(this: MethodInvocation, *_: Any) -> str | None:
        # Which user the server believes runs this call, on which connection.
        w.seen.put_nowait((this.connection.id, this.user_id))
        await w.gate.wait()
        return this.user_id

    server.methods({"me": lambda this, *_: this.user_id, "record": record})
    await server.start()
    try:
        yield w
    finally:
        w.gate.set()
        await server.stop()


@asynccontextmanager
async def client_of(w: World) -> AsyncIterator[DDPClient]:
    async with DDPClient(w.server.url) as client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, TIMEOUT)
        yield client


@pytest.mark.asyncio
async def test_password_login_sets_the_user_on_both_sides() -> None:
    """Logging in with username or email makes the user id known to client and server."""
    async with world() as w, client_of(w) as client:
        async with asyncio.timeout(TIMEOUT):
            result = await login_with_password(client, "ada", PASSWORD)
            assert result["id"] == w.ada.id
            assert user_id(client) == w.ada.id
            assert await client.call("me") == w.ada.id
            await logout(client)
            assert user_id(client) is None
            assert await client.call("me") is None
            by_mail = await Accounts.of(client).login_with_password(
                "ADA@example.com", PASSWORD
            )
            assert by_mail.user_id == w.ada.id
            assert by_mail.type == "password"


@pytest.mark.asyncio
async def test_wrong_password_gets_meteors_403() -> None:
    """A wrong password or unknown user is refused with Meteor's 403 and no login."""
    async with world() as w, client_of(w) as client:
        async with asyncio.timeout(TIMEOUT):
            with pytest.raises(MethodError) as wrong:
                await login_with_password(client, "ada", "lovelace")
            with pytest.raises(MethodError) as nobody:
                await login_with_password(client, "eve", "x")
            with pytest.raises(MethodError) as malformed:
                await client.call("login", {"user": "ada", "password": "x"})
            assert (wrong.value.error, wrong.value.reason) == (
                403,
                "Incorrect password",
            )
            assert (nobody.value.error, nobody.value.reason) == (403, "User not found")
            assert (malformed.value.error, malformed.value.reason) == (
                400,
                "Match failed",
            )
            assert user_id(client) is None
            assert await client.call("me") is None


@pytest.mark.asyncio
async def test_resume_token_logs_in_another_connection() -> None:
    """The token from a password login logs a second connection in; the server keeps only its hash."""
    async with world() as w, client_of(w) as first:
        async with asyncio.timeout(TIMEOUT):
            result = await login_with_password(first, "ada@example.com", PASSWORD)
            token = result["token"]
            assert isinstance(result["tokenExpires"], datetime)
            assert token not in w.accounts.tokens
            assert token_hash(token) in w.accounts.tokens
            async with client_of(w) as second:
                again = await login_with_token(second, token)
                assert again["id"] == w.ada.id
                assert again["type"] == "resume"
                assert await second.call("me") == w.ada.id
                await logout(second)  # destroys the token for everyone
            async with client_of(w) as third:
                with pytest.raises(MethodError) as refused:
                    await login_with_token(third, token)
            assert refused.value.reason == (
                "You've been logged out by the server. Please log in again."
            )


@pytest.mark.asyncio
async def test_relogin_after_server_close_runs_before_resent_calls() -> None:
    """The server drops the socket: the client logs in again first, then re-sends its call."""
    async with world() as w, client_of(w) as client:
        frames: list[Frame] = []
        client.wiretap.add(frames.append)
        async with asyncio.timeout(TIMEOUT):
            await login_with_password(client, "ada", PASSWORD)
            pending = client.apply_nowait("record", [])
            first_connection, _ = await w.seen.get()  # running on the server
            w.server.connections[0].close()
            new_connection, user_then = await w.seen.get()  # re-sent after reconnect
            w.gate.set()
            assert await pending == w.ada.id
        assert new_connection != first_connection
        assert user_then == w.ada.id
        assert user_id(client) == w.ada.id
        sent = [
            json.loads(f.data)
            for f in frames
            if f.direction is Direction.OUT and '"method"' in str(f.data)
        ]
        after_close = [m["method"] for m in sent][-2:]
        assert after_close == ["login", "record"]
        assert "resume" in sent[-2]["params"][0]


@pytest.mark.asyncio
async def test_failed_relogin_logs_the_client_out() -> None:
    """When the server revoked the token, the re-login after a reconnect logs the client out."""
    async with world() as w, client_of(w) as client:
        changes: list[str | None] = []
        logged_out = asyncio.Event()
        Accounts.of(client).add_listener(changes.append)

        def on_change(uid: str | None) -> None:
            if uid is None:
                logged_out.set()

        Accounts.of(client).add_listener(on_change)
        async with asyncio.timeout(TIMEOUT):
            await login_with_password(client, "ada", PASSWORD)
            w.accounts.revoke(w.ada.id)
            w.server.connections[0].close()
            await client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
            await client.wait_for_status(ConnectionStatus.CONNECTED, TIMEOUT)
            await logged_out.wait()
            assert await client.call("me") is None
        assert changes == [w.ada.id, None]
        assert Accounts.of(client).token is None


@pytest.mark.asyncio
async def test_expiring_token_is_not_resumed() -> None:
    """A token that expires within the hour is not resumed on reconnect: logged out."""
    async with world() as w, client_of(w) as client:
        late = datetime(2100, 1, 1, tzinfo=UTC)
        accounts = Accounts.of(client)
        accounts.clock = lambda: late
        async with asyncio.timeout(TIMEOUT):
            await login_with_password(client, "ada", PASSWORD)
            frames: list[Frame] = []
            client.wiretap.add(frames.append)
            w.server.connections[0].close()
            await client.wait_for_status(ConnectionStatus.WAITING, TIMEOUT)
            await client.wait_for_status(ConnectionStatus.CONNECTED, TIMEOUT)
            assert await client.call("me") is None
        assert accounts.user_id is None
        assert not any('"login"' in str(f.data) for f in frames)
