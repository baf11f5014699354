"""Method calls: blocks, wait, completion, re-send on reconnect, no_retry, on_reconnect."""

from __future__ import annotations

from typing import Any

from ddp_monitor.ddp.client.events import (
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
)
from ddp_monitor.ddp.client.methods import no_retry_error
from ddp_monitor.ddp.errors import MethodError
from tests.ddp.pair import Pair


def methods_sent(pair: Pair) -> list[tuple[str, str]]:
    return [(f["id"], f["method"]) for f in pair.sent() if f["msg"] == "method"]


def reconnect(pair: Pair, session: str = "S2") -> list[dict[str, Any]]:
    """Drop the socket, let the retry come, open again; frames sent on open."""
    pair.sent()
    pair.client.transport_closed(pair.now)
    pair.advance(pair.now + 1.0)
    return pair.open()


def test_method_ids_count_up_and_never_reset() -> None:
    """Method ids are "1", "2", ... across reconnects."""
    pair = Pair()
    pair.handshake()
    ids = [pair.client.apply("m", [], 0.0).id for _ in range(2)]
    reconnect(pair)
    ids.append(pair.client.apply("m", [], 0.0).id)
    assert ids == ["1", "2", "3"]


def test_method_frame_has_params_and_no_seed_without_stub() -> None:
    """A call goes out at once with params and no randomSeed."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("echo", [{"a": 1}], 0.0)
    assert pair.sent() == [
        {"msg": "method", "id": "1", "method": "echo", "params": [{"a": 1}]}
    ]
    assert pair.take(MethodSent) == [MethodSent("1", "echo", [{"a": 1}])]


def test_completes_after_result_then_updated() -> None:
    """result first: the early hook fires, completion waits for updated."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.events()
    pair.feed(msg="result", id="1", result=7)
    assert pair.events() == [MethodResultReceived("1", 7, None)]
    pair.feed(msg="updated", methods=["1"])
    assert pair.events() == [MethodCompleted("1", 7, None)]


def test_completes_after_updated_then_result() -> None:
    """updated first (Meteor's common order): completion at the result."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.events()
    pair.feed(msg="updated", methods=["1"])
    assert pair.events() == []
    pair.feed(msg="result", id="1", result=7)
    assert pair.events() == [
        MethodResultReceived("1", 7, None),
        MethodCompleted("1", 7, None),
    ]


def test_meteor_error_becomes_method_error() -> None:
    """A Meteor.Error result carries error, reason and details."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("fail", [], 0.0)
    pair.events()
    error = {"error": 404, "reason": "nope", "details": {"x": 1}}
    pair.feed(msg="result", id="1", error=error)
    pair.feed(msg="updated", methods=["1"])
    [done] = pair.take(MethodCompleted)
    assert done.error == MethodError(404, "nope", {"x": 1})


def test_wait_method_blocks_later_calls() -> None:
    """A wait call goes alone; later calls wait until it completes."""
    pair = Pair()
    pair.handshake()
    client = pair.client
    client.apply("a", [], 0.0)
    client.apply("w", [], 0.0, wait=True)
    client.apply("b", [], 0.0)
    client.apply("c", [], 0.0)
    assert methods_sent(pair) == [("1", "a")]
    pair.feed(msg="result", id="1")
    pair.feed(msg="updated", methods=["1"])
    assert methods_sent(pair) == [("2", "w")]
    pair.feed(msg="updated", methods=["2"])
    pair.feed(msg="result", id="2")
    assert methods_sent(pair) == [("3", "b"), ("4", "c")]


def test_each_call_is_reported_when_made_and_again_when_really_sent() -> None:
    """MethodCalled comes first for every call; MethodSent only once its frame goes out."""
    pair = Pair()
    pair.handshake()
    pair.events()
    client = pair.client
    client.apply("w", [1], 0.0, wait=True)
    client.apply("b", [2], 0.0)
    kinds = [(type(e).__name__, e.method_id) for e in pair.events()]
    assert kinds == [("MethodCalled", "1"), ("MethodSent", "1"), ("MethodCalled", "2")]
    pair.feed(msg="result", id="1")
    pair.feed(msg="updated", methods=["1"])
    assert [e.method_id for e in pair.take(MethodSent)] == ["2"]


def test_calls_made_offline_are_reported_before_they_can_be_sent() -> None:
    """Offline, a call is reported as made (with its params) and not as sent."""
    pair = Pair()
    pair.handshake()
    pair.client.disconnect(1.0)
    pair.events()
    pair.client.apply("tasks.add", ["milk"], 1.0)
    assert pair.events() == [MethodCalled("1", "tasks.add", ["milk"])]


def test_result_for_later_block_is_rejected() -> None:
    """A result for a call not yet sent is dropped, as Meteor does."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("w", [], 0.0, wait=True)
    pair.client.apply("b", [], 0.0)
    pair.events()
    pair.feed(msg="result", id="2", result=1)
    assert [type(e).__name__ for e in pair.events()] == ["BadMessageReceived"]


def test_wait_method_buffers_data_until_updated() -> None:
    """While a wait call is in flight, documents appear only after its updated."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("w", [], 0.0, wait=True)
    pair.feed(msg="added", collection="c", id="a", fields={"x": 1})
    assert dict(pair.client.store.collection("c")) == {}
    pair.feed(msg="result", id="1")
    pair.feed(msg="updated", methods=["1"])
    assert dict(pair.client.store.collection("c")) == {"a": {"x": 1}}


def test_unanswered_calls_are_resent_in_order_after_reconnect() -> None:
    """After a reconnect, connect goes first, then the unanswered calls in order."""
    pair = Pair()
    pair.handshake()
    for name in ("a", "b", "c"):
        pair.client.apply(name, [], 0.0)
    pair.feed(msg="result", id="2")
    pair.sent()
    frames = reconnect(pair)
    assert frames[0]["msg"] == "connect"
    assert [(f["id"], f["method"]) for f in frames[1:]] == [("1", "a"), ("3", "c")]


def test_calls_made_offline_go_out_on_reconnect() -> None:
    """Calls made while disconnected are queued and sent, in order, on reconnect."""
    pair = Pair()
    pair.handshake()
    pair.client.disconnect(1.0)
    pair.client.apply("a", [], 1.0)
    pair.client.apply("b", [], 1.0)
    assert pair.sent() == [{"msg": "disconnect"}]
    assert pair.take(MethodSent) == []
    pair.client.reconnect(2.0)
    frames = pair.open()
    assert [f.get("method") for f in frames] == [None, "a", "b"]


def test_no_retry_call_fails_on_reconnect() -> None:
    """An unanswered no_retry call fails with Meteor's invocation-failed error."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("once", [], 0.0, no_retry=True)
    pair.client.apply("again", [], 0.0)
    pair.events()
    frames = reconnect(pair)
    assert [f.get("method") for f in frames] == [None, "again"]
    assert pair.take(MethodResultReceived) == [
        MethodResultReceived("1", None, no_retry_error())
    ]
    pair.feed(msg="connected", session="S2")
    # "again", re-sent on the new socket, holds reconnect quiescence.
    assert pair.take(MethodCompleted) == []
    pair.feed(msg="result", id="2")
    pair.feed(msg="updated", methods=["2"])
    assert pair.take(MethodCompleted) == [
        MethodCompleted("1", None, no_retry_error()),
        MethodCompleted("2", None, None),
    ]


def test_no_retry_call_made_offline_also_fails() -> None:
    """A no_retry call made before the socket opened fails at the open, unsent."""
    pair = Pair()
    pair.client.apply("once", [], 0.0, no_retry=True)
    pair.events()
    frames = pair.handshake()
    assert [f["msg"] for f in frames] == ["connect"]
    assert pair.take(MethodCompleted) == [MethodCompleted("1", None, no_retry_error())]
    error = no_retry_error()
    assert error.error == "invocation-failed"
    assert error.reason == (
        "Method invocation might have failed due to dropped connection. "
        "Failing because `noRetry` option was passed to Meteor.apply."
    )


def test_no_retry_in_later_block_is_kept() -> None:
    """A no_retry call still waiting behind a wait call is not failed."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("w", [], 0.0, wait=True)
    pair.client.apply("later", [], 0.0, no_retry=True)
    pair.events()
    assert [f.get("method") for f in reconnect(pair)] == [None, "w"]
    assert pair.take(MethodResultReceived) == []


def test_on_reconnect_calls_go_before_old_calls() -> None:
    """on_reconnect's call (a login) goes out before the re-sent old calls."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("old", [], 0.0)
    pair.client.on_reconnect = lambda: pair.client.apply("login", [], pair.now)
    frames = reconnect(pair)
    assert [(f.get("id"), f.get("method")) for f in frames] == [
        (None, None),
        ("2", "login"),
        ("1", "old"),
    ]


def test_on_reconnect_wait_call_holds_old_calls() -> None:
    """A wait call from on_reconnect goes alone; old calls follow its completion."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("old", [], 0.0)
    pair.client.on_reconnect = lambda: pair.client.apply("login", [], 0, wait=True)
    frames = reconnect(pair)
    assert [f.get("method") for f in frames] == [None, "login"]
    pair.feed(msg="result", id="2")
    pair.feed(msg="updated", methods=["2"])
    assert methods_sent(pair) == [("1", "old")]


def test_on_reconnect_runs_on_first_connection() -> None:
    """on_reconnect also runs when the very first socket opens."""
    pair = Pair()
    runs: list[float] = []
    pair.client.on_reconnect = lambda: runs.append(pair.now)
    pair.open()
    assert runs == [0.0]


def test_result_received_before_loss_completes_at_quiescence() -> None:
    """A call whose result came before the loss is not re-sent; it completes later."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.feed(msg="result", id="1", result=3)
    pair.events()
    assert [f["msg"] for f in reconnect(pair)] == ["connect"]
    pair.feed(msg="connected", session="S2")
    assert pair.take(MethodCompleted) == [MethodCompleted("1", 3, None)]
