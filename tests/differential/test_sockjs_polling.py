"""SockJS's polling transports, spoken by hand to the real Meteor server and to ours: the same answers.

Meteor's browser client falls back to xhr-polling (then iframe-xhr-polling,
jsonp-polling) when WebSocket is blocked; before issue 14 our server answered
``POST /sockjs/<s>/<id>/xhr`` with 404 and the client looped for ever.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import pytest

from tests.peers.http_request import http_request
from tests.test_interop_npm import http_base
from tests.timeouts import QUIET, TIMEOUT

pytestmark = pytest.mark.asyncio

CONNECT = json.dumps(
    {"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}
)


def session_url(server: str) -> str:
    return f"{http_base(server)}/sockjs/{secrets.randbelow(1000):03d}/{secrets.token_hex(4)}"


def messages(frame: str) -> list[dict[str, Any]]:
    """The DDP messages of an ``a[...]`` frame, without Meteor 1.9's server_id."""
    assert frame.startswith("a["), frame
    found = [json.loads(text) for text in json.loads(frame[1:])]
    return [m for m in found if "server_id" not in m]


async def poll_until(url: str, msg: str) -> list[dict[str, Any]]:
    """Poll ``xhr`` until a frame carries ``msg``; every DDP message seen."""
    seen: list[dict[str, Any]] = []
    for _ in range(10):
        answer = await http_request(url + "/xhr", "POST")
        assert answer.status == 200
        frame = answer.text.rstrip("\n")
        if frame == "h":
            continue
        seen += messages(frame)
        if any(m.get("msg") == msg for m in seen):
            return seen
    raise AssertionError(f"no {msg} in {seen}")


async def test_xhr_polling_session_connects_and_calls(ddp_server: str) -> None:
    """Over xhr-polling: `o`, then `connected`, then a method's updated and result."""
    url = session_url(ddp_server)
    first = await http_request(
        url + "/xhr", "POST", headers={"Origin": "http://page.test"}
    )
    assert (first.status, first.text) == (200, "o\n")
    assert first.headers["content-type"] == "application/javascript; charset=UTF-8"
    assert first.headers["access-control-allow-origin"] == "http://page.test"
    assert first.headers["access-control-allow-credentials"] == "true"
    sent = await http_request(url + "/xhr_send", "POST", json.dumps([CONNECT]).encode())
    assert (sent.status, sent.body) == (204, b"")
    (connected,) = [m for m in await poll_until(url, "connected")]
    assert len(connected["session"]) == 17
    call = {"msg": "method", "id": "1", "method": "add", "params": [2, 3]}
    await http_request(
        url + "/xhr_send", "POST", json.dumps([json.dumps(call)]).encode()
    )
    answers = await poll_until(url, "result")
    assert {"msg": "result", "id": "1", "result": 5} in answers


async def test_xhr_send_errors_match_sockjs(ddp_server: str) -> None:
    """xhr_send to an unknown session is 404; broken JSON and a non-array are 500 with sockjs's words."""
    url = session_url(ddp_server)
    unknown = await http_request(url + "/xhr_send", "POST", b'["x"]')
    assert unknown.status == 404
    await http_request(url + "/xhr", "POST")
    broken = await http_request(url + "/xhr_send", "POST", b"[nope")
    assert (broken.status, broken.text) == (500, "Broken JSON encoding.")
    scalar = await http_request(url + "/xhr_send", "POST", b"42")
    assert (scalar.status, scalar.text) == (500, "Payload expected.")


async def test_xhr_preflight_allows_post(ddp_server: str) -> None:
    """The CORS preflight of /xhr answers 204 with the methods and the origin."""
    answer = await http_request(
        session_url(ddp_server) + "/xhr",
        "OPTIONS",
        headers={
            "Origin": "http://page.test",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert answer.status == 204
    assert answer.headers["access-control-allow-methods"] == "OPTIONS, POST"
    assert answer.headers["access-control-allow-origin"] == "http://page.test"
    assert answer.headers["access-control-allow-headers"] == "content-type"


async def test_jsonp_polling_wraps_frames_in_the_callback(ddp_server: str) -> None:
    """jsonp-polling: the open frame comes as `/**/cb("o");`, and jsonp_send takes a form's `d`."""
    url = session_url(ddp_server)
    opened = await http_request(url + "/jsonp?c=cb", "GET")
    assert (opened.status, opened.text) == (200, '/**/cb("o");\r\n')
    sent = await http_request(
        url + "/jsonp_send",
        "POST",
        b"d=" + json.dumps([CONNECT]).encode().replace(b'"', b"%22"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (sent.status, sent.text) == (200, "ok")
    answer = await http_request(url + "/jsonp?c=cb", "GET")
    frame = json.loads(answer.text[len("/**/cb(") : -len(");\r\n")])
    assert any(m.get("msg") == "connected" for m in messages(frame))
    bad = await http_request(url + "/jsonp?c=a%20b", "GET")
    assert (bad.status, bad.text) == (500, 'invalid "callback" parameter')


async def test_iframe_page_loads_sockjs(ddp_server: str) -> None:
    """iframe-xhr-polling's page is served, with sockjs's ETag."""
    answer = await http_request(http_base(ddp_server) + "/sockjs/iframe.html")
    assert answer.status == 200
    assert "SockJS.bootstrap_iframe()" in answer.text
    assert answer.headers["etag"].startswith('"')


async def test_abandoned_poll_ends_the_session(ddp_server: str) -> None:
    """A client that drops a held poll has left: the session ends at once, and the next poll opens a new one (`o`)."""
    url = session_url(ddp_server)
    await http_request(url + "/xhr", "POST")
    await http_request(url + "/xhr_send", "POST", json.dumps([CONNECT]).encode())
    await poll_until(url, "connected")
    parts = url.split("/", 3)
    _, writer = await asyncio.open_connection(*parts[2].split(":"))
    writer.write(
        f"POST /{parts[3]}/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode()
    )
    await writer.drain()
    await asyncio.sleep(QUIET)  # the poll is held: nothing to send
    writer.transport.abort()
    # Until the server has noticed, a poll is refused at once (sockjs's 2010,
    # "Another connection still open"); then the session is gone.
    async with asyncio.timeout(TIMEOUT):
        while (answer := (await http_request(url + "/xhr", "POST")).text) != "o\n":
            assert answer.startswith("c[2010,"), answer
