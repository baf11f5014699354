"""The client at the edges of the data: what a server may send, and what a caller may pass."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    DocumentAdded,
    MethodCalled,
    MethodCompleted,
)
from ddp_monitor.ddp.ejson import JSDate
from ddp_monitor.ddp.errors import MethodError
from tests.ddp.pair import Pair


def answered(pair: Pair, method_id: str, result: Any) -> MethodCompleted:
    pair.feed(msg="result", id=method_id, result=result)
    pair.feed(msg="updated", methods=[method_id])
    [done] = pair.take(MethodCompleted)
    return done


def test_lenient_ejson_in_a_result_completes_the_call() -> None:
    """ISO dates, Meteor's forgiving base64, huge dates and odd $InfNaN decode as Meteor's client decodes them."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.events()
    result = [
        {"$date": "2024-03-01T12:00:00Z"},
        {"$binary": "!!"},
        {"$date": 568971820800000},
        {"$InfNaN": "x"},
    ]
    done = answered(pair, "1", result)
    assert done.error is None
    date, data, far, nan = done.result
    assert date == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert data == b"\x00"
    assert far == JSDate(568971820800000)
    assert math.isnan(nan)


def test_an_unreadable_result_is_reported_and_fails_its_call() -> None:
    """A result that cannot be decoded is a bad frame, and its call ends with an error instead of waiting for ever."""
    pair = Pair()
    pair.handshake()
    pair.client.apply("m", [], 0.0)
    pair.events()
    pair.feed(msg="result", id="1", result={"$type": "nope", "$value": 1})
    [bad] = pair.take(BadMessageReceived)
    assert "Custom EJSON type nope is not defined" in bad.reason
    pair.feed(msg="updated", methods=["1"])
    [done] = pair.take(MethodCompleted)
    assert isinstance(done.error, MethodError)
    assert done.error.error == "bad-result"


@pytest.mark.parametrize(
    ("frames", "reason", "document"),
    [
        pytest.param(
            [
                {"msg": "added", "collection": "c", "id": "a", "fields": {"x": 1}},
                {"msg": "added", "collection": "c", "id": "a", "fields": {"x": 2}},
            ],
            "Expected not to find a document already present for an add",
            {"x": 2},
            id="add-of-a-present-document",
        ),
        pytest.param(
            [{"msg": "changed", "collection": "c", "id": "a", "fields": {"x": 3}}],
            "Expected to find a document to change",
            {"x": 3},
            id="change-of-a-missing-document",
        ),
        pytest.param(
            [{"msg": "removed", "collection": "c", "id": "a"}],
            "Expected to find a document already present for removed",
            None,
            id="remove-of-a-missing-document",
        ),
    ],
)
def test_data_that_contradicts_the_store_is_reported(
    frames: list[dict[str, Any]], reason: str, document: Any
) -> None:
    """What Meteor's store throws on is a bad frame with its words; the data stays sane."""
    pair = Pair()
    pair.handshake()
    for frame in frames:
        pair.feed(**frame)
    assert [e.reason for e in pair.take(BadMessageReceived)] == [reason]
    assert pair.client.store.get("c", "a") == document


def test_a_call_that_cannot_be_encoded_fails_at_once_and_leaves_the_client_usable() -> (
    None
):
    """A parameter with no EJSON form raises to the caller; nothing is queued; the next call goes out."""
    pair = Pair()
    pair.handshake()
    pair.events()
    with pytest.raises(TypeError, match="cannot call 'm': set has no EJSON form"):
        pair.client.apply("m", [{1, 2}], 0.0)
    assert pair.events() == []
    assert pair.sent() == []
    with pytest.raises(TypeError, match="cannot subscribe to 's'"):
        pair.client.subscribe("s", [{1}], 0.0)
    pair.client.apply("m", ["\ud800 lone"], 0.0)
    assert pair.take(MethodCalled)[0].params == ["\ud800 lone"]
    [frame] = pair.client.messages_to_send() or [""]
    assert '"params":["\\ud800 lone"]' in frame
    frame.encode("utf-8")


def test_a_stub_may_call_unblock() -> None:
    """this.unblock() inside a client stub does nothing, as in Meteor's simulation."""
    pair = Pair()
    pair.handshake()

    def stub(this: Any, title: str) -> None:
        this.unblock()
        this.collection("tasks").insert({"title": title}, "t")

    pair.client.methods({"tasks.add": stub})
    pair.client.apply("tasks.add", ["x"], 0.0)
    assert [e.id for e in pair.take(DocumentAdded)] == ["t"]
