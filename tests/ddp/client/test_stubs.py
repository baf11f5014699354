"""Client-side stubs: optimistic writes, rollback at updated, seeds, exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    MethodCompleted,
    MethodResultReceived,
    StubFailed,
)
from ddp_monitor.ddp.client.stubs import MethodInvocation
from tests.ddp.pair import SEED, Pair


def with_stubs() -> Pair:
    pair = Pair()
    pair.handshake()

    def rename(this: MethodInvocation, id_: str, name: str) -> str:
        this.collection("tasks").update(id_, {"name": name})
        return "renamed"

    def add(this: MethodInvocation, name: str) -> str:
        return this.collection("tasks").insert({"name": name})

    def boom(this: MethodInvocation) -> None:
        this.collection("tasks").remove("t1")
        raise ValueError("stub broke")

    def outer(this: MethodInvocation) -> Any:
        return this.call("rename", "t1", "nested")

    pair.client.methods({"rename": rename, "add": add, "boom": boom, "outer": outer})
    pair.feed(msg="added", collection="tasks", id="t1", fields={"name": "old"})
    pair.sent()
    pair.events()
    return pair


def test_stub_writes_at_once() -> None:
    """A stub's write is visible before the server answers."""
    pair = with_stubs()
    call = pair.client.apply("rename", ["t1", "new"], 0.0, return_stub_value=True)
    assert call.stub_value == "renamed"
    assert pair.client.store.get("tasks", "t1") == {"name": "new"}
    assert pair.take(DocumentChanged) == [
        DocumentChanged("tasks", "t1", {"name": "new"}, [])
    ]


def test_stub_write_rolled_back_when_server_did_not_write() -> None:
    """At updated, a doc the server left alone returns to the server's version."""
    pair = with_stubs()
    pair.client.apply("rename", ["t1", "new"], 0.0)
    pair.events()
    pair.feed(msg="result", id="1")
    pair.feed(msg="updated", methods=["1"])
    assert pair.client.store.get("tasks", "t1") == {"name": "old"}
    assert pair.events() == [
        MethodResultReceived("1", None, None),
        DocumentChanged("tasks", "t1", {"name": "old"}, []),
        MethodCompleted("1", None, None),
    ]


def test_server_data_for_stub_doc_waits_for_updated() -> None:
    """Server data for a stub-written doc shows only once the call is done."""
    pair = with_stubs()
    pair.client.apply("rename", ["t1", "new"], 0.0)
    pair.feed(msg="changed", collection="tasks", id="t1", fields={"name": "server"})
    assert pair.client.store.get("tasks", "t1") == {"name": "new"}
    pair.events()
    pair.feed(msg="updated", methods=["1"])
    assert pair.client.store.get("tasks", "t1") == {"name": "server"}
    assert pair.events() == [DocumentChanged("tasks", "t1", {"name": "server"}, [])]


def test_stub_insert_is_replaced_by_server_version() -> None:
    """A stub's insert disappears at updated unless the server added it."""
    pair = with_stubs()
    pair.client.apply("add", ["x"], 0.0)
    assert pair.sent()[0]["randomSeed"] == SEED
    [added] = pair.take(DocumentAdded)
    pair.feed(msg="updated", methods=["1"])
    assert pair.take(DocumentRemoved) == [DocumentRemoved("tasks", added.id)]


def test_no_seed_when_stub_did_not_ask() -> None:
    """randomSeed is sent only when the stub asked for randomness."""
    pair = with_stubs()
    pair.client.apply("rename", ["t1", "n"], 0.0)
    assert "randomSeed" not in pair.sent()[0]


def test_stub_exception_is_reported_and_call_still_sent() -> None:
    """A failing stub is reported, and the call still goes to the server."""
    pair = with_stubs()
    pair.client.apply("boom", [], 0.0)
    assert [f["method"] for f in pair.sent()] == ["boom"]
    [failed] = pair.take(StubFailed)
    assert (failed.method_id, failed.name, str(failed.error)) == (
        "1",
        "boom",
        "stub broke",
    )


def test_throw_stub_exceptions_raises_and_sends_nothing() -> None:
    """With throw_stub_exceptions the stub's error is raised and nothing is sent."""
    pair = with_stubs()
    with pytest.raises(ValueError, match="stub broke"):
        pair.client.apply("boom", [], 0.0, throw_stub_exceptions=True)
    assert pair.sent() == []
    assert pair.client.store.get("tasks", "t1") == {"name": "old"}
    assert pair.client.apply("rename", ["t1", "n"], 0.0).id == "2"


def test_nested_call_runs_only_the_stub() -> None:
    """A call made inside a stub runs its stub and sends nothing of its own."""
    pair = with_stubs()
    call = pair.client.apply("outer", [], 0.0, return_stub_value=True)
    assert call.stub_value == "renamed"
    assert [f["method"] for f in pair.sent()] == ["outer"]
    assert pair.client.store.get("tasks", "t1") == {"name": "nested"}
    pair.feed(msg="updated", methods=["1"])
    assert pair.client.store.get("tasks", "t1") == {"name": "old"}
