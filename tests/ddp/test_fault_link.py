"""The fault layer's promises, with ``now`` as numbers: latency, bandwidth, dead link, DDP-aware delays."""

from __future__ import annotations

import json

import pytest

from ddp_monitor.ddp.fault_link import FaultLink, Refusals, frame_kind
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, Way, WayFaults, from_wire

TO_C, TO_S = Way.TO_CLIENT, Way.TO_SERVER


def frame(**fields: object) -> str:
    return json.dumps(fields, separators=(",", ":"))


def method(ident: str, name: str) -> str:
    return frame(msg="method", id=ident, method=name, params=[])


def result(ident: str) -> str:
    return frame(msg="result", id=ident, result=1)


def test_no_faults_passes_every_frame_at_once() -> None:
    """Without faults a frame comes out the moment it goes in, and nothing waits."""
    link = FaultLink()
    link.submit(TO_C, frame(msg="added", collection="c", id="1"), 5.0)
    assert link.take(TO_C, 5.0) == ['{"msg":"added","collection":"c","id":"1"}']
    assert link.next_deadline() is None
    assert link.passes_to_client


def test_latency_delays_each_frame_by_exactly_that_much() -> None:
    """200 ms of latency to the client: a frame sent at t=1 arrives at t=1.2, not before."""
    link = FaultLink(Faults(to_client=WayFaults(latency=0.2)), now=0.0)
    link.submit(TO_C, frame(msg="ping"), 1.0)
    assert link.take(TO_C, 1.19) == []
    assert link.next_deadline() == pytest.approx(1.2)
    assert link.take(TO_C, 1.2) == ['{"msg":"ping"}']
    link.submit(TO_S, frame(msg="pong"), 1.0)
    assert link.take(TO_S, 1.0) == ['{"msg":"pong"}']  # the other way is untouched


def test_jitter_never_reorders_frames() -> None:
    """With jitter larger than the gap between frames, they still arrive in order."""
    draws = iter([1.0, 0.0, 0.5])
    link = FaultLink(
        Faults(to_client=WayFaults(latency=0.1, jitter=0.05)), rng=lambda: next(draws)
    )
    for n, t in enumerate((0.0, 0.01, 0.02)):
        link.submit(TO_C, frame(msg="changed", n=n), t)
    out = link.take(TO_C, 1.0)
    assert [json.loads(t)["n"] for t in out] == [0, 1, 2]


def test_bandwidth_spaces_frames_by_their_size() -> None:
    """At 1000 bytes/s two 100-byte frames arrive 0.1 s and 0.2 s after they were sent."""
    link = FaultLink(Faults(to_client=WayFaults(bandwidth=1000)))
    text = frame(msg="added", pad="x" * 76)
    assert len(text) == 100
    link.submit(TO_C, text, 0.0)
    link.submit(TO_C, text, 0.0)
    assert link.take(TO_C, 0.099) == []
    assert len(link.take(TO_C, 0.1)) == 1
    assert link.next_deadline() == pytest.approx(0.2)


def test_dead_link_stalls_both_ways_and_clearing_releases_in_order() -> None:
    """A dead link lets nothing through either way; clearing it delivers what waited, in order."""
    link = FaultLink(Faults(dead_link=True))
    link.submit(TO_S, method("1", "add"), 0.0)
    link.submit(TO_C, frame(msg="ping"), 0.0)
    link.submit(TO_C, frame(msg="added", id="a"), 0.1)
    assert link.take(TO_S, 10.0) == []
    assert link.take(TO_C, 10.0) == []
    assert link.next_deadline() is None  # silence: nothing to wake for
    link.set_faults(NO_FAULTS, 20.0)
    assert link.take(TO_S, 20.0) == [method("1", "add")]
    assert [frame_kind(t) for t in link.take(TO_C, 20.0)] == ["ping", "added"]


def test_swallowed_pings_go_one_way_only() -> None:
    """Swallowing pings to the server drops them; pings to the client and pongs still pass."""
    link = FaultLink(Faults(to_server=WayFaults(swallow_pings=True)))
    link.submit(TO_S, frame(msg="ping"), 0.0)
    link.submit(TO_S, frame(msg="pong"), 0.0)
    link.submit(TO_C, frame(msg="ping"), 0.0)
    assert link.take(TO_S, 0.0) == ['{"msg":"pong"}']
    assert link.take(TO_C, 0.0) == ['{"msg":"ping"}']
    assert link.dropped(TO_S) == 1


def test_delayed_result_delays_that_call_only() -> None:
    """Delaying add's result by 2 s holds add's result; echo's result and the data pass it."""
    link = FaultLink(Faults(delay_result={"add": 2.0}))
    link.submit(TO_S, method("1", "add"), 0.0)
    link.submit(TO_S, method("2", "echo"), 0.0)
    link.submit(TO_C, result("1"), 0.5)
    link.submit(TO_C, frame(msg="updated", methods=["1"]), 0.5)
    link.submit(TO_C, result("2"), 0.6)
    assert [json.loads(t).get("id") for t in link.take(TO_C, 0.6)] == [None, "2"]
    assert link.next_deadline() == pytest.approx(2.5)
    assert link.take(TO_C, 2.5) == [result("1")]


def test_dropped_updated_and_ready_by_name() -> None:
    """Dropping add's updated and the items ready removes exactly those frames."""
    link = FaultLink(
        Faults(drop_updated=frozenset({"add"}), drop_ready=frozenset({"items"}))
    )
    link.submit(TO_S, method("1", "add"), 0.0)
    link.submit(TO_S, frame(msg="sub", id="s1", name="items", params=[]), 0.0)
    link.submit(TO_S, frame(msg="sub", id="s2", name="ticker", params=[]), 0.0)
    for text in (
        frame(msg="updated", methods=["1"]),
        frame(msg="ready", subs=["s1"]),
        frame(msg="ready", subs=["s2"]),
        result("1"),
    ):
        link.submit(TO_C, text, 0.1)
    assert [frame_kind(t) for t in link.take(TO_C, 0.1)] == ["ready", "result"]
    assert link.dropped(TO_C) == 2


def test_hold_data_holds_data_messages_for_n_seconds_from_when_set() -> None:
    """Holding data for 3 s keeps added/ready back until 3 s after it was set; a result passes."""
    link = FaultLink()
    link.set_faults(Faults(hold_data=3.0), 10.0)
    link.submit(TO_C, frame(msg="added", id="a"), 11.0)
    link.submit(TO_C, result("9"), 11.0)
    link.submit(TO_C, frame(msg="ready", subs=["s"]), 12.0)
    assert [frame_kind(t) for t in link.take(TO_C, 12.9)] == ["result"]
    assert link.next_deadline() == pytest.approx(13.0)
    assert [frame_kind(t) for t in link.take(TO_C, 13.0)] == ["added", "ready"]
    link.submit(TO_C, frame(msg="added", id="b"), 14.0)
    assert len(link.take(TO_C, 14.0)) == 1  # the hold is over


def test_drop_one_in_n_of_a_kind() -> None:
    """Dropping one added in 3 removes the 3rd and the 6th, nothing else."""
    link = FaultLink(Faults(drop_one_in={"added": 3}))
    for n in range(1, 8):
        link.submit(TO_C, frame(msg="added", id=str(n)), 0.0)
        link.submit(TO_C, frame(msg="changed", id=str(n)), 0.0)
    ids = [
        json.loads(t)["id"] for t in link.take(TO_C, 0.0) if frame_kind(t) == "added"
    ]
    assert ids == ["1", "2", "4", "5", "7"]


def test_clearing_delays_releases_what_waited() -> None:
    """Clearing latency and a result delay delivers the waiting frames at once."""
    link = FaultLink(
        Faults(to_client=WayFaults(latency=5.0), delay_result={"add": 9.0})
    )
    link.submit(TO_S, method("1", "add"), 0.0)
    link.submit(TO_C, result("1"), 0.0)
    link.submit(TO_C, frame(msg="ping"), 0.0)
    link.set_faults(NO_FAULTS, 1.0)
    assert sorted(frame_kind(t) for t in link.take(TO_C, 1.0)) == ["ping", "result"]
    assert link.passes_to_client


def test_wire_form_round_trips_in_milliseconds() -> None:
    """The control endpoint's form uses milliseconds and names only what is set."""
    wire = {
        "toClient": {"latencyMs": 200, "jitterMs": 20, "swallowPings": True},
        "toServer": {"bandwidth": 50000},
        "deadLink": True,
        "delayResultMs": {"add": 1500},
        "dropReady": ["items"],
        "holdDataMs": 3000,
        "dropOneIn": {"added": 10},
        "batterySavingMs": 5000,
    }
    faults = from_wire(wire)
    assert faults.to_client == WayFaults(latency=0.2, jitter=0.02, swallow_pings=True)
    assert faults.to_server.bandwidth == 50000
    assert faults.delay_result == {"add": 1.5}
    assert faults.battery_saving == 5.0
    assert faults.to_wire() == wire
    assert from_wire({}).to_wire() == {}
    assert not from_wire({}).any
    assert faults.merged({"deadLink": False}).dead_link is False


@pytest.mark.parametrize(
    "wire",
    [
        {"latencyMs": 1},
        {"holdDataMs": -1},
        {"dropOneIn": {"added": 0}},
        {"deadLink": 1},
    ],
)
def test_wire_form_refuses_what_it_cannot_mean(wire: dict[str, object]) -> None:
    """An unknown fault or a bad value is refused with its name, not guessed at."""
    with pytest.raises(ValueError, match=r"latencyMs|holdDataMs|dropOneIn|deadLink"):
        from_wire(wire)


def test_refusals_end_on_time() -> None:
    """Battery saving refuses a client's reconnects until its time, then lets it in."""
    refusals = Refusals()
    refusals.refuse("127.0.0.1 ua", 10.0)
    assert refusals.refused("127.0.0.1 ua", 9.9)
    assert not refusals.refused("other", 9.9)
    assert not refusals.refused("127.0.0.1 ua", 10.0)
