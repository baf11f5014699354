"""Session resumption in ServerSession, frame by frame.

The cases of Meteor's "DDP resumption" server tests (pull request #14051:
a session kept after an ungraceful drop and gone after the grace period, a
replacement socket taking over, the replay in order then the gap, a replay
tail kept when the next socket fails, no method run twice, an invalid handoff)
as the sans-I/O core sees them. The test plays the driver: it answers
``ResumeRequested`` the way ``transport.server`` does.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from ddp_monitor.ddp import server as core
from ddp_monitor.ddp.server.session import ServerSession
from tests.ddp.server.test_session import CONNECT, feed

GRACE = 15.0


def make(**kwargs: Any) -> ServerSession:
    ids = itertools.count(1)
    kwargs.setdefault("disconnect_grace_period", GRACE)
    kwargs.setdefault("max_message_queue_length", 10)
    return ServerSession(
        0.0,
        methods=lambda name: name in ("echo", "slow"),
        publications=lambda name: False,
        new_id=lambda: f"S{next(ids)}",
        heartbeat_interval=0,
        **kwargs,
    )


def answered(session: ServerSession, method_id: str, now: float = 0.0) -> list[Any]:
    """Call echo(method_id) and answer it: `updated` and `result`, two counted frames."""
    feed(session, {"msg": "method", "id": method_id, "method": "echo", "params": []})
    invoked = [e for e in session.events() if isinstance(e, core.MethodInvoked)]
    assert [e.id for e in invoked] == [method_id]
    session.method_finished(method_id, method_id)
    return [json.loads(t) for t in session.messages_to_send()]


def reconnect(
    old: ServerSession, received_count: int, now: float, *after: Any
) -> tuple[ServerSession, list[Any]]:
    """A new socket asks for ``old``'s session: the driver's part, then the frames it gets."""
    new = make()
    session_id = old.id
    frames = [
        {**CONNECT, "session": session_id, "receivedCount": received_count},
        *after,
    ]
    for frame in frames:
        new.receive_text(json.dumps(frame), now)
    [request] = [e for e in new.events() if isinstance(e, core.ResumeRequested)]
    assert request == core.ResumeRequested(session_id or "", received_count, "1")
    if old.resume(now, request.received_count, request.version):
        for text in new.hand_over():
            old.receive_text(text, now)
        return old, [json.loads(t) for t in old.messages_to_send()]
    old.close("invalid resumption")  # the old session is retired
    new.resume_refused(now)
    return new, [json.loads(t) for t in new.messages_to_send()]


def started() -> ServerSession:
    session = make()
    assert feed(session, CONNECT) == [{"msg": "connected", "session": "S1"}]
    session.events()
    return session


def test_a_session_outlives_an_ungraceful_drop_until_the_grace_period_ends() -> None:
    session = started()
    session.detach(100.0)
    assert not session.closed
    assert session.next_deadline() == 100.0 + GRACE
    session.handle_timer(100.0 + GRACE - 0.1)
    assert not session.closed
    session.handle_timer(100.0 + GRACE)
    assert session.closed
    assert [type(e) for e in session.events()] == [core.CloseRequested]


def test_retained_frames_replay_exactly_in_order_then_the_gap() -> None:
    session = started()
    first = answered(session, "1") + answered(session, "2")  # four counted frames
    feed(session, {"msg": "method", "id": "3", "method": "slow", "params": []})
    session.events()
    session.detach(1.0)
    session.method_finished("3", "late")  # made while no socket listens
    assert session.messages_to_send() == []
    same, frames = reconnect(session, 2, 2.0)  # the client saw 1's answer only
    assert same is session
    assert frames == [
        {"msg": "connected", "session": "S1"},
        *first[2:],
        {"msg": "updated", "methods": ["3"]},
        {"msg": "result", "id": "3", "result": "late"},
    ]
    assert (session.resumptions, session.frames_replayed) == (1, 4)
    assert [type(e) for e in session.events()] == [core.SessionResumed]


def test_a_replacement_socket_takes_over_an_active_session() -> None:
    """The old socket never reported a loss: frames not yet written follow the replay."""
    session = started()
    answered(session, "1")
    session.method_finished("x", None)  # anything queued, not yet taken
    same, frames = reconnect(session, 2, 1.0)
    assert same is session
    assert frames[0] == {"msg": "connected", "session": "S1"}
    assert frames[1:] == [
        {"msg": "updated", "methods": ["x"]},
        {"msg": "result", "id": "x", "result": None},
    ]


def test_a_replay_cut_short_is_served_again() -> None:
    """The replacement socket fails midway: the history still has the tail."""
    session = started()
    answered(session, "1")
    session.detach(1.0)
    _, frames = reconnect(session, 0, 2.0)
    session.detach(3.0)  # none of it arrived
    _, again = reconnect(session, 0, 4.0)
    assert again == frames
    assert session.resumptions == 2


def test_method_ids_answered_or_running_are_not_run_again() -> None:
    session = started()
    answered(session, "1")
    feed(session, {"msg": "method", "id": "2", "method": "slow", "params": []})
    session.events()
    session.detach(1.0)
    resend = [
        {"msg": "method", "id": "1", "method": "echo", "params": []},
        {"msg": "method", "id": "2", "method": "slow", "params": []},
        {"msg": "method", "id": "3", "method": "echo", "params": []},
    ]
    _, frames = reconnect(session, 0, 2.0, *resend)
    invoked = [e.id for e in session.events() if isinstance(e, core.MethodInvoked)]
    assert invoked == []  # 3 waits behind the running 2, as any queued message
    session.method_finished("2", "two")
    invoked = [e.id for e in session.events() if isinstance(e, core.MethodInvoked)]
    assert invoked == ["3"]
    answers = [f for f in frames if f["msg"] == "result"]
    assert answers == [{"msg": "result", "id": "1", "result": "1"}]  # from the replay


def test_an_invalid_handoff_retires_the_old_session() -> None:
    """A count the history cannot serve: the old session ends, a new one starts."""
    session = started()
    for n in range(8):  # 16 counted frames, the history keeps 10
        answered(session, str(n))
    session.detach(1.0)
    new, frames = reconnect(
        session, 3, 2.0, {"msg": "method", "id": "9", "method": "echo", "params": []}
    )
    assert session.closed
    assert new is not session
    assert frames == [{"msg": "connected", "session": "S1"}]  # the new one's S1
    assert [e.id for e in new.events() if isinstance(e, core.MethodInvoked)] == ["9"]


def test_a_count_ahead_of_the_server_is_invalid() -> None:
    session = started()
    answered(session, "1")
    assert not session.resume(1.0, 3, "1")
    assert not session.resume(1.0, 2, "pre2")  # another version
    assert session.resume(1.0, 2, "1")


def test_disconnect_ends_the_session_at_once() -> None:
    session = started()
    feed(session, {"msg": "disconnect"})
    assert session.closed
    assert [type(e) for e in session.events()] == [core.CloseRequested]


def test_the_gap_is_bounded() -> None:
    """More frames than max_message_queue_length while detached: the session ends."""
    session = started()
    session.detach(1.0)
    for n in range(5):
        session.method_finished(str(n), None)  # two frames each
        session.messages_to_send()
    assert not session.closed
    session.method_finished("5", None)
    session.messages_to_send()
    assert session.closed


def test_the_history_is_bounded_and_leaves_out_the_heartbeat() -> None:
    session = ServerSession(
        0.0,
        methods=lambda name: True,
        publications=lambda name: False,
        heartbeat_interval=1.0,
        heartbeat_timeout=100.0,
        disconnect_grace_period=GRACE,
        max_message_queue_length=4,
    )
    feed(session, CONNECT)
    for n in range(50):
        session.method_finished(str(n), None)
        session.handle_timer(float(n + 1))  # a ping now and then
        session.messages_to_send()
    sent = session.sent_frames
    assert sent is not None
    assert (sent.written, len(sent.history)) == (100, 4)
    assert all('"ping"' not in frame for frame in sent.history)


def test_without_a_grace_period_it_is_meteor_before_resumption() -> None:
    """The fields are ignored, `disconnect` is a bad request, a lost socket ends it."""
    session = make(disconnect_grace_period=0)
    frames = feed(session, {**CONNECT, "session": "old", "receivedCount": 3})
    assert frames == [{"msg": "connected", "session": "S1"}]
    assert feed(session, {"msg": "disconnect"})[0]["reason"] == "Bad request"
    session.detach(1.0)
    assert session.closed
