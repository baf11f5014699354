"""The local collections: Meteor's browser-store rules, ordered views, reconciling."""

from __future__ import annotations

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
)
from ddp_monitor.ddp.client.store import Store


def store() -> tuple[Store, list[Event]]:
    seen: list[Event] = []
    return Store(seen.append), seen


def test_added_changed_removed() -> None:
    """Documents appear, change (with cleared fields) and go, each with an event."""
    s, seen = store()
    s.added("c", "a", {"x": 1, "y": 2})
    s.changed("c", "a", {"x": 5}, ["y"])
    assert s.get("c", "a") == {"x": 5}
    s.removed("c", "a")
    assert seen == [
        DocumentAdded("c", "a", {"x": 1, "y": 2}),
        DocumentChanged("c", "a", {"x": 5}, ["y"]),
        DocumentRemoved("c", "a"),
    ]
    assert s.names() == []


def test_events_keep_their_values_after_later_changes() -> None:
    """A change never alters a document a reader or an earlier event holds."""
    s, seen = store()
    s.added("c", "a", {"x": 1})
    held = s.get("c", "a")
    s.changed("c", "a", {"x": 2}, [])
    assert held == {"x": 1}
    assert seen[0] == DocumentAdded("c", "a", {"x": 1})


def test_browser_store_tolerance() -> None:
    """Add of existing = change; change of missing = add; remove of missing ignored."""
    s, seen = store()
    s.changed("c", "a", {"x": 1}, ["z"])
    s.added("c", "a", {"y": 2})
    s.removed("c", "nope")
    assert s.get("c", "a") == {"x": 1, "y": 2}
    assert seen == [
        DocumentAdded("c", "a", {"x": 1}),
        DocumentChanged("c", "a", {"y": 2}, []),
    ]


def test_ordered_view_follows_added_before_and_moved_before() -> None:
    """addedBefore/movedBefore order the collection's ordered view."""
    s, seen = store()
    s.added_before("c", "b", {}, None)
    s.added_before("c", "a", {}, "b")
    s.added("c", "z", {})
    s.moved_before("c", "z", "a")
    assert s.ordered("c") == ["z", "a", "b"]
    s.removed("c", "a")
    assert s.ordered("c") == ["z", "b"]
    assert DocumentMoved("c", "z", "a") in seen


def test_unordered_collection_keeps_arrival_order() -> None:
    """Without addedBefore the ordered view is arrival order."""
    s, _ = store()
    for id_ in "qab":
        s.added("c", id_, {})
    assert s.ordered("c") == ["q", "a", "b"]


def test_reconcile_emits_only_differences() -> None:
    """Becoming a new state emits removals, changes and adds, nothing for equals."""
    s, seen = store()
    s.added("c", "same", {"x": float("nan")})
    s.added("c", "gone", {})
    s.added("c", "edit", {"x": 1, "y": 1})
    new = Store()
    new.added("c", "same", {"x": float("nan")})
    new.added("c", "edit", {"x": 2})
    new.added("d", "new", {"z": 1})
    seen.clear()
    s.reconcile(new)
    assert seen == [
        DocumentRemoved("c", "gone"),
        DocumentChanged("c", "edit", {"x": 2}, ["y"]),
        DocumentAdded("d", "new", {"z": 1}),
    ]
    assert sorted(s.names()) == ["c", "d"]
