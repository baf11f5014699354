"""Session resumption in ClientConnection (Meteor's newest ddp-client, PR #14051).

The test plays a resumable server: after a drop the client's ``connect``
says which session and how many frames it had; a ``connected`` with the same
id means the server kept the session and replays the rest.
"""

from __future__ import annotations

from typing import Any

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    HandshakeCompleted,
    MethodCompleted,
    SubscriptionReady,
)
from ddp_monitor.ddp.client.methods import no_retry_error
from tests.ddp.pair import Pair


def drop_and_reopen(pair: Pair) -> list[dict[str, Any]]:
    """A socket reset (no goodbye), the retry, a new socket: its frames."""
    pair.sent()
    pair.client.transport_closed(pair.now, "reset by peer")
    pair.advance(pair.now + 1.0)
    return pair.open()


def subscribed(pair: Pair) -> str:
    """A ready subscription with one document; returns its id."""
    pair.handshake("S1")
    sub_id = pair.client.subscribe("items", [], pair.now)
    pair.feed(msg="added", collection="items", id="a", fields={"n": 1})
    pair.feed(msg="ready", subs=[sub_id])
    pair.events()
    return sub_id


def test_the_count_leaves_out_the_heartbeat_and_handshake() -> None:
    """Data, method and error frames count; ping, pong, connected, failed, server_id do not."""
    pair = Pair()
    pair.open()
    pair.feed(server_id="0")
    pair.feed(msg="connected", session="S1")
    pair.feed(msg="ping")
    pair.feed(msg="pong")
    pair.feed(msg="added", collection="c", id="x", fields={})  # the fast path
    pair.feed(msg="changed", collection="c", id="x", fields={"a": 1})
    pair.feed(msg="ready", subs=[])
    pair.feed(msg="error", reason="Bad request")
    assert pair.client.received_count == 4
    frames = drop_and_reopen(pair)
    assert frames[0]["session"] == "S1"
    assert frames[0]["receivedCount"] == 4


def test_a_resumed_session_keeps_the_store_and_the_subscriptions() -> None:
    """Same id back: nothing reset or re-announced; replayed frames apply at once."""
    pair = Pair()
    sub_id = subscribed(pair)
    frames = drop_and_reopen(pair)
    # Meteor's onReset still re-sends the sub before the outcome is known.
    assert frames == [
        {
            "msg": "connect",
            "session": "S1",
            "receivedCount": 2,
            "version": "1",
            "support": ["1", "pre2", "pre1"],
        },
        {"msg": "sub", "id": sub_id, "name": "items", "params": []},
    ]
    pair.feed(msg="connected", session="S1")
    pair.feed(msg="changed", collection="items", id="a", fields={"n": 2})  # replayed
    events = pair.events()
    assert [e for e in events if isinstance(e, HandshakeCompleted)] == [
        HandshakeCompleted("S1", "1", True, "S1", 2)
    ]
    assert [type(e) for e in events if type(e).__name__.startswith("Document")] == [
        DocumentChanged
    ]
    assert pair.client.store.get("items", "a") == {"n": 2}
    assert pair.client.is_ready(sub_id)
    assert pair.client.received_count == 3  # the count goes on


def test_a_new_session_resets_as_before() -> None:
    """Another id back: count from zero, subscriptions revived, the store reconciled."""
    pair = Pair()
    sub_id = subscribed(pair)
    drop_and_reopen(pair)
    pair.feed(msg="connected", session="S2")
    handshake = pair.take(HandshakeCompleted)
    assert handshake == [HandshakeCompleted("S2", "1", False, "S1", 0)]
    assert pair.client.received_count == 0
    pair.feed(msg="ready", subs=[sub_id])  # the document is gone from the new session
    events = pair.events()
    assert [e for e in events if isinstance(e, DocumentRemoved)] != []
    assert not [e for e in events if isinstance(e, SubscriptionReady)]
    assert pair.client.store.get("items", "a") is None


def test_a_call_in_flight_completes_once_from_the_replay() -> None:
    """The call is re-sent (the server will not run it again); its replayed answer completes it."""
    pair = Pair()
    pair.handshake("S1")
    call = pair.client.apply("echo", [1], pair.now)
    frames = drop_and_reopen(pair)
    assert frames[1] == {
        "msg": "method",
        "id": call.id,
        "method": "echo",
        "params": [1],
    }
    pair.feed(msg="connected", session="S1")
    pair.feed(msg="result", id=call.id, result=1)
    pair.feed(msg="updated", methods=[call.id])
    events = pair.events()
    assert [e for e in events if isinstance(e, MethodCompleted)] == [
        MethodCompleted(call.id, 1, None)
    ]
    assert not [e for e in events if isinstance(e, BadMessageReceived)]


def test_updated_before_the_drop_still_counts_after_a_resume() -> None:
    """`updated` came, `result` did not: the resumed server will not say `updated` again."""
    pair = Pair()
    pair.handshake("S1")
    call = pair.client.apply("slow", [], pair.now, wait=True)
    pair.feed(msg="updated", methods=[call.id])
    drop_and_reopen(pair)
    pair.events()
    pair.feed(msg="connected", session="S1")
    # The wait call no longer blocks data: this document shows at once.
    pair.feed(msg="added", collection="c", id="x", fields={})
    assert [type(e) for e in pair.events()] == [HandshakeCompleted, DocumentAdded]
    pair.feed(msg="result", id=call.id, result="done")
    assert pair.take(MethodCompleted) == [MethodCompleted(call.id, "done", None)]


def test_a_no_retry_call_fails_at_the_reset_and_its_late_answer_is_dropped() -> None:
    """Meteor fails it before knowing the outcome; the resumed server's answer is no news."""
    pair = Pair()
    pair.handshake("S1")
    call = pair.client.apply("once", [], pair.now, no_retry=True)
    frames = drop_and_reopen(pair)
    assert [f["msg"] for f in frames] == ["connect"]  # not re-sent
    pair.feed(msg="connected", session="S1")
    assert pair.take(MethodCompleted) == [
        MethodCompleted(call.id, None, no_retry_error())
    ]
    pair.feed(msg="result", id=call.id, result=1)
    pair.feed(msg="updated", methods=[call.id])
    assert pair.take(BadMessageReceived) == []


def test_a_deliberate_disconnect_says_goodbye_first() -> None:
    """disconnect() and close() send `disconnect` while a session is up, and only then."""
    pair = Pair()
    pair.handshake("S1")
    pair.client.disconnect(pair.now)
    assert pair.sent() == [{"msg": "disconnect"}]
    pair.client.reconnect(pair.now)
    pair.open()  # no session yet on this socket: nothing to end
    pair.client.close(pair.now)
    assert pair.sent() == []


def test_without_resumption_the_frames_are_meteor_193s() -> None:
    """resume=False: no receivedCount, no `disconnect` frame."""
    pair = Pair(resume=False)
    pair.handshake("S1")
    pair.feed(msg="ready", subs=[])
    frames = drop_and_reopen(pair)
    assert "receivedCount" not in frames[0]
    assert frames[0]["session"] == "S1"
    pair.feed(msg="connected", session="S1")
    pair.client.disconnect(pair.now)
    assert pair.sent() == []
