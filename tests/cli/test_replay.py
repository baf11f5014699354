"""``ddp-monitor replay FILE URL`` as a subprocess: JSON lines, exit 0 / 1 / 2.

Recorded against Meteor 1.9.3 and our demo server in the test's process,
replayed by the real command against the same server and against one whose
``add`` answers otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.cli.main import main
from ddp_monitor.cli.replay import PASSWORD_VARIABLE
from ddp_monitor.demo.names import ACCOUNT
from ddp_monitor.profiles import (
    LoginKind,
    LoginSpec,
    Profile,
    ProfileStore,
    SecretStore,
)
from tests.peers.meteor_server import free_port
from tests.recording.sessions import changed_server, login_session, record, scenario
from tests.timeouts import TIMEOUT


async def replay(
    *args: str, env: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]], str]:
    """Run the command; its exit status, stdout's JSON lines and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "replay",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    async with asyncio.timeout(TIMEOUT * 3):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    lines = [json.loads(line) for line in out.decode().splitlines()]
    return proc.returncode, lines, err.decode()


@pytest.mark.asyncio
async def test_the_same_server_gives_the_same_answers_exit_0(
    ddp_server: str, tmp_path: Path
) -> None:
    path = tmp_path / "session.ddprec"
    await record(ddp_server, path, scenario)
    code, lines, err = await replay(str(path), ddp_server)
    assert code == 0, err
    first, *compared, last = lines
    assert first["kind"] == "replay"
    assert (first["calls"], first["subscriptions"], first["logins"]) == (3, 2, 0)
    assert first["recordedUrl"] == first["url"] == ddp_server
    assert [(x["kind"], x.get("name"), x["outcome"]) for x in compared] == [
        ("subscription", "items", "same"),
        ("call", "add", "same"),
        ("call", "fail", "same"),
        ("subscription", "items", "same"),
        ("call", "echo", "same"),
        ("collections", None, "same"),
    ]
    assert last["kind"] == "summary"
    assert (last["same"], last["different"], last["missing"], last["status"]) == (
        6,
        0,
        0,
        0,
    )


@pytest.mark.asyncio
async def test_a_changed_result_exits_1_with_its_diff(
    our_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "session.ddprec"
    await record(str(our_server.url), path, scenario)
    server = changed_server()
    await server.start()
    try:
        code, lines, _ = await replay(
            str(path), str(server.url), "--pacing", "recorded"
        )
        quiet, ignored, _ = await replay(
            str(path), str(server.url), "--ignore", "add:result", "--ignore", "echo:*"
        )
    finally:
        await server.stop()
    assert code == 1
    add = next(x for x in lines if x.get("name") == "add")
    assert add["outcome"] == "different"
    assert add["diff"] == [
        {"path": "result", "change": "changed", "recorded": 5, "replayed": 6}
    ]
    assert lines[-1]["different"] == 2
    assert lines[0]["pacing"] == "recorded"
    assert quiet == 0
    assert ignored[0]["ignore"] == ["login:result.tokenExpires", "add:result", "echo:*"]


@pytest.mark.asyncio
async def test_a_login_takes_fresh_credentials(our_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "login.ddprec"
    url = str(our_server.url)
    await record(url, path, login_session)
    code, lines, err = await replay(str(path), url)
    assert code == 2
    assert lines == []
    assert "logs in (call 1)" in err
    user = ["--user", ACCOUNT[0]]
    code, lines, err = await replay(str(path), url, *user)
    assert code == 2
    assert f"--user needs --password or ${PASSWORD_VARIABLE}" in err
    code, lines, err = await replay(
        str(path), url, *user, env={PASSWORD_VARIABLE: ACCOUNT[1]}
    )
    assert code == 0, err
    assert lines[0]["logins"] == 1
    assert ACCOUNT[1] not in json.dumps(lines)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("content", "url", "why"),
    [
        (None, "localhost:3000", "No such file or directory"),
        ("hello\n", "localhost:3000", "line 1: not a recording"),
        ("", "localhost:3000", "the file is empty"),
        ("RECORDING", "ftp://x", "ftp"),
        ("RECORDING", "127.0.0.1:FREE", "cannot reach"),
    ],
)
async def test_bad_input_exits_2_with_a_clear_message(
    content: str | None, url: str, why: str, tmp_path: Path
) -> None:
    path = tmp_path / "file.ddprec"
    if content == "RECORDING":
        await record_empty(path)
    elif content is not None:
        path.write_text(content)
    if url.endswith(":FREE"):
        url = f"127.0.0.1:{free_port()}"
    code, lines, err = await replay(str(path), url, "--connect-timeout", "3")
    assert code == 2
    assert lines == []
    assert err.startswith("ddp-monitor replay: ")
    assert why in err


async def record_empty(path: Path) -> None:
    from ddp_monitor.recording.recorder import Recorder

    Recorder("ws://127.0.0.1:1/websocket").save(path)


def test_a_profile_gives_the_login_its_credentials(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--profile NAME``: the saved profile's user, its password from the keyring (in-process)."""
    monkeypatch.setenv(
        "XDG_CONFIG_HOME", str(tmp_path / "config")
    )  # a store of its own
    store = ProfileStore()
    demo = Profile("demo", "localhost", login=LoginSpec(LoginKind.PASSWORD, ACCOUNT[0]))
    store.save([demo])
    store.secrets.set(SecretStore.key(demo), ACCOUNT[1])
    path = tmp_path / "login.ddprec"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ddp_monitor", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]  # "... listening on URL"
        asyncio.run(asyncio.wait_for(record(url, path, login_session), TIMEOUT))
        assert main(["replay", str(path), url, "--profile", "demo"]) == 0
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert lines[0]["logins"] == 1
        assert lines[1] == {
            "kind": "call",
            "index": 1,
            "name": "login",
            "outcome": "same",
            "diff": [],
        }
        assert main(["replay", str(path), url, "--profile", "nobody"]) == 2
        assert "no profile named 'nobody' ('demo')" in capsys.readouterr().err
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(TIMEOUT)
