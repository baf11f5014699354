"""DDPClient against the real Meteor 1.9.3 server: what Meteor's own client would see."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    DocumentChanged,
    DocumentRemoved,
    HandshakeCompleted,
    MethodSent,
    StatusChanged,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.ejson import stringify
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.peers.meteor_server import MeteorServer
from tests.timeouts import TIMEOUT
from tests.transport.client.recorder import Recorder

S = ConnectionStatus
pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]

UTC = dt.UTC


@pytest.mark.parametrize("compression", [False, True])
async def test_connects_to_meteor_ignoring_server_id(
    meteor_server: MeteorServer, compression: bool
) -> None:
    """Connected at socket open, then the handshake; Meteor 1.9's server_id frame is silently ignored."""
    async with DDPClient(meteor_server.http_url, compression=compression) as client:
        recorder = Recorder(client, frames=True)
        handshake = await recorder.wait_for(lambda e: isinstance(e, HandshakeCompleted))
        assert isinstance(handshake, HandshakeCompleted)
        assert len(handshake.session) == 17
        assert handshake.version == "1"
        assert (client.session, client.version) == (handshake.session, "1")
        assert client.status.status is S.CONNECTED
        assert client.status.connected
        assert '{"server_id":"0"}' in [f.data for f in recorder.frames]
        assert recorder.of(BadMessageReceived) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (dt.datetime(2020, 2, 29, 12, 30, 1, 250000, tzinfo=UTC), "Date"),
        (b"\x00\x01\xfe\xff", "binary"),
        ({"$date": "not a date", "$type": 1, "plain": [1, 2.5, None]}, "object"),
        (
            {"nested": {"when": dt.datetime(1999, 1, 1, tzinfo=UTC), "raw": b"ab"}},
            "object",
        ),
        ([1, "two", {"three": [3]}], "array"),
        ("text with ünïcødé", "string"),
    ],
)
async def test_meteor_decodes_what_the_client_sends(
    meteor_server: MeteorServer, value: Any, kind: str
) -> None:
    """describe() on the server reports our EJSON exactly; echo() round-trips it."""
    async with DDPClient(meteor_server.url) as client, asyncio.timeout(TIMEOUT):
        described = await client.call("describe", value)
        assert described == {"type": kind, "ejson": stringify(value, canonical=True)}
        assert await client.call("echo", value) == value


async def test_meteor_error_from_fail(meteor_server: MeteorServer) -> None:
    """fail() raises MethodError with Meteor.Error's error, reason and details."""
    async with DDPClient(meteor_server.url) as client, asyncio.timeout(TIMEOUT):
        with pytest.raises(MethodError) as caught:
            await client.call("fail")
        assert caught.value == MethodError(
            "boom", "Boom: requested failure", {"scenario": "fail"}
        )
        assert str(caught.value) == "Boom: requested failure [boom]"
        assert await client.call("add", 2, 3) == 5  # the connection is fine after


async def test_items_subscription_is_ready_with_every_document(
    meteor_server: MeteorServer,
) -> None:
    """items(1000): ready only once all 1000 documents are in the local collection."""
    async with DDPClient(meteor_server.url) as client:
        handle = client.subscribe("items", 1000)
        async with asyncio.timeout(TIMEOUT):
            await handle.ready
        items = client.store.collection("items")
        assert len(items) == 1000
        assert items["i999"] == {"k": 999, "text": "item 999"}
        handle.stop()
        assert handle.stopped
        assert handle.error is None


async def test_ticker_changes_arrive_as_change_events(
    meteor_server: MeteorServer,
) -> None:
    """ticker(30): the tick document's n grows and its date is decoded."""
    async with DDPClient(meteor_server.url) as client:
        recorder = Recorder(client)
        handle = client.subscribe("ticker", 30)
        async with asyncio.timeout(TIMEOUT):
            await handle.ready

        def tick_at_least(n: int) -> Callable[[object], bool]:
            return lambda e: (
                isinstance(e, DocumentChanged) and e.fields.get("n", 0) >= n
            )

        change = await recorder.wait_for(tick_at_least(3))
        assert isinstance(change, DocumentChanged)
        assert (change.collection, change.id) == ("ticker", "tick")
        assert isinstance(change.fields["at"], dt.datetime)
        assert client.store.get("ticker", "tick")["n"] >= 3


async def test_meteor_killed_and_restarted_mid_call(
    meteor_server_factory: Callable[..., MeteorServer],
) -> None:
    """Kill -9 mid-call: Meteor's status sequence and back-off, calls re-sent, no_retry failed, data kept."""
    server = meteor_server_factory()
    async with DDPClient(server.http_url, rng=lambda: 0.0) as client:
        recorder = Recorder(client)
        items = client.subscribe("items", 20)
        async with asyncio.timeout(TIMEOUT):
            await items.ready
        slow = client.apply_nowait("slow", [1500])
        once = client.apply_nowait("slow", [1500], no_retry=True)
        for method_id in (slow.id, once.id):
            await recorder.wait_for(
                lambda e, m=method_id: isinstance(e, MethodSent) and e.method_id == m
            )
        mark = len(recorder.events)
        server.kill()
        await recorder.wait_status(S.WAITING, 0, after=mark)
        queued = client.apply_nowait("add", [2, 3])  # made while the server is dead
        await recorder.wait_status(S.WAITING, 2, after=mark)
        await server.start_async()  # same port
        await recorder.wait_status(S.CONNECTED, after=mark, timeout=3 * TIMEOUT)
        async with asyncio.timeout(TIMEOUT):
            assert await slow == 1500  # re-sent and run again, as Meteor does
            assert await queued == 5
            with pytest.raises(MethodError) as failed:
                await once
        assert failed.value.error == "invocation-failed"

        after = [
            (t, e) for t, e in recorder.events[mark:] if isinstance(e, StatusChanged)
        ]
        seen = [(str(e.status.status), e.status.retry_count) for _, e in after]
        assert seen[:6] == [
            ("waiting", 0),
            ("connecting", 1),
            ("waiting", 1),
            ("connecting", 2),
            ("waiting", 2),
            ("connecting", 3),
        ]
        assert seen[-1] == ("connected", 0)
        middle = seen[6:-1]  # more refused attempts if the server booted slowly
        assert middle == [
            (status, count)
            for n in range(3, 3 + len(middle) // 2)
            for status, count in (("waiting", n), ("connecting", n + 1))
        ]
        delays = [
            round(e.status.retry_time - t, 2)
            for t, e in after
            if e.status.retry_time is not None
        ]
        # retry.js with Random.fraction() = 0: 10 ms, 10 ms, 1 s * 2.2^n * 0.75.
        expected = [0.01, 0.01, 3.63, 7.99, 17.57]
        assert delays == expected[: len(delays)]

        assert not items.stopped
        assert len(client.store.collection("items")) == 20
        assert recorder.of(DocumentRemoved) == []  # no flicker to empty


async def test_ping_measures_a_round_trip_to_meteor(
    meteor_server: MeteorServer,
) -> None:
    """ping() gets Meteor's pong (echoing our id) and returns a small positive round trip."""
    async with DDPClient(meteor_server.url) as client, asyncio.timeout(TIMEOUT):
        recorder = Recorder(client, frames=True)
        await recorder.wait_for(lambda e: isinstance(e, HandshakeCompleted))
        round_trip = await client.ping()
        assert 0 < round_trip < TIMEOUT
        pongs = [f.data for f in recorder.frames if '"pong"' in str(f.data)]
        assert pongs == ['{"msg":"pong","id":"rtt1"}']
