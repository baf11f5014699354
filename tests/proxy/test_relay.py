"""The proxy relays a Meteor app's DDP clients unchanged, one upstream socket each (real Meteor 1.9.3 upstream)."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.rows import frames, row
from ddp_monitor.transport.client import DDPClient
from tests.peers.http_request import http_request
from tests.peers.meteor_server import MeteorServer, free_port
from tests.proxy.proxy_helpers import script_frames, until_row
from tests.timeouts import QUIET, TIMEOUT

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]


async def test_client_calls_and_subscribes_through_the_proxy(proxy: DDPProxy) -> None:
    """A client through the proxy gets results and documents, and its row shows the session, version and subscription."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        assert await client.call("add", 1, 2) == 3
        await client.subscribe("items", 3).wait_ready()
        assert sorted(client.store.collection("items")) == ["i0", "i1", "i2"]
        connection = await until_row(
            proxy, lambda c: any(s.ready for s in c.subscriptions.values())
        )
        shown = row(connection)
        assert shown["session"] == client.session
        assert shown["ddpVersion"] == "1"
        assert [
            (s["name"], s["params"], s["ready"]) for s in shown["subscriptions"]
        ] == [("items", [3], True)]
        assert shown["clientAddress"] == "127.0.0.1"
        assert shown["transport"] == "websocket"
        assert shown["framesToServer"] >= 3  # connect, method, sub
        assert (
            shown["framesToClient"] >= 7
        )  # connected, updated, result, 3 added, ready
        to_server = [f for f in frames(connection) if f["dir"] == "toServer"]
        assert json.loads(to_server[0]["text"])["msg"] == "connect"


async def test_frames_through_the_proxy_are_the_apps_frames(
    proxy: DDPProxy, meteor_server: MeteorServer
) -> None:
    """The same exchange directly and through the proxy (no fault) gives the same frames, in the same order."""
    direct = await script_frames(meteor_server.url)
    proxied = await script_frames(proxy.url.replace("http://", "ws://") + "/websocket")
    assert proxied == direct
    assert {
        "msg": "pong",
        "id": "p1",
    } in proxied  # the app answered the ping, not the proxy


async def test_sockjs_client_through_the_proxy_gets_the_apps_messages(
    proxy: DDPProxy, meteor_server: MeteorServer
) -> None:
    """Over SockJS's websocket transport the proxy frames `o` and `a[...]` and relays the app's messages."""
    url = proxy.url.replace("http://", "ws://") + "/sockjs/123/abcdefgh/websocket"
    async with asyncio.timeout(TIMEOUT), connect(url, compression=None) as ws:
        assert await ws.recv() == "o"
        await ws.send(
            json.dumps(
                [json.dumps({"msg": "connect", "version": "1", "support": ["1"]})]
            )
        )
        seen: list[dict[str, object]] = []
        while not any(m.get("msg") == "connected" for m in seen):
            frame = await ws.recv()
            assert isinstance(frame, str)
            assert frame.startswith("a[")
            seen += [json.loads(text) for text in json.loads(frame[1:])]
    connection = await until_row(proxy)
    assert row(connection)["transport"] == "sockjs"


async def test_whoami_through_the_proxy_reports_the_clients_address(
    forwarding_meteor: MeteorServer,
) -> None:
    """With HTTP_FORWARDED_COUNT=1 on the app, whoami through the proxy names the client; direct, it is null."""
    async with (
        DDPProxy(forwarding_meteor.http_url, port=0) as proxy,
        asyncio.timeout(TIMEOUT),
    ):
        async with DDPClient(proxy.url) as client:
            me = await client.call("whoami")
        assert me["clientAddress"] == "127.0.0.1"
        assert me["httpHeaders"]["x-forwarded-for"] == "127.0.0.1"
        async with DDPClient(forwarding_meteor.http_url) as direct:
            assert (await direct.call("whoami"))["clientAddress"] is None


async def test_close_makes_the_client_reconnect_with_a_new_session(
    proxy: DDPProxy,
) -> None:
    """Close closes the client's socket: its client goes waiting, reconnects, and gets a new session."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 1)
        first = client.session
        connection = await until_row(proxy, lambda c: c.session == first)
        proxy.close(connection.id)
        await client.wait_for_status(ConnectionStatus.WAITING)
        await client.wait_for_status(ConnectionStatus.CONNECTED)
        assert await client.call("add", 2, 2) == 4
        assert client.session != first
        await until_row(proxy, lambda c: c.session == client.session)
        assert [c.session for c in proxy.connections] == [client.session]


async def test_close_upstream_drops_the_session_but_keeps_the_clients_socket(
    proxy: DDPProxy,
) -> None:
    """Close upstream ends the app's side only: the client stays connected and its next call gets no answer."""
    async with asyncio.timeout(TIMEOUT), DDPClient(proxy.url) as client:
        await client.call("echo", 1)
        connection = await until_row(proxy, lambda c: c.session == client.session)
        proxy.close_upstream(connection.id)
        await until_row(proxy, lambda c: c.upstream_dropped)
        pending = asyncio.ensure_future(client.call("add", 1, 1))
        await asyncio.sleep(QUIET)  # an absence: nothing may answer
        assert not pending.done()
        assert client.status.status is ConnectionStatus.CONNECTED
        assert row(connection)["upstreamClosed"] is True
        pending.cancel()


async def test_the_app_down_fails_the_handshake() -> None:
    """With nothing at the upstream address, a client's WebSocket handshake is refused with 502, not opened and closed."""
    async with DDPProxy(f"http://127.0.0.1:{free_port()}", port=0) as proxy:
        url = proxy.url.replace("http://", "ws://") + "/websocket"
        with pytest.raises(InvalidStatus) as refused:
            async with asyncio.timeout(TIMEOUT), connect(url):
                pass
        assert refused.value.response.status_code == 502


async def test_pass_through_streams_the_apps_pages(proxy: DDPProxy) -> None:
    """A request that is not DDP reaches the app with the client's address appended, and its streamed answer comes back whole."""
    answer = await http_request(proxy.url + "/page?x=1", "POST", b"hello")
    assert answer.status == 200
    first, second = answer.text.splitlines()
    assert first == "first"
    seen = json.loads(second)
    assert seen["method"] == "POST"
    assert seen["url"] == "/page?x=1"
    assert seen["body"] == "hello"
    assert seen["xForwardedFor"] == "127.0.0.1"
    info = await http_request(proxy.url + "/sockjs/info")
    assert json.loads(info.body)["websocket"] is True  # /sockjs stays with the proxy


async def test_xhr_polling_client_through_the_proxy(proxy: DDPProxy) -> None:
    """A SockJS client without WebSocket (xhr-polling) connects through the proxy and gets the app's session."""
    base = proxy.url + "/sockjs/321/pollpoll"
    opened = await http_request(base + "/xhr", "POST")
    assert opened.text == "o\n"
    connect_frame = json.dumps(
        [json.dumps({"msg": "connect", "version": "1", "support": ["1"]})]
    )
    sent = await http_request(base + "/xhr_send", "POST", connect_frame.encode())
    assert sent.status == 204
    messages: list[dict[str, object]] = []
    while not any(m.get("msg") == "connected" for m in messages):
        frame = (await http_request(base + "/xhr", "POST")).text.rstrip("\n")
        messages += (
            [json.loads(t) for t in json.loads(frame[1:])]
            if frame.startswith("a[")
            else []
        )
    connection = await until_row(proxy, lambda c: c.session is not None)
    assert row(connection)["transport"] == "xhr-polling"
