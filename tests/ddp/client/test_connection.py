"""ClientConnection's session: handshake, versions, heartbeats, timeouts, bad frames."""

from __future__ import annotations

import pytest

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    HandshakeCompleted,
    MethodCompleted,
    PongReceived,
    ServerErrorReceived,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.errors import ConnectionLost, VersionMismatch
from tests.ddp.pair import Pair

S = ConnectionStatus


def statuses(pair: Pair) -> list[Status]:
    return [e.status for e in pair.take(StatusChanged)]


def test_open_sends_connect_and_reports_connected_before_handshake() -> None:
    """The status is connected at transport open; the handshake comes later."""
    pair = Pair()
    assert pair.open() == [
        {"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}
    ]
    assert statuses(pair) == [Status(S.CONNECTED, True, 0)]
    assert pair.client.session is None
    pair.feed(msg="connected", session="S1")
    assert pair.take(HandshakeCompleted) == [HandshakeCompleted("S1", "1")]
    assert (pair.client.session, pair.client.version) == ("S1", "1")


def test_reconnect_sends_last_session() -> None:
    """After a loss, connect carries the previous session id and how many frames came."""
    pair = Pair()
    pair.handshake("S1")
    pair.feed(msg="ready", subs=[])
    pair.client.transport_closed(pair.now)
    pair.advance(1.0)
    assert pair.open()[0] == {
        "msg": "connect",
        "session": "S1",
        "receivedCount": 1,
        "version": "1",
        "support": ["1", "pre2", "pre1"],
    }


def test_forced_reconnect_leaves_a_live_socket_and_retries_in_10_ms() -> None:
    """reconnect(force=True) when connected (Meteor's reconnect({url})): this side drops it, waits 10 ms."""
    pair = Pair()
    pair.handshake("S1")
    pair.events()
    pair.client.reconnect(pair.now, force=True)
    assert pair.take(TransportLost) == [TransportLost("forced reconnect", local=True)]
    assert pair.client.status == Status(S.WAITING, False, 0, retry_time=0.01)
    pair.client.reconnect(pair.now, force=True)  # not connected: a plain reconnect
    assert statuses(pair) == [Status(S.CONNECTING, False, 0)]


def test_failed_with_supported_version_renegotiates() -> None:
    """`failed` naming a version we support: wait 10 ms, reconnect with it."""
    pair = Pair()
    pair.open()
    pair.events()
    pair.feed(msg="failed", version="pre2")
    assert pair.take(TransportLost) == [TransportLost("forced reconnect")]
    assert pair.client.status == Status(S.WAITING, False, 0, retry_time=0.01)
    pair.advance(0.01)
    assert pair.open()[0]["version"] == "pre2"
    pair.feed(msg="connected", session="S2")
    assert pair.client.version == "pre2"


def test_failed_with_unknown_version_fails_for_good() -> None:
    """`failed` naming an unknown version: permanent failed with Meteor's reason."""
    pair = Pair()
    pair.open()
    pair.client.apply("m", [], 0.0)
    pair.events()
    pair.feed(msg="failed", version="2")
    reason = "DDP version negotiation failed; server requested version 2"
    assert pair.client.status == Status(S.FAILED, False, 0, reason=reason)
    [done] = pair.take(MethodCompleted)
    assert isinstance(done.error, VersionMismatch)
    pair.client.reconnect(1.0)
    assert pair.client.status.reason == reason
    assert pair.client.next_deadline() is None


def test_ping_is_answered_with_its_id() -> None:
    """A ping gets a pong echoing its id, or a bare pong."""
    pair = Pair()
    pair.handshake()
    pair.feed(msg="ping", id="x7")
    pair.feed(msg="ping")
    assert pair.sent() == [{"msg": "pong", "id": "x7"}, {"msg": "pong"}]


def test_heartbeat_pings_after_silence_and_times_out() -> None:
    """A silent server gets a ping at 17.5 s and is dropped at 32.5 s."""
    pair = Pair()
    pair.handshake()
    assert pair.client.next_deadline() == 17.5
    pair.advance(17.5)
    assert pair.sent() == [{"msg": "ping"}]
    pair.events()
    pair.advance(32.4)
    assert pair.client.status.status is S.CONNECTED
    pair.advance(32.5)
    assert pair.take(TransportLost) == [TransportLost("DDP heartbeat timed out")]
    assert pair.client.status == Status(S.WAITING, False, 0, retry_time=32.51)


def test_the_heartbeats_pong_gives_a_round_trip_for_free() -> None:
    """The id-less ping Meteor sends after silence is timed: no extra frame for the RTT."""
    pair = Pair()
    pair.handshake()
    pair.advance(17.5)
    pair.sent()
    pair.events()
    pair.now = 17.53
    pair.feed(msg="pong")
    assert pair.take(PongReceived) == [PongReceived("", pytest.approx(0.03))]
    pair.feed(msg="pong")  # an unasked pong measures nothing
    assert pair.take(PongReceived) == []


def test_any_message_counts_as_pong() -> None:
    """Data arriving after our ping keeps the connection alive."""
    pair = Pair()
    pair.handshake()
    pair.advance(17.5)
    pair.feed(msg="added", collection="c", id="a")
    pair.advance(40.0)
    assert pair.client.status.status is S.CONNECTED


def test_no_heartbeat_for_pre1() -> None:
    """A pre1 session never pings and never times out."""
    pair = Pair(supported_versions=["pre1"])
    pair.handshake()
    assert pair.client.next_deadline() is None


def test_connect_timeout_goes_waiting() -> None:
    """An attempt that does not open within 10 s is given up and retried."""
    pair = Pair()
    pair.advance(10.0)
    assert pair.take(TransportLost) == [TransportLost("DDP connection timed out")]
    assert pair.client.status == Status(S.WAITING, False, 0, retry_time=10.01)


def test_no_timeout_while_waiting_for_connected_reply() -> None:
    """As Meteor: an open socket with a silent server stays connected."""
    pair = Pair()
    pair.open()
    assert pair.client.next_deadline() is None


def test_transport_closed_after_we_gave_up_is_ignored() -> None:
    """A stale close report after disconnect() changes nothing."""
    pair = Pair()
    pair.handshake()
    pair.client.disconnect(1.0)
    pair.events()
    pair.client.transport_closed(1.0, "late")
    assert pair.events() == []


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        "42",
        '{"msg": "nope"}',
        '{"no": "msg"}',
        '{"msg": "added", "id": 5, "collection": "c"}',
        '{"msg": "ready", "subs": "x"}',
        '{"msg": "method", "id": "1", "method": "m"}',
        '{"msg": "result", "id": "99", "result": 1}',
        '{"msg": "updated", "methods": ["99"]}',
    ],
)
def test_bad_frames_are_reported_and_dropped(text: str) -> None:
    """A malformed or unexpected frame is reported and nothing is lost."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [1], 0.0)
    pair.sent()
    pair.events()
    pair.feed_text(text)
    [bad] = pair.take(BadMessageReceived)
    assert bad.text == text
    assert bad.reason
    pair.feed(msg="updated", methods=["1"])
    pair.feed(msg="result", id="1", result=2)
    assert pair.take(MethodCompleted) == [MethodCompleted("1", 2, None)]


def test_server_id_frame_is_ignored() -> None:
    """Meteor 1.9's {"server_id": "0"} frame is silently ignored."""
    pair = Pair()
    pair.open()
    pair.events()
    pair.feed(server_id="0")
    assert pair.events() == []


def test_error_message_is_surfaced() -> None:
    """The server's `error` reply becomes an event with its offending message."""
    pair = Pair()
    pair.handshake()
    pair.feed(msg="error", reason="Bad request", offendingMessage={"msg": "x"})
    assert pair.take(ServerErrorReceived) == [
        ServerErrorReceived("Bad request", {"msg": "x"})
    ]


def test_close_fails_calls_and_stays_closed() -> None:
    """close(): permanent failed without reason; calls complete with ConnectionLost."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.events()
    pair.client.close(1.0)
    events = pair.events()
    assert events[0] == TransportLost(None, local=True)
    assert pair.client.status == Status(S.FAILED, False, 0)
    [done] = [e for e in events if isinstance(e, MethodCompleted)]
    assert isinstance(done.error, ConnectionLost)
    later = pair.client.apply("m", [], 2.0)
    [done] = pair.take(MethodCompleted)
    assert done.method_id == later.id
    assert pair.sent() == [
        {"msg": "method", "id": "1", "method": "m", "params": []},
        {"msg": "disconnect"},  # the server may end the session at once
    ]


def test_frames_after_loss_are_ignored() -> None:
    """A frame from a socket already given up does nothing."""
    pair = Pair()
    pair.handshake()
    pair.client.transport_closed(1.0)
    pair.events()
    pair.feed(msg="added", collection="c", id="a")
    assert pair.events() == []
    assert dict(pair.client.store.collection("c")) == {}


def test_ping_measures_the_round_trip() -> None:
    """ping() sends a ping with an id; its pong reports the round trip."""
    pair = Pair()
    pair.handshake("S1")
    pair.events()
    ping_id = pair.client.ping(10.0)
    assert pair.sent() == [{"msg": "ping", "id": ping_id}]
    pair.client.receive_text(f'{{"msg":"pong","id":"{ping_id}"}}', 10.25)
    assert pair.take(PongReceived) == [PongReceived(ping_id or "", 0.25)]


def test_ping_needs_a_session_and_forgets_pings_of_a_lost_socket() -> None:
    """No ping before the handshake; a pong from a previous socket reports nothing."""
    pair = Pair()
    pair.open()
    assert pair.client.ping(0.0) is None
    pair.feed(msg="connected", session="S1")
    ping_id = pair.client.ping(0.0)
    pair.client.transport_closed(pair.now)
    pair.advance(1.0)
    pair.open()
    pair.feed(msg="connected", session="S2")
    pair.feed(msg="pong", id=ping_id)
    assert pair.take(PongReceived) == []


def test_local_drops_are_marked_local() -> None:
    """disconnect() reports its own drop as local, unlike a server's close."""
    pair = Pair()
    pair.handshake("S1")
    pair.events()
    pair.client.disconnect(pair.now)
    assert pair.take(TransportLost) == [TransportLost(None, local=True)]
