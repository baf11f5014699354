"""Subscriptions: sub/unsub frames, ready, nosub, renewal and reconciliation."""

from __future__ import annotations

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)
from ddp_monitor.ddp.errors import SubscriptionError
from tests.ddp.pair import Pair


def subscribed(docs: dict[str, dict[str, int]]) -> Pair:
    """A session with one ready subscription "id1" on collection "c" holding docs."""
    pair = Pair()
    pair.handshake()
    pair.client.subscribe("items", [3], 0.0)
    for id_, fields in docs.items():
        pair.feed(msg="added", collection="c", id=id_, fields=fields)
    pair.feed(msg="ready", subs=["id1"])
    pair.sent()
    pair.events()
    return pair


def drop_and_reconnect(pair: Pair) -> list[dict[str, object]]:
    pair.sent()
    pair.client.transport_closed(pair.now)
    pair.advance(pair.now + 1.0)
    frames = pair.open()
    pair.feed(msg="connected", session="S2")
    pair.events()
    return frames


def test_subscribe_sends_sub_with_params_and_gets_ready_once() -> None:
    """subscribe() sends sub with params; ready fires once, a repeat is ignored."""
    pair = Pair()
    pair.handshake()
    sub_id = pair.client.subscribe("items", [], 0.0)
    assert pair.sent() == [{"msg": "sub", "id": sub_id, "name": "items", "params": []}]
    pair.feed(msg="ready", subs=[sub_id])
    pair.feed(msg="ready", subs=[sub_id])
    assert pair.take(SubscriptionReady) == [SubscriptionReady(sub_id)]
    assert pair.client.is_ready(sub_id)


def test_a_subscription_is_reported_when_asked_for_even_offline() -> None:
    """subscribe() is an event of its own, online or not; its sub goes out at connect."""
    pair = Pair()
    sub_id = pair.client.subscribe("tasks", [{"done": False}], 0.0)
    assert pair.events() == [SubscriptionRequested(sub_id, "tasks", [{"done": False}])]
    assert pair.sent() == []
    assert pair.open()[1] == {
        "msg": "sub",
        "id": sub_id,
        "name": "tasks",
        "params": [{"done": False}],
    }


def test_nosub_with_error_stops_subscription() -> None:
    """nosub carrying an error stops the sub with a SubscriptionError."""
    pair = subscribed({})
    pair.feed(msg="nosub", id="id1", error={"error": 404, "reason": "no such"})
    [stopped] = pair.take(SubscriptionStopped)
    assert stopped.error == SubscriptionError(404, "no such")
    assert not pair.client.is_ready("id1")


def test_unsubscribe_sends_unsub_and_ignores_later_nosub() -> None:
    """unsubscribe(): unsub goes out, the sub stops at once, its nosub is ignored."""
    pair = subscribed({})
    pair.client.unsubscribe("id1", 1.0)
    assert pair.sent() == [{"msg": "unsub", "id": "id1"}]
    assert pair.take(SubscriptionStopped) == [SubscriptionStopped("id1", None)]
    pair.feed(msg="nosub", id="id1")
    assert pair.events() == []


def test_subscriptions_are_renewed_with_same_ids_after_methods() -> None:
    """After a reconnect every sub is re-sent, same id and params, after the calls."""
    pair = subscribed({})
    pair.client.apply("m", [], 0.0)
    frames = drop_and_reconnect(pair)
    assert [f["msg"] for f in frames] == ["connect", "method", "sub"]
    assert frames[2] == {"msg": "sub", "id": "id1", "name": "items", "params": [3]}


def test_old_documents_stay_until_renewed_sub_is_ready() -> None:
    """During a reconnect the old documents stay visible until the sub is ready."""
    pair = subscribed({"a": {"x": 1}, "b": {"x": 2}})
    drop_and_reconnect(pair)
    pair.feed(msg="added", collection="c", id="a", fields={"x": 1})
    assert dict(pair.client.store.collection("c")) == {"a": {"x": 1}, "b": {"x": 2}}
    assert pair.events() == []


def test_reconciliation_emits_only_differences() -> None:
    """At ready, unchanged docs emit nothing; gone, changed and new ones do."""
    pair = subscribed({"a": {"x": 1}, "b": {"x": 2}, "c": {"x": 3}})
    drop_and_reconnect(pair)
    pair.feed(msg="added", collection="c", id="a", fields={"x": 1})
    pair.feed(msg="added", collection="c", id="c", fields={"x": 30, "y": 1})
    pair.feed(msg="added", collection="c", id="d", fields={"x": 4})
    pair.feed(msg="ready", subs=["id1"])
    assert pair.events() == [
        DocumentRemoved("c", "b"),
        DocumentChanged("c", "c", {"x": 30, "y": 1}, []),
        DocumentAdded("c", "d", {"x": 4}),
    ]
    assert dict(pair.client.store.collection("c")) == {
        "a": {"x": 1},
        "c": {"x": 30, "y": 1},
        "d": {"x": 4},
    }


def test_revived_sub_does_not_fire_ready_again() -> None:
    """A renewed subscription stays ready and fires no second ready."""
    pair = subscribed({})
    drop_and_reconnect(pair)
    assert pair.client.is_ready("id1")
    pair.feed(msg="ready", subs=["id1"])
    assert pair.take(SubscriptionReady) == []


def test_nothing_to_revive_resets_store_at_connected() -> None:
    """With no ready sub and no call blocking, old data is removed at connected."""
    pair = Pair()
    pair.handshake()
    pair.feed(msg="added", collection="c", id="a")
    pair.client.transport_closed(1.0)
    pair.advance(2.0)
    pair.open()
    pair.events()
    pair.feed(msg="connected", session="S2")
    assert pair.take(DocumentRemoved) == [DocumentRemoved("c", "a")]


def test_method_sent_before_connected_holds_quiescence() -> None:
    """A call re-sent on the new socket keeps old data until its updated."""
    pair = Pair()
    pair.handshake()
    pair.feed(msg="added", collection="c", id="a")
    pair.client.apply("m", [], 0.0)
    drop_and_reconnect(pair)
    assert "a" in pair.client.store.collection("c")
    pair.feed(msg="result", id="1")
    pair.feed(msg="updated", methods=["1"])
    assert pair.take(DocumentRemoved) == [DocumentRemoved("c", "a")]
