"""ServerSession, the pure server core: Meteor's checks, negotiation, queue and heartbeats."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ddp_monitor.ddp import server as core
from ddp_monitor.ddp.server.session import ServerSession

CONNECT = {"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}


def make_session(**kwargs: Any) -> ServerSession:
    return ServerSession(
        0.0,
        methods=lambda name: name in ("echo", "slow"),
        publications=lambda name: name == "items",
        new_id=lambda: "S" * 17,
        **kwargs,
    )


def feed(session: ServerSession, *frames: Any, now: float = 0.0) -> list[Any]:
    for frame in frames:
        session.receive_text(
            frame if isinstance(frame, str) else json.dumps(frame), now
        )
    return [json.loads(t) for t in session.messages_to_send()]


def connected() -> ServerSession:
    session = make_session()
    assert feed(session, CONNECT) == [{"msg": "connected", "session": "S" * 17}]
    session.events()
    return session


@pytest.mark.parametrize(
    ("frame", "reply"),
    [
        ("nonsense", {"msg": "error", "reason": "Bad request"}),
        ("3", {"msg": "error", "reason": "Bad request"}),
        ("[1]", {"msg": "error", "reason": "Bad request", "offendingMessage": [1]}),
        ("{}", {"msg": "error", "reason": "Bad request", "offendingMessage": {}}),
        (
            '{"msg":"ping"}',
            {
                "msg": "error",
                "reason": "Must connect first",
                "offendingMessage": {"msg": "ping"},
            },
        ),
        (
            '{"msg":"method","id":"1","method":"echo","params":[{"$type":"nope","$value":1}]}',
            {"msg": "error", "reason": "Parse error"},
        ),
    ],
)
def test_bad_frames_before_connect(frame: str, reply: Any) -> None:
    """Bad input before `connect` gets Meteor's exact error reply and nothing else."""
    session = make_session()
    assert feed(session, frame) == [reply]
    assert not session.closed


def test_second_connect_is_already_connected() -> None:
    """A second `connect` is refused and the session is unaffected."""
    session = connected()
    assert feed(session, CONNECT) == [
        {"msg": "error", "reason": "Already connected", "offendingMessage": CONNECT}
    ]
    assert session.id == "S" * 17


@pytest.mark.parametrize(
    ("version", "support", "answer"),
    [
        ("1", ["pre2", "1"], "pre2"),  # first of the client's list we support
        ("x", ["x", "y"], "1"),  # nothing in common: our first choice
        (1, ["1"], "1"),  # version not a string
        ("2", ["2", "1"], "1"),
        ("1", "1", "1"),  # support not a list
        ("pre1", ["1"], "1"),  # version not in support
    ],
)
def test_version_negotiation_fails_and_closes(
    version: Any, support: Any, answer: str
) -> None:
    """An unusable proposal gets `failed` with a version to use, then the socket closes."""
    session = make_session()
    msg = {"msg": "connect", "version": version, "support": support}
    assert feed(session, msg) == [{"msg": "failed", "version": answer}]
    assert session.closed
    assert any(isinstance(e, core.CloseRequested) for e in session.events())


def test_pre1_has_no_heartbeat_and_refuses_ping() -> None:
    """Under pre1 there are no heartbeats and ping is a bad request."""
    session = make_session()
    feed(session, {"msg": "connect", "version": "pre1", "support": ["pre1"]})
    assert session.next_deadline() is None
    assert feed(session, {"msg": "ping"}) == [
        {"msg": "error", "reason": "Bad request", "offendingMessage": {"msg": "ping"}}
    ]


def test_ping_is_answered_with_its_id() -> None:
    """pong echoes the ping's id, and leaves it off when there was none."""
    session = connected()
    assert feed(session, {"msg": "ping", "id": "x"}, {"msg": "ping"}) == [
        {"msg": "pong", "id": "x"},
        {"msg": "pong"},
    ]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ({"msg": "foo"}, "Bad request"),
        ({"msg": "sub", "id": 1}, "Malformed subscription"),
        (
            {"msg": "sub", "id": "a", "name": "items", "params": {}},
            "Malformed subscription",
        ),
        ({"msg": "method", "id": "1"}, "Malformed method invocation"),
        (
            {"msg": "method", "id": "1", "method": "echo", "randomSeed": 5},
            "Malformed method invocation",
        ),
        (
            {"msg": "method", "id": "1", "method": "echo", "randomSeed": None},
            "Malformed method invocation",
        ),
    ],
)
def test_malformed_messages_get_error_with_offending_message(
    frame: Any, reason: str
) -> None:
    """Malformed or unknown messages after connect get an error and the session lives on."""
    session = connected()
    assert feed(session, frame) == [
        {"msg": "error", "reason": reason, "offendingMessage": frame}
    ]
    assert not session.closed


def test_unknown_method_sends_result_then_updated() -> None:
    """An unknown method gets 404 `result` first, then `updated`."""
    session = connected()
    replies = feed(
        session, {"msg": "method", "id": "1", "method": "nope", "params": []}
    )
    assert [r["msg"] for r in replies] == ["result", "updated"]
    assert replies[0]["error"]["error"] == 404
    assert replies[0]["error"]["reason"] == "Method 'nope' not found"


def test_unknown_publication_gets_nosub_404() -> None:
    """An unknown publication gets `nosub` with a 404 error."""
    session = connected()
    (reply,) = feed(session, {"msg": "sub", "id": "s", "name": "nope", "params": []})
    assert reply["msg"] == "nosub"
    assert reply["error"]["reason"] == "Subscription 'nope' not found"


def test_unsub_of_unknown_id_still_gets_nosub() -> None:
    """`unsub` for an id the server does not know is still answered with `nosub`."""
    session = connected()
    assert feed(session, {"msg": "unsub", "id": "zz"}) == [{"msg": "nosub", "id": "zz"}]


def test_methods_run_in_order_until_unblocked() -> None:
    """A running method holds back the connection's next message until it finishes."""
    session = connected()
    feed(
        session,
        {"msg": "method", "id": "1", "method": "slow", "params": [10]},
        {"msg": "method", "id": "2", "method": "echo", "params": [1]},
    )
    invoked = [e for e in session.events() if isinstance(e, core.MethodInvoked)]
    assert [e.id for e in invoked] == ["1"]
    session.method_finished("1", 10)
    assert [json.loads(t)["msg"] for t in session.messages_to_send()] == [
        "updated",
        "result",
    ]
    assert [e.id for e in session.events() if isinstance(e, core.MethodInvoked)] == [
        "2"
    ]


def test_unblock_lets_the_next_message_run() -> None:
    """invocation.unblock() lets later messages run while the method still works."""
    session = connected()
    feed(
        session,
        {"msg": "method", "id": "1", "method": "slow", "params": []},
        {"msg": "ping", "id": "p"},
        {"msg": "method", "id": "2", "method": "echo", "params": []},
    )
    session.events()
    session.unblock("1")
    assert [e.id for e in session.events() if isinstance(e, core.MethodInvoked)] == [
        "2"
    ]


def test_result_left_off_for_undefined() -> None:
    """A method returning UNDEFINED sends `result` without the key, as JS undefined does."""
    session = connected()
    feed(session, {"msg": "method", "id": "1", "method": "echo", "params": []})
    session.method_finished("1", core.UNDEFINED)
    assert json.loads(session.messages_to_send()[-1]) == {"msg": "result", "id": "1"}


def test_duplicate_sub_id_is_ignored() -> None:
    """A second `sub` with a live id gets no answer at all."""
    session = connected()
    sub = {"msg": "sub", "id": "s", "name": "items", "params": []}
    feed(session, sub)
    (started,) = session.events()
    assert isinstance(started, core.SubscriptionStarted)
    started.subscription.ready()
    session.handler_finished(started.subscription)
    assert feed(session) == [{"msg": "ready", "subs": ["s"]}]
    assert feed(session, sub) == []
    assert session.events() == []


def test_unsub_removes_documents_then_runs_stop_callbacks_then_nosub() -> None:
    """unsub sends `removed` for the sub's documents, runs onStop, then `nosub`."""
    session = connected()
    feed(session, {"msg": "sub", "id": "s", "name": "items", "params": []})
    (started,) = session.events()
    sub = started.subscription
    stopped: list[int] = []
    sub.on_stop(lambda: stopped.append(len(session._outbox)))
    sub.added("items", "i0", {"k": 0})
    session.handler_finished(sub)
    feed(session)
    assert feed(session, {"msg": "unsub", "id": "s"}) == [
        {"msg": "removed", "collection": "items", "id": "i0"},
        {"msg": "nosub", "id": "s"},
    ]
    assert stopped == [1]  # after `removed`, before `nosub`


def test_heartbeat_pings_when_idle_and_closes_on_timeout() -> None:
    """The server pings after 15 s of silence and closes 15 s later without an answer."""
    session = connected()
    assert session.next_deadline() == 15.0
    session.handle_timer(15.0)
    assert session.messages_to_send() == ['{"msg":"ping"}']
    session.handle_timer(30.0)
    assert session.closed


def test_close_drops_everything_silently() -> None:
    """Closing sends no `removed`/`nosub`; stop callbacks run on deactivate_all()."""
    session = connected()
    feed(session, {"msg": "sub", "id": "s", "name": "items", "params": []})
    (started,) = session.events()
    stopped: list[str] = []
    started.subscription.on_stop(lambda: stopped.append("s"))
    started.subscription.added("items", "i0", {})
    session.messages_to_send()
    session.close()
    assert session.messages_to_send() == []
    assert stopped == []
    session.deactivate_all()
    assert stopped == ["s"]


def test_unsub_without_id_gets_nosub_without_id() -> None:
    """`unsub` with no id is answered `{"msg":"nosub"}`: JSON drops the undefined id."""
    session = connected()
    assert feed(session, {"msg": "unsub"}) == [{"msg": "nosub"}]


def test_stop_removes_documents_in_the_order_they_were_added() -> None:
    """On unsub the sub's documents are removed in the order it added them."""
    session = connected()
    feed(session, {"msg": "sub", "id": "s", "name": "items", "params": []})
    (started,) = session.events()
    for doc_id in ("i2", "i0", "i1", "i10"):
        started.subscription.added("items", doc_id, {})
    session.handler_finished(started.subscription)
    feed(session)
    removed = feed(session, {"msg": "unsub", "id": "s"})[:-1]
    assert [r["id"] for r in removed] == ["i2", "i0", "i1", "i10"]
