"""DDP clients nobody on this project wrote, installed by name from npm, work with our server.

Each script in tests/peers/npm (``ddp``, ``ddp`` over its SockJS path,
``simpleddp`` on ``ws``, ``sockjs-client`` on Meteor's SockJS websocket transport
and on its xhr-polling fallback)
runs the same plan from tests/peers/npm/common.js: echo an EJSON value with a
date, add, fail, subscribe to ``items(3)`` and to ``ticker(50)`` until it ticks.
Every script also runs against the real Meteor server, which proves the script
right before its verdict on ours counts.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.timeouts import TIMEOUT

pytestmark = [pytest.mark.npm, pytest.mark.asyncio]

# client name -> (script, extra arguments)
CLIENTS: dict[str, tuple[str, list[str]]] = {
    "ddp": ("ddp_client.js", []),
    "ddp-sockjs": ("ddp_client.js", ["--sockjs"]),
    "simpleddp": ("simpleddp_client.js", []),
    "sockjs-client": ("sockjs_client.js", []),
    "sockjs-client-xhr-polling": ("sockjs_client.js", ["--transport", "xhr-polling"]),
}

# The plan's inputs (tests/peers/npm/common.js) and the scenario's rules
# (tests/peers/meteor/app.js) give every expected answer below.
ITEMS = 3
FAIL_ERROR = {
    "error": "boom",
    "reason": "Boom: requested failure",
    "details": {"scenario": "fail"},
}


def http_base(url: str) -> str:
    """``http://host:port`` of a server given as ws(s)://, http(s):// or host:port."""
    parts = urlsplit(url if "://" in url else f"ws://{url}")
    return f"http://{parts.hostname}:{parts.port}"


async def run_client(npm_clients: Path, name: str, url: str) -> list[dict[str, Any]]:
    """Run one npm client script against the server; its JSON lines, checked for a clean finish."""
    script, extra = CLIENTS[name]
    process = await asyncio.create_subprocess_exec(
        "node",
        str(npm_clients / script),
        http_base(url),
        *extra,
        cwd=npm_clients,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(3 * TIMEOUT):
            stdout, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    report = f"exit {process.returncode}\nstdout:\n{stdout.decode()}\nstderr:\n{stderr.decode()[-3000:]}"
    assert process.returncode == 0, report
    assert lines, report
    assert lines[-1]["event"] == "done", report
    return lines


def event(lines: list[dict[str, Any]], kind: str, **match: Any) -> dict[str, Any]:
    """The one line of this event kind whose fields match."""
    found = [
        line
        for line in lines
        if line["event"] == kind and all(line.get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, f"expected one {kind} {match} in {lines}"
    return found[0]


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_npm_client_calls_and_subscribes(
    npm_clients: Path, ddp_server: str, client: str
) -> None:
    """A third-party npm DDP client connects, gets method results and errors, and receives published documents."""
    check_plan(await run_client(npm_clients, client, ddp_server))


def check_plan(lines: list[dict[str, Any]]) -> None:
    """The answers of common.js's plan, each as tests/peers/meteor/app.js gives it."""
    event(lines, "connected")
    echo = event(lines, "result", method="echo")
    assert echo["result"] == echo["params"][0]
    assert "$date" in echo["result"]["when"]
    add = event(lines, "result", method="add")
    assert add["result"] == sum(add["params"])
    assert event(lines, "error", method="fail")["error"] == FAIL_ERROR

    items = event(lines, "ready", subscription="items")["documents"]
    assert items == [
        {"_id": f"i{k}", "k": k, "text": f"item {k}"} for k in range(ITEMS)
    ]
    (tick,) = event(lines, "ready", subscription="ticker")["documents"]
    assert tick["_id"] == "tick"
    assert tick["n"] == 0
    assert isinstance(tick["at"]["$date"], int | float)
    assert event(lines, "changed", collection="ticker")["n_at_least_1"] is True
