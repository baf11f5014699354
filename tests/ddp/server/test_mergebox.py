"""The per-session merge box: what a client sees when several subs publish one document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ddp_monitor.ddp.server.mergebox import MergeBox

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def make_box() -> tuple[MergeBox, list[Any]]:
    sent: list[str] = []
    box = MergeBox(sent.append, _dumps)
    return box, sent


def frames(sent: list[str]) -> list[Any]:
    out = [json.loads(s) for s in sent]
    sent.clear()
    return out


def test_first_added_sends_every_field() -> None:
    """The first sub to publish a document sends `added` with all its fields."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1, "_id": "ignored"})
    assert frames(sent) == [
        {"msg": "added", "collection": "c", "id": "d1", "fields": {"a": 1}}
    ]


def test_added_without_fields_leaves_fields_off() -> None:
    """An empty `fields` is left off the wire, as stringifyDDP does."""
    box, sent = make_box()
    box.added("A", "c", "d1", {})
    assert frames(sent) == [{"msg": "added", "collection": "c", "id": "d1"}]


def test_second_sub_sends_only_new_fields_and_first_value_wins() -> None:
    """A second sub adding the same doc sends `changed` with only the new fields."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1})
    box.added("B", "c", "d1", {"a": 2, "b": 3})
    assert frames(sent)[1] == {
        "msg": "changed",
        "collection": "c",
        "id": "d1",
        "fields": {"b": 3},
    }
    assert box.documents("c") == {"d1": {"a": 1, "b": 3}}


def test_second_sub_with_nothing_new_sends_nothing() -> None:
    """Empty changes are suppressed."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1})
    box.added("B", "c", "d1", {"a": 1})
    assert len(frames(sent)) == 1


def test_removed_only_when_last_sub_drops_document() -> None:
    """`removed` goes out only when no sub holds the document any more."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1})
    box.added("B", "c", "d1", {"a": 2})
    frames(sent)
    box.removed("A", "c", "d1")
    # B's value for `a` takes over
    assert frames(sent) == [
        {"msg": "changed", "collection": "c", "id": "d1", "fields": {"a": 2}}
    ]
    box.removed("B", "c", "d1")
    assert frames(sent) == [{"msg": "removed", "collection": "c", "id": "d1"}]


def test_leaving_sub_clears_fields_nobody_else_holds() -> None:
    """A sub leaving a shared document clears the fields only it published."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1, "x": 9})
    box.added("B", "c", "d1", {"a": 1})
    frames(sent)
    box.removed("A", "c", "d1")
    assert frames(sent) == [
        {"msg": "changed", "collection": "c", "id": "d1", "cleared": ["x"]}
    ]


def test_change_from_lower_precedence_sub_is_not_sent() -> None:
    """A change reaches the client only from the sub whose value it sees."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1})
    box.added("B", "c", "d1", {"a": 1})
    frames(sent)
    box.changed("B", "c", "d1", {"a": 5})
    assert frames(sent) == []
    box.changed("A", "c", "d1", {"a": 6})
    assert frames(sent)[0]["fields"] == {"a": 6}
    box.changed("A", "c", "d1", {}, cleared=["a"])
    # A cleared its value: B's 5 shows
    assert frames(sent)[0]["fields"] == {"a": 5}


def test_single_sub_change_sends_only_differences() -> None:
    """A change to the same value is not sent; clearing sends `cleared`."""
    box, sent = make_box()
    box.added("A", "c", "d1", {"a": 1, "b": 2})
    frames(sent)
    box.changed("A", "c", "d1", {"a": 1, "b": 3}, cleared=["gone", "a"])
    assert frames(sent) == [
        {
            "msg": "changed",
            "collection": "c",
            "id": "d1",
            "fields": {"b": 3},
            "cleared": ["a"],
        }
    ]


def test_published_values_are_copied() -> None:
    """Mutating a dict after publishing it does not change the client's view."""
    box, _ = make_box()
    tags = ["x"]
    box.added("A", "c", "d1", {"tags": tags})
    tags.append("y")
    assert box.documents("c")["d1"]["tags"] == ["x"]


def test_unknown_document_changes_raise() -> None:
    """Changing or removing a document the session does not have is an error."""
    box, _ = make_box()
    with pytest.raises(KeyError):
        box.changed("A", "c", "nope", {"a": 1})
    with pytest.raises(KeyError):
        box.removed("A", "c", "nope")


def test_one_document_fanned_out_reaches_every_session_unchanged() -> None:
    """The same fields handed to many sessions give each the same frame, even after one edits its view."""
    shared = {
        "title": "x",
        "createdAt": datetime(2024, 1, 1, tzinfo=UTC),
        "tags": ["a"],
    }
    first, first_sent = make_box()
    first.added("A", "tasks", "t1", shared)
    first.changed("A", "tasks", "t1", {"title": "edited"}, [])
    second, second_sent = make_box()
    second.added("A", "tasks", "t1", shared)
    assert frames(second_sent) == [frames(first_sent)[0]]
    assert second.documents("tasks") == {
        "t1": {"title": "x", "createdAt": shared["createdAt"], "tags": ["a"]}
    }


def test_fields_changed_between_sessions_are_sent_as_they_are_now() -> None:
    """A publication that reuses and edits one dict sends each session what it holds then."""
    fields: dict[str, Any] = {"n": 1, "when": [1]}
    first, first_sent = make_box()
    first.added("A", "c", "d", fields)
    fields["n"] = 2
    second, second_sent = make_box()
    second.added("A", "c", "d", fields)
    assert frames(first_sent)[0]["fields"] == {"n": 1, "when": [1]}
    assert frames(second_sent)[0]["fields"] == {"n": 2, "when": [1]}
