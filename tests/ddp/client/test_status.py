"""The status machine: Meteor.status() transitions, back-off and the wall clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ddp_monitor.ddp.client.status import (
    TRANSITIONS,
    ConnectionStatus,
    Status,
    StatusMachine,
    Trigger,
    meteor_status,
)
from ddp_monitor.ddp.errors import InvalidState

S = ConnectionStatus


def machine(retry: bool = True) -> tuple[StatusMachine, list[Status]]:
    seen: list[Status] = []
    return StatusMachine(0.0, seen.append, retry=retry, rng=lambda: 0.5), seen


def test_initial_status_is_connecting_without_event() -> None:
    """A new connection reports connecting, count 0, and fires no change."""
    m, seen = machine()
    assert m.status == Status(S.CONNECTING, connected=False, retry_count=0)
    assert seen == []
    assert m.connect_deadline == 10.0


@pytest.mark.parametrize(
    ("status", "trigger", "target"),
    [(s, t, to) for s, row in TRANSITIONS.items() for t, to in row.items()],
)
def test_table_lists_only_meteor_transitions(
    status: ConnectionStatus, trigger: Trigger, target: ConnectionStatus
) -> None:
    """Every allowed transition is one socket-stream-client makes."""
    meteor = {
        (S.CONNECTING, Trigger.OPENED): S.CONNECTED,
        (S.CONNECTING, Trigger.LOST_RETRYING): S.WAITING,
        (S.CONNECTED, Trigger.LOST_RETRYING): S.WAITING,
        (S.CONNECTING, Trigger.LOST_GIVING_UP): S.FAILED,
        (S.CONNECTED, Trigger.LOST_GIVING_UP): S.FAILED,
        (S.WAITING, Trigger.RETRY_NOW): S.CONNECTING,
        (S.OFFLINE, Trigger.RETRY_NOW): S.CONNECTING,
        (S.FAILED, Trigger.RETRY_NOW): S.CONNECTING,
    }
    expected = {
        Trigger.DISCONNECT: S.OFFLINE,
        Trigger.FAIL_PERMANENTLY: S.FAILED,
    }.get(trigger) or meteor[(status, trigger)]
    assert target is expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (["open"], Status(S.CONNECTED, True, 0)),
        (["open", "lost"], Status(S.WAITING, False, 0, retry_time=1.01)),
        (["open", "lost", "retry"], Status(S.CONNECTING, False, 1)),
        (["open", "lost", "retry", "lost"], Status(S.WAITING, False, 1, 1.01)),
        (
            ["open", "lost", "retry", "lost", "retry", "lost"],
            Status(S.WAITING, False, 2, retry_time=1 + 4840 / 1000),
        ),
        (["open", "lost", "retry", "open"], Status(S.CONNECTED, True, 0)),
        (["lost"], Status(S.WAITING, False, 0, retry_time=1.01)),
        (["open", "disconnect"], Status(S.OFFLINE, False, 0)),
        (["open", "lost", "retry", "disconnect"], Status(S.OFFLINE, False, 0)),
        (["disconnect", "reconnect"], Status(S.CONNECTING, False, 0)),
        (["open", "close"], Status(S.FAILED, False, 0)),
        (["close", "reconnect"], Status(S.FAILED, False, 0)),
        (["close", "disconnect"], Status(S.FAILED, False, 0)),
        (["open", "reconnect"], Status(S.CONNECTED, True, 0)),
        (["open", "lost", "reconnect"], Status(S.CONNECTING, False, 0)),
        (
            ["open", "lost", "retry", "lost", "reconnect"],
            Status(S.CONNECTING, False, 1),
        ),
        (["open", "forced"], Status(S.WAITING, False, 0, retry_time=1.01)),
    ],
)
def test_status_after_steps(steps: list[str], expected: Status) -> None:
    """Each sequence of inputs leaves exactly Meteor's status."""
    m, _ = machine()
    do(m, steps)
    if expected.retry_time is not None:  # Meteor computes in ms: float noise
        expected = replace(expected, retry_time=pytest.approx(expected.retry_time))
    assert m.status == expected


def do(m: StatusMachine, steps: list[str], now: float = 1.0) -> None:
    for step in steps:
        match step:
            case "open":
                m.transport_opened()
            case "lost":
                m.lost(now)
            case "forced":
                m.lost(now, forced=True)
            case "retry":
                m.retry_now(now)
            case "reconnect":
                m.reconnect(now)
            case "disconnect":
                m.disconnect()
            case "close":
                m.fail_permanently()


def test_backoff_delays_are_meteors_numbers() -> None:
    """Retries wait 10 ms, 10 ms, then 4.84 s, 10.648 s ... with fraction 0.5."""
    m, seen = machine()
    delays = []
    for now in range(8):
        m.lost(float(now))
        assert m.status.retry_time is not None
        delays.append(m.status.retry_time - now)
        m.retry_now(float(now))
    # 1000 ms * 2.2**count * (0.5 * 0.5 + 0.75), from count 2 on
    expected = [0.01, 0.01, 4.84, 10.648, 23.4256, 51.53632, 113.379904, 249.4357888]
    assert delays == pytest.approx(expected, rel=1e-12)
    assert [s.retry_count for s in seen if s.status is S.CONNECTING] == list(
        range(1, 9)
    )


def test_backoff_is_capped_then_fuzzed() -> None:
    """Past the 5 minute cap the fuzz still applies (up to 375 s)."""
    m = StatusMachine(0.0, lambda s: None, rng=lambda: 0.999)
    for _ in range(12):
        m.lost(0.0)
        m.retry_now(0.0)
    m.lost(0.0)
    assert m.status.retry_time == pytest.approx(300 * (0.999 * 0.5 + 0.75))


def test_no_retry_loss_is_failed_without_reason_and_revivable() -> None:
    """With retry off a loss gives a non-permanent failed; reconnect() revives it."""
    m, _ = machine(retry=False)
    m.transport_opened()
    m.lost(1.0)
    assert m.status == Status(S.FAILED, False, 0)
    assert m.reconnect(2.0)
    assert m.status == Status(S.CONNECTING, False, 0)


def test_forced_reconnect_waits_even_without_retry() -> None:
    """A forced reconnect (version renegotiation) waits 10 ms with retry off."""
    m, _ = machine(retry=False)
    m.transport_opened()
    m.lost(1.0, forced=True)
    assert m.status == Status(S.WAITING, False, 0, retry_time=1.01)


def test_reconnect_while_connecting_fires_two_changes() -> None:
    """reconnect() during an attempt aborts it: waiting, then connecting again."""
    m, seen = machine()
    m.reconnect(1.0)
    assert [s.status for s in seen] == [S.WAITING, S.CONNECTING]
    assert m.status.retry_count == 0
    assert m.connect_deadline == 11.0


def test_reconnect_when_connected_or_closed_changes_nothing() -> None:
    """reconnect() while connected, or after close(), fires no change."""
    m, seen = machine()
    m.transport_opened()
    assert not m.reconnect(1.0)
    m.fail_permanently()
    seen.clear()
    assert not m.reconnect(2.0)
    assert not m.disconnect()
    assert seen == []


def test_repeated_disconnect_fires_one_change() -> None:
    """A second disconnect() leaves the status as it is and fires nothing."""
    m, seen = machine()
    m.disconnect()
    m.disconnect()
    assert [s.status for s in seen] == [S.OFFLINE]


def test_version_failure_keeps_reason() -> None:
    """A permanent failure with a reason shows it, count 0."""
    m, _ = machine()
    m.transport_opened()
    m.fail_permanently("why")
    assert m.status == Status(S.FAILED, False, 0, reason="why")
    assert m.permanent


def test_illegal_transition_raises_invalid_state() -> None:
    """Opening a transport while waiting is a driver bug and says so."""
    m, _ = machine()
    m.lost(0.0)
    with pytest.raises(InvalidState):
        m.transport_opened()


def test_meteor_status_converts_retry_time_to_epoch_ms() -> None:
    """Meteor.status() shows retryTime in epoch ms only while waiting."""
    waiting = Status(S.WAITING, False, 2, retry_time=14.84)
    assert meteor_status(waiting, 10.0, 1_000_000.0) == {
        "status": "waiting",
        "connected": False,
        "retryCount": 2,
        "retryTime": 1_004_840.0,
    }
    failed = Status(S.FAILED, False, 0, reason="r")
    assert meteor_status(failed, 0.0, 0.0) == {
        "status": "failed",
        "connected": False,
        "retryCount": 0,
        "reason": "r",
    }
