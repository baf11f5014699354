"""DDPClient over real loopback sockets against a tiny DDP server that misbehaves on cue."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    HandshakeCompleted,
    MethodSent,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import ConnectionLost, MethodError
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.urls import InvalidURL
from ddp_monitor.transport.wiretap import Direction
from tests.peers.meteor_server import free_port
from tests.timeouts import TIMEOUT
from tests.transport.client.recorder import Recorder
from tests.transport.client.tiny_ddp import TinyDDPServer

S = ConnectionStatus


def test_an_unusable_url_fails_at_construction() -> None:
    """DDPClient('ftp://...') raises a ValueError at once instead of hanging."""
    with pytest.raises(InvalidURL, match="unsupported scheme"):
        DDPClient("ftp://example.com")
    with pytest.raises(ValueError, match=r"(?i)port"):
        DDPClient("ws://127.0.0.1:70000")


@pytest.mark.asyncio
async def test_garbage_frames_are_reported_and_nothing_is_lost() -> None:
    """Non-JSON, unknown and malformed frames become events; binary is ignored; calls still work."""

    async def garbage(ws: ServerConnection, number: int) -> None:
        for frame in ("not json", '{"msg":"bogus"}', "[1,2]", '{"msg":"result"}'):
            await ws.send(frame)
        await ws.send(b"\x00\x01binary")

    server = await TinyDDPServer(on_open=garbage).start()
    try:
        async with DDPClient(server.url) as client:
            recorder = Recorder(client, frames=True)
            async with asyncio.timeout(TIMEOUT):
                assert await client.call("echo", {"kept": True}) == {"kept": True}
                await recorder.wait_for(lambda e: isinstance(e, BadMessageReceived))
                while len(recorder.of(BadMessageReceived)) < 4:
                    await recorder.wait_for(
                        lambda e: isinstance(e, BadMessageReceived),
                        after=len(recorder.events),
                    )
            bad = recorder.of(BadMessageReceived)
            assert [b.text for b in bad] == [
                "not json",
                '{"msg":"bogus"}',
                "[1,2]",
                '{"msg":"result"}',
            ]
            assert all(b.reason for b in bad)
            assert b"\x00\x01binary" in [f.data for f in recorder.frames]
            assert recorder.of(TransportLost) == []
            assert client.status.status is S.CONNECTED
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_an_oversize_frame_is_a_clean_error_then_a_reconnect() -> None:
    """A frame over max_message_size is reported, the client reconnects and the call is answered."""

    async def huge(ws: ServerConnection, number: int) -> None:
        if number == 1:
            await ws.send(
                json.dumps(
                    {
                        "msg": "added",
                        "collection": "c",
                        "id": "x",
                        "fields": {"blob": "x" * 5000},
                    }
                )
            )

    server = await TinyDDPServer(on_open=huge, answer_methods=False).start()
    try:
        async with DDPClient(server.url, max_message_size=1024) as client:
            recorder = Recorder(client)
            pending = client.apply_nowait("echo", ["survives"])
            bad = await recorder.wait_for(lambda e: isinstance(e, BadMessageReceived))
            assert isinstance(bad, BadMessageReceived)
            assert "1009" in bad.reason
            server.answer_methods = True
            await recorder.wait_status(S.CONNECTED, after=1)
            async with asyncio.timeout(TIMEOUT):
                assert await pending == "survives"
            assert recorder.statuses()[-3:] == [
                ("waiting", 0),
                ("connecting", 1),
                ("connected", 0),
            ]
            assert server.connections == 2
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_a_silent_dead_socket_is_detected_by_heartbeat() -> None:
    """A server that stops answering is given up after the heartbeat timeout, then retried."""
    server = await TinyDDPServer(answer_pings=False).start()
    try:
        client = DDPClient(server.url, heartbeat_interval=0.2, heartbeat_timeout=0.2)
        async with client:
            recorder = Recorder(client)
            lost = await recorder.wait_for(lambda e: isinstance(e, TransportLost))
            assert lost == TransportLost("DDP heartbeat timed out")
            server.answer_pings = True
            await recorder.wait_status(S.CONNECTED, after=2)
            assert recorder.statuses()[:4] == [
                ("connected", 0),
                ("waiting", 0),
                ("connecting", 1),
                ("connected", 0),
            ]
            pings = [m for m in server.received if m.get("msg") == "ping"]
            assert pings
            assert all(set(p) == {"msg"} for p in pings)  # Meteor's pings: no id
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_an_unreachable_server_means_waiting_with_meteor_back_off() -> None:
    """Connection refused: waiting, 10 ms, 10 ms, then Meteor's 2.2^n back-off."""
    url = f"ws://127.0.0.1:{free_port()}"
    async with DDPClient(url, rng=lambda: 0.0) as client:
        recorder = Recorder(client)
        await recorder.wait_status(S.WAITING, 2)
        assert recorder.statuses() == [
            ("waiting", 0),
            ("connecting", 1),
            ("waiting", 1),
            ("connecting", 2),
            ("waiting", 2),
        ]
        delays = [
            round(e.status.retry_time - t, 2)
            for t, e in recorder.events
            if isinstance(e, StatusChanged) and e.status.retry_time is not None
        ]
        # retry.js: 10 ms for counts 0 and 1; then 1000 * 2.2^2 * 0.75 ms.
        assert delays == [0.01, 0.01, 3.63]
        reasons = [e.reason for e in recorder.of(TransportLost)]
        assert len(reasons) == 3
        assert all(
            r is not None and r.startswith("connection refused") for r in reasons
        )
        assert not client.status.connected


@pytest.mark.asyncio
async def test_calls_made_while_disconnected_go_out_on_reconnect_in_order() -> None:
    """Offline calls are not on the wire; reconnect sends on_reconnect's call, then them, in order."""
    server = await TinyDDPServer().start()
    try:
        async with DDPClient(server.url) as client:
            recorder = Recorder(client, frames=True)
            await client.wait_for_status(S.CONNECTED, TIMEOUT)
            await recorder.wait_for(lambda e: isinstance(e, HandshakeCompleted))
            client.disconnect()
            assert client.status.status is S.OFFLINE
            sent_before = len(recorder.sent_texts())
            calls = [client.apply_nowait("echo", [name]) for name in ("a", "b", "c")]
            assert (
                len(recorder.sent_texts()) == sent_before
            )  # nothing crossed the socket
            assert recorder.of(MethodSent) == []

            def login() -> None:
                client.apply_nowait("login", ["t"])

            client.on_reconnect = login
            client.reconnect()
            async with asyncio.timeout(TIMEOUT):
                assert [await call for call in calls] == ["a", "b", "c"]
            sent = [json.loads(t) for t in recorder.sent_texts()[sent_before:]]
            assert [(m["msg"], m.get("params")) for m in sent] == [
                ("connect", None),
                ("method", ["t"]),
                ("method", ["a"]),
                ("method", ["b"]),
                ("method", ["c"]),
            ]
            assert [m[2] for m in server.methods()] == [["t"], ["a"], ["b"], ["c"]]
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_a_dropped_connection_resends_calls_but_fails_no_retry_ones() -> None:
    """After a drop the plain call is re-sent and answered; the no_retry one fails as Meteor's."""
    sockets: list[ServerConnection] = []

    async def keep(ws: ServerConnection, number: int) -> None:
        sockets.append(ws)

    server = await TinyDDPServer(on_open=keep, answer_methods=False).start()
    try:
        async with DDPClient(server.url) as client:
            recorder = Recorder(client)
            # Made after the handshake: a no_retry call made before the socket
            # opens counts as sent-and-dropped and fails at once (Meteor's rule).
            await recorder.wait_for(lambda e: isinstance(e, HandshakeCompleted))
            plain = client.apply_nowait("echo", ["again"])
            once = client.apply_nowait("echo", ["once"], no_retry=True)
            await server.wait_received(lambda: len(server.methods()) == 2)
            server.answer_methods = True
            await sockets[0].close()
            async with asyncio.timeout(TIMEOUT):
                assert await plain == "again"
                with pytest.raises(MethodError) as failed:
                    await once
            assert failed.value.error == "invocation-failed"
            assert "noRetry" in (failed.value.reason or "")
            names = [m[2] for m in server.methods()]
            assert names == [["again"], ["once"], ["again"]]
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_close_fails_unanswered_calls_with_connection_lost() -> None:
    """close() ends the connection for good: pending calls raise ConnectionLost, status failed."""
    server = await TinyDDPServer(answer_methods=False).start()
    try:
        client = DDPClient(server.url)
        await client.start()
        pending = client.apply_nowait("echo", ["never"])
        await client.wait_for_status(S.CONNECTED, TIMEOUT)
        await client.close()
        with pytest.raises(ConnectionLost):
            await pending
        assert client.status.status is S.FAILED
        assert client.status.reason is None
        with pytest.raises(ConnectionLost):
            await client.call("echo", 1)
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_the_tap_sees_frames_when_they_hit_the_socket() -> None:
    """A call queued while offline appears in the tap only when reconnect sends it."""
    server = await TinyDDPServer().start()
    try:
        async with DDPClient(server.url) as client:
            recorder = Recorder(client, frames=True)
            await recorder.wait_for(lambda e: isinstance(e, HandshakeCompleted))
            client.disconnect()
            queued_at = asyncio.get_running_loop().time()
            pending = client.apply_nowait("echo", ["late"])
            client.reconnect()
            async with asyncio.timeout(TIMEOUT):
                await pending
            outs = [f for f in recorder.frames if f.direction is Direction.OUT]
            late = [f for f in outs if '"late"' in str(f.data)]
            assert len(late) == 1
            connects = [f for f in outs if '"connect"' in str(f.data)]
            assert connects[-1].time >= queued_at
            assert outs.index(late[0]) > outs.index(connects[-1])
            ins = [f for f in recorder.frames if f.direction is Direction.IN]
            assert any('"result"' in str(f.data) for f in ins)
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_ping_without_a_session_raises_connection_lost() -> None:
    """Asking for a round trip while nothing is connected fails at once, clearly."""
    async with DDPClient(f"ws://127.0.0.1:{free_port()}/websocket") as client:
        with pytest.raises(ConnectionLost, match="no DDP session"):
            await asyncio.wait_for(client.ping(), TIMEOUT)


@pytest.mark.asyncio
async def test_reconnect_with_a_url_moves_a_live_connection_to_another_server(
    our_server: Any,
) -> None:
    """reconnect(url=) leaves a connected server at once; the subscription is renewed on the new one."""
    from ddp_monitor.demo.server import create_demo_server

    other = create_demo_server(host="127.0.0.1", port=0)
    await other.start()
    try:
        async with DDPClient(our_server.url) as client:
            recorder = Recorder(client)
            items = client.subscribe("items", 2)
            async with asyncio.timeout(TIMEOUT):
                await items.wait_ready()
            first = client.session
            with pytest.raises(InvalidURL):
                client.reconnect(url="ftp://nowhere")
            assert client.url == our_server.url  # a bad URL changes nothing
            mark = len(recorder.events)
            client.reconnect(url=other.url)
            lost = await recorder.wait_for(
                lambda e: isinstance(e, TransportLost), after=mark
            )
            await recorder.wait_for(
                lambda e: isinstance(e, HandshakeCompleted), after=mark
            )
            assert client.url == other.url
            async with asyncio.timeout(TIMEOUT):
                assert await client.call("add", 2, 3) == 5
            assert client.session != first
            assert lost == TransportLost("forced reconnect", local=True)
            assert sorted(client.store.collection("items")) == ["i0", "i1"]
            assert len(other.connections) == 1
    finally:
        await other.stop()
