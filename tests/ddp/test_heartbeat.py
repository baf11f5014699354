"""Heartbeats ping only on a silent link and give up only when nothing answers."""

from __future__ import annotations

from ddp_monitor.ddp.heartbeat import Heartbeat, HeartbeatAction


def test_silent_link_pings_at_the_interval_then_times_out() -> None:
    """No traffic: a ping at the first tick, and a timeout one timeout later."""
    beat = Heartbeat(17.5, 15.0, now=0.0)
    assert beat.next_deadline() == 17.5
    assert beat.handle_timer(17.5) is HeartbeatAction.SEND_PING
    assert beat.next_deadline() == 32.5
    assert beat.handle_timer(32.5) is HeartbeatAction.TIMED_OUT


def test_any_message_answers_the_ping() -> None:
    """Any inbound message counts as the pong and cancels the timeout."""
    beat = Heartbeat(17.5, 15.0, now=0.0)
    beat.handle_timer(17.5)
    beat.message_received()
    assert beat.next_deadline() == 35.0
    assert beat.handle_timer(32.5) is None


def test_busy_link_sends_no_ping() -> None:
    """A message since the last tick means no ping is needed this tick."""
    beat = Heartbeat(15.0, 15.0, now=0.0)
    beat.message_received()
    assert beat.handle_timer(15.0) is None
    assert beat.handle_timer(30.0) is HeartbeatAction.SEND_PING


def test_ticks_stay_on_the_interval_grid() -> None:
    """A late timer does not shift later ticks (Meteor uses setInterval)."""
    beat = Heartbeat(10.0, 100.0, now=0.0)
    beat.message_received()
    assert beat.handle_timer(12.0) is None
    assert beat.next_deadline() == 20.0


def test_idle_peers_ping_alternately_as_meteor_simulates() -> None:
    """With zero RTT the server pings at 15 s and the client at 35 s (docs/meteor-ddp.md §4)."""
    client = Heartbeat(17.5, 15.0, now=0.0)
    server = Heartbeat(15.0, 15.0, now=0.0)
    pings: list[tuple[str, float]] = []
    now = 0.0
    while now < 90:
        now = min(client.next_deadline(), server.next_deadline())
        for name, me, peer in (("server", server, client), ("client", client, server)):
            if (
                me.next_deadline() <= now
                and me.handle_timer(now) is HeartbeatAction.SEND_PING
            ):
                pings.append((name, now))
                peer.message_received()  # the ping arrives
                me.message_received()  # and its pong comes straight back
    assert pings[:4] == [
        ("server", 15.0),
        ("client", 35.0),
        ("server", 60.0),
        ("client", 87.5),
    ]
