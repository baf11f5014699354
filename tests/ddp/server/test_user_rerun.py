"""The core of Meteor's setUserId and universal subs: rerun, diff, held-back ready."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ddp_monitor.ddp.server.mergebox import MergeBox
from ddp_monitor.ddp.server.session import ServerSession, SubscriptionStarted
from ddp_monitor.ddp.server.subscription import ServerSubscription

CONNECT = {"msg": "connect", "version": "1", "support": ["1"]}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def session_with_subs(*names: str) -> tuple[ServerSession, list[ServerSubscription]]:
    session = ServerSession(
        0.0, methods=lambda _: False, publications=lambda _: True, new_id=lambda: "S"
    )
    session.receive_text(json.dumps(CONNECT), 0.0)
    subs = []
    for n, name in enumerate(names):
        session.receive_text(json.dumps({"msg": "sub", "id": f"s{n}", "name": name}), 0)
        (event,) = session.events()[-1:]
        assert isinstance(event, SubscriptionStarted)
        subs.append(event.subscription)
        session.handler_finished(event.subscription)
    session.events()
    session.messages_to_send()
    return session, subs


def sent(session: ServerSession) -> list[Any]:
    return [json.loads(t) for t in session.messages_to_send()]


def publish(sub: ServerSubscription, docs: dict[str, dict[str, Any]]) -> None:
    for id_, fields in docs.items():
        sub.added("c", id_, fields)
    sub.ready()


def test_rerun_sends_only_the_diff_then_one_ready() -> None:
    """After a login the client sees what changed, then one `ready` for every rerun sub."""
    session, (a, b) = session_with_subs("a", "b")
    publish(a, {"same": {"x": 1}, "old": {"y": 1}})
    publish(b, {"other": {"z": 1}})
    sent(session)
    new_a, new_b = session.begin_set_user_id("u1")
    assert (new_a.id, new_b.id) == ("s0", "s1")
    publish(new_a, {"same": {"x": 1}, "new": {"y": 2}})
    publish(new_b, {"other": {"z": 1}})
    assert sent(session) == []  # nothing goes out while the subs re-run
    session.universal_subs_allowed()
    session.end_set_user_id()
    assert sent(session) == [
        {"msg": "removed", "collection": "c", "id": "old"},
        {"msg": "added", "collection": "c", "id": "new", "fields": {"y": 2}},
        {"msg": "ready", "subs": ["s0", "s1"]},
    ]
    assert session.user_id == "u1"


def test_rerun_stops_the_old_subs_without_removing_documents() -> None:
    """The old publications' stop callbacks run; their documents are not `removed` one by one."""
    session, (a,) = session_with_subs("a")
    stopped: list[str] = []
    a.on_stop(lambda: stopped.append("a"))
    publish(a, {"d": {"x": 1}})
    sent(session)
    (new_a,) = session.begin_set_user_id(None)
    assert stopped == ["a"]
    a.added("c", "late", {"x": 2})  # the old sub is deactivated: ignored
    publish(new_a, {"d": {"x": 1}})
    session.end_set_user_id()
    assert sent(session) == [{"msg": "ready", "subs": ["s0"]}]


def test_messages_wait_until_the_rerun_ends() -> None:
    """A `sub` that arrives during a rerun runs only after the diff went out."""
    session, _ = session_with_subs("a")
    session.begin_set_user_id("u1")
    session.receive_text(json.dumps({"msg": "sub", "id": "late", "name": "b"}), 0)
    assert session.events() == []
    session.end_set_user_id()
    (event,) = session.events()
    assert isinstance(event, SubscriptionStarted)
    assert event.subscription.id == "late"


@pytest.mark.parametrize("bad", [5, 1.5, {"id": "u"}, ["u"]])
def test_set_user_id_refuses_anything_but_a_string_or_none(bad: Any) -> None:
    """Meteor throws for a non-string user id, and nothing changes."""
    session, (a,) = session_with_subs("a")
    with pytest.raises(TypeError, match="setUserId must be called on string or null"):
        session.begin_set_user_id(bad)
    assert a.active
    assert session.user_id is None


def test_universal_sub_never_sends_ready_and_has_a_u_handle() -> None:
    """A universal sub's `ready()` is ignored; its documents merge with named subs'."""
    session, (named,) = session_with_subs("a")
    universal = session.start_universal(handler=object())
    assert universal is not None
    universal.added("c", "d", {"u": 1, "shared": "universal"})
    universal.ready()
    named.added("c", "d", {"shared": "named", "n": 2})
    assert sent(session) == [
        {
            "msg": "added",
            "collection": "c",
            "id": "d",
            "fields": {"u": 1, "shared": "universal"},
        },
        {"msg": "changed", "collection": "c", "id": "d", "fields": {"n": 2}},
    ]


def test_universal_stop_sends_a_bare_nosub_and_keeps_its_documents() -> None:
    """Meteor's `_stopSubscription(undefined)`: `nosub` with no id; the sub stays."""
    session, _ = session_with_subs()
    universal = session.start_universal(handler=object())
    assert universal is not None
    universal.added("c", "d", {"u": 1})
    sent(session)
    universal.stop()
    assert sent(session) == [{"msg": "nosub"}]
    assert universal.active


def test_universal_subs_wait_for_the_rerun_to_allow_them() -> None:
    """During a rerun, new universal publications are started by the rerun itself."""
    session, _ = session_with_subs()
    session.begin_set_user_id("u1")
    assert session.start_universal(handler=object()) is None
    session.universal_subs_allowed()
    assert session.start_universal(handler=object()) is not None
    session.end_set_user_id()


def test_merge_box_diff_follows_meteor_order() -> None:
    """Old collections first (removed/changed, then added), then new collections."""
    out: list[str] = []
    before, after = MergeBox(out.append, _dumps), MergeBox(out.append, _dumps)
    before.added("N", "gone", "g", {"a": 1})
    before.added("N", "kept", "k", {"a": 1, "b": 2, "c": 3})
    after.added("N", "kept", "k", {"a": 1, "c": 4, "d": 5})
    after.added("N", "kept", "k2", {})
    after.added("N", "fresh", "f", {"x": 1})
    out.clear()
    after.send_diff_from(before)
    assert [json.loads(t) for t in out] == [
        {"msg": "removed", "collection": "gone", "id": "g"},
        {
            "msg": "changed",
            "collection": "kept",
            "id": "k",
            "fields": {"c": 4, "d": 5},
            "cleared": ["b"],
        },
        {"msg": "added", "collection": "kept", "id": "k2"},
        {"msg": "added", "collection": "fresh", "id": "f", "fields": {"x": 1}},
    ]


def test_emptied_collection_moves_to_the_end_of_the_view_order() -> None:
    """A collection whose last document left is dropped, as Session.removed does."""
    out: list[str] = []
    box = MergeBox(out.append, _dumps)
    box.added("N", "a", "1", {})
    box.added("N", "b", "1", {})
    box.removed("N", "a", "1")
    box.added("N", "a", "2", {})
    assert list(box._views) == ["b", "a"]
