"""The notification rule: dropped, failed, back, each once, and no storm while retrying or flapping.

``NoticeRule`` is sans-I/O: statuses go in with ``now`` as numbers, notices
come out; ``next_deadline`` is when a held notice is due.
"""

from __future__ import annotations

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.notices import QUIET, NoticeRule

S = ConnectionStatus
CONNECTED = Status(S.CONNECTED, True)
CONNECTING = Status(S.CONNECTING, False, 1)
WAITING = Status(S.WAITING, False, 1, retry_time=99.0)
OFFLINE = Status(S.OFFLINE, False)
FAILED = Status(S.FAILED, False, reason="DDP version negotiation failed")


def kinds(rule: NoticeRule) -> list[str]:
    return [n.kind for n in rule.notices()]


def connected_rule(at: float = 0.0) -> NoticeRule:
    rule = NoticeRule("staging")
    rule.status_changed(CONNECTED, at)
    return rule


def test_the_first_connect_is_no_news() -> None:
    """Opening a connection says nothing: the user just asked for it."""
    rule = NoticeRule("staging")
    rule.status_changed(CONNECTING, 0.0)
    rule.status_changed(CONNECTED, 0.5)
    assert kinds(rule) == []


def test_a_drop_is_said_once_however_many_retries_follow() -> None:
    """One "dropped" with the reason, then retries say nothing, then one "back" with the time down."""
    rule = connected_rule()
    rule.transport_lost("connection refused: Connect call failed ('127.0.0.1', 3000)")
    rule.status_changed(WAITING, 10.0)
    [dropped] = rule.notices()
    assert dropped.kind == "dropped"
    assert dropped.title == "staging: connection dropped"
    assert dropped.body.startswith("Connection refused. ddp-monitor reconnects")
    assert dropped.status is S.WAITING
    for n in range(20):  # Meteor's back-off: connecting, waiting, ...
        rule.status_changed(CONNECTING, 11.0 + n)
        rule.status_changed(WAITING, 11.5 + n)
    assert kinds(rule) == []
    assert rule.next_deadline() is None
    rule.status_changed(CONNECTED, 52.0)
    [back] = rule.notices()
    assert (back.kind, back.body) == ("back", "The connection is back after 42 s.")


def test_a_failure_is_said_once() -> None:
    """Failed (Meteor gives up) is said at once with its reason, even right after a drop."""
    rule = connected_rule()
    rule.status_changed(WAITING, 1.0)
    rule.status_changed(CONNECTING, 1.1)
    rule.status_changed(FAILED, 1.2)
    notices = rule.notices()
    assert [n.kind for n in notices] == ["dropped", "failed"]
    assert notices[1].body.startswith("DDP version negotiation failed.")
    rule.status_changed(FAILED, 2.0)
    assert kinds(rule) == []


def test_a_connection_that_never_came_up_says_only_failed() -> None:
    """No "dropped" and no "back" without having been up; a failure is still news."""
    rule = NoticeRule("staging")
    for n in range(5):
        rule.status_changed(WAITING, float(n))
        rule.status_changed(CONNECTING, n + 0.5)
    assert kinds(rule) == []
    rule.status_changed(FAILED, 9.0)
    assert kinds(rule) == ["failed"]


def test_a_flapping_link_is_said_once_then_what_holds_after_the_quiet_time() -> None:
    """Down and up every second: dropped, back, then silence; still down after QUIET: dropped."""
    rule = connected_rule()
    rule.status_changed(WAITING, 1.0)
    rule.status_changed(CONNECTED, 2.0)
    assert kinds(rule) == ["dropped", "back"]
    for n in range(3, 15):
        rule.status_changed(WAITING if n % 2 else CONNECTED, float(n))
    assert kinds(rule) == []
    rule.status_changed(WAITING, 15.0)
    assert rule.next_deadline() == 2.0 + QUIET
    rule.handle_timer(2.0 + QUIET)
    assert kinds(rule) == ["dropped"]


def test_a_flap_that_healed_before_the_quiet_time_ended_stays_unsaid() -> None:
    """A drop held in the quiet time and over before it ends is never said."""
    rule = connected_rule()
    rule.status_changed(WAITING, 1.0)
    rule.status_changed(CONNECTED, 2.0)
    rule.notices()
    rule.status_changed(WAITING, 3.0)
    rule.status_changed(CONNECTED, 4.0)
    assert rule.next_deadline() is None
    rule.handle_timer(2.0 + QUIET)
    assert kinds(rule) == []
    rule.status_changed(WAITING, 100.0)  # a new drop, long after: said, timed from now
    rule.status_changed(CONNECTED, 103.0)
    assert [n.body for n in rule.notices()][1] == "The connection is back after 3.0 s."


def test_going_offline_and_back_is_the_users_own_doing() -> None:
    """Disconnect or battery saving, and the reconnect that ends them, say nothing."""
    rule = connected_rule()
    rule.status_changed(OFFLINE, 1.0)
    rule.status_changed(CONNECTING, 2.0)
    rule.status_changed(CONNECTED, 2.1)
    rule.status_changed(WAITING, 3.0, battery_saving=True)
    rule.status_changed(CONNECTING, 4.0, battery_saving=True)
    rule.status_changed(WAITING, 4.1, battery_saving=True)
    rule.status_changed(CONNECTING, 9.0)  # woken up
    rule.status_changed(CONNECTED, 9.1)
    assert kinds(rule) == []
    rule.status_changed(WAITING, 60.0)  # and a real drop is news again
    assert kinds(rule) == ["dropped"]
