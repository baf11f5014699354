"""The timeline's figures: a real session binned live and from its saved file tell one story (issue 16).

Real sockets against Meteor 1.9.3 and our server for the session; the bin
arithmetic (merging, bounds) with numbers.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ddp_monitor.ddp.client.events import Event, PongReceived, StatusChanged
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.timeline_bins import MAX_BINS, Bins, byte_length, width_for
from ddp_monitor.qt.timeline_model import MarkerKind, TimelineModel
from ddp_monitor.recording.format import Header, Recorded, RecordedFrame
from ddp_monitor.recording.recorder import Recorder, Recording, load
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.wiretap import Direction, Frame
from tests.sockets import reset
from tests.timeouts import TIMEOUT

C = ConnectionStatus


@pytest.mark.asyncio
async def test_a_session_binned_live_and_from_its_file_agree(
    ddp_server: str, tmp_path: Path
) -> None:
    """Frames per second, statuses, drops, reconnects, calls, subscriptions and round trips."""
    client = DDPClient(ddp_server)
    recorder = Recorder(ddp_server)
    recorder.attach(client)
    live = TimelineModel.from_recorder(recorder)  # empty yet: fed as the adaptor would
    frames: list[Frame] = []
    pongs: list[tuple[float, float]] = []

    def on_frame(frame: Frame) -> None:
        frames.append(frame)
        live.add_batch([frame], [], [])

    def on_event(event: Event) -> None:
        now = time.monotonic()
        live.add_batch([], [event], [now])
        if isinstance(event, PongReceived):
            pongs.append((now - recorder.origin, event.round_trip))

    client.wiretap.add(on_frame)
    client.add_listener(on_event)
    async with client:
        await client.wait_for_status(C.CONNECTED, timeout=TIMEOUT)
        handle = client.subscribe("items", 5)
        await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
        for _ in range(3):
            assert await asyncio.wait_for(client.call("add", 2, 3), TIMEOUT) == 5
        await asyncio.wait_for(client.ping(), TIMEOUT)
        dropped_after = time.monotonic() - recorder.origin
        reset(client)  # the network cuts the link: a drop, then a reconnect
        await client.wait_for_status(C.WAITING, timeout=TIMEOUT)
        await client.wait_for_status(C.CONNECTED, timeout=TIMEOUT * 3)
        assert await asyncio.wait_for(client.call("add", 1, 1), TIMEOUT) == 2
        path = tmp_path / "session.ddprec"
        recorder.save(path)
        # What the live model had when the file was made (closing adds frames).
        live_in, live_out = list(live.bins.msgs_in), list(live.bins.msgs_out)
        live_bytes = (sum(live.bins.bytes_in), sum(live.bins.bytes_out))
        wire = list(frames)
        live_spans = list(live.spans)

    from_file = TimelineModel.from_recording(load(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]

    # Traffic: every frame of the file in its second's bin, each way, live alike.
    assert from_file.width == live.width == 1.0
    for inbound, kind in ((True, "in"), (False, "out")):
        per_second = [0] * len(from_file.bins)
        for line in lines:
            if line["k"] == kind:
                per_second[int(line["t"])] += 1
        bins = from_file.bins
        assert (bins.msgs_in if inbound else bins.msgs_out) == per_second
        assert (live_in if inbound else live_out) == per_second
        assert sum(per_second) > 0
        # Live bytes are the wire's; the file's frames are JSON made again.
        sizes = [
            byte_length(f.data)
            for f in wire
            if (f.direction is Direction.IN) == inbound
        ]
        assert live_bytes[0 if inbound else 1] == sum(sizes)

    # The status band: the statuses in order, each span ending where the next starts.
    said = [line["status"] for line in lines if line["k"] == "status"]
    changes = [s for at, s in enumerate(said) if at == 0 or said[at - 1] != s]
    assert [span.status for span in live_spans] == changes
    for model in (live, from_file):
        assert [str(span.status) for span in model.spans][: len(changes)] == changes
        assert changes[0] == "connected"  # a client starts connecting: no change
        assert "waiting" in changes
        assert changes[-1] == "connected"
        for before, after in zip(model.spans, model.spans[1:], strict=False):
            assert before.end == after.start
    assert live_spans[-1].end is None
    assert from_file.spans[-1].end is None
    for model in (live, from_file):
        assert model.status_at(dropped_after) is C.CONNECTED

    # Markers: the calls and the subscription by name, one drop, one reconnect.
    for model in (live, from_file):
        kinds = [(m.kind, m.name) for m in model.markers]
        assert kinds.count((MarkerKind.CALL, "add")) == 4
        assert kinds.count((MarkerKind.SUBSCRIPTION, "items")) == 1
        drops = [m for m in model.markers if m.kind is MarkerKind.DROP]
        reconnects = [m for m in model.markers if m.kind is MarkerKind.RECONNECT]
        assert len(drops) == len(reconnects) == 1
        calls = [m.t for m in model.markers if m.kind is MarkerKind.CALL]
        assert calls[2] < drops[0].t < reconnects[0].t
        assert drops[0].t < calls[3]
        assert drops[0].t >= dropped_after - 1e-3
        moment = model.moment(drops[0].t)
        assert moment is not None
        assert drops[0] in moment.markers

    # Round trips: the ping's bin holds it, or a faster call's of the same second.
    (at, round_trip), *_ = pongs
    for model in (live, from_file):
        moment = model.moment(at)
        assert moment is not None
        assert moment.point.rtt is not None
        assert 0 < moment.point.rtt <= round_trip + 1e-6
    # Every bin's fastest of the pongs and the calls (method frame to result) in it.
    expected = [math.inf] * len(from_file.bins)
    sent: dict[str, float] = {}
    for line in lines:
        at, kind = int(line["t"]), line["k"]
        if kind == "pong":
            expected[at] = min(expected[at], line["round_trip"])
        elif kind == "method_sent":
            sent[line["id"]] = line["t"]
        elif kind == "method_result" and line["id"] in sent:
            expected[at] = min(expected[at], line["t"] - sent.pop(line["id"]))
    measured = [math.inf if math.isnan(r) else r for r in from_file.bins.rtt]
    assert measured == pytest.approx(expected, abs=2e-6)
    assert sum(r < math.inf for r in measured) >= 1


def test_bins_merge_in_pairs_when_time_runs_past_the_last() -> None:
    """At most ``max_bins``: the width doubles and every count is kept."""
    bins = Bins(max_bins=4)
    for t in (0.5, 1.5, 1.7, 3.2):
        bins.frame(t, True, 10)
    bins.round_trip(2.5, 0.030)
    bins.round_trip(3.5, 0.010)
    assert (bins.width, bins.msgs_in, bins.rtt[3]) == (1.0, [1, 2, 0, 1], 0.010)
    bins.frame(4.1, False, 7)  # bin 4 does not fit: pairs merge
    assert bins.width == 2.0
    assert bins.msgs_in == [3, 1, 0]
    assert bins.msgs_out == [0, 0, 1]
    assert bins.bytes_in == [30, 10, 0]
    assert bins.rtt[1] == 0.010
    assert math.isnan(bins.rtt[0])
    bins.frame(17.0, True, 1)  # far past: merges until it fits
    assert bins.width == 8.0
    assert len(bins) == 3
    assert sum(bins.msgs_in) == 5
    assert sum(bins.msgs_out) == 1
    point = bins.point(0)
    assert (point.t, point.msgs_in, point.bytes_in) == (0.0, 4 / 8, 40 / 8)


def test_points_keep_the_peaks_when_zoomed_out() -> None:
    bins = Bins()
    for t in range(100):
        for _ in range(50 if t == 42 else 1):
            bins.frame(t + 0.5, True, 1)
    series = bins.series(0, 100, 10, complete=100)
    assert series.msgs_in == [1, 1, 1, 1, 50, 1, 1, 1, 1, 1]
    assert series.t[4] == 45.0  # the middle of its ten bins
    live = bins.series(0, 100, 10, complete=40)  # live: whole bins only
    assert (len(live.t), live.t[-1]) == (10, 38.0)
    whole = bins.series(10, 20, 100, complete=100)  # fewer bins than points
    assert whole.t[:2] == [10.5, 11.5]
    assert whole.msgs_in == [1.0] * len(whole.t)


def test_a_long_recording_is_binned_at_the_width_its_length_needs() -> None:
    """Three hours of one frame a second: 4 s bins at once, nothing lost."""
    seconds = 3 * 3600
    items = [
        Recorded(float(t), RecordedFrame(t % 2 == 0, '{"msg":"ping"}'))
        for t in range(seconds)
    ]
    model = TimelineModel.from_recording(
        Recording(Header("ws://x", datetime.now(UTC)), items)
    )
    assert model.width == width_for(seconds) == 4.0
    assert len(model.bins) <= MAX_BINS
    assert sum(model.bins.msgs_in) + sum(model.bins.msgs_out) == seconds
    assert sum(model.bins.bytes_in) == 14 * seconds // 2
    assert model.end == seconds - 1


def test_a_live_model_stays_bounded() -> None:
    """Ten hours of live frames: never more than MAX_BINS bins; totals kept."""
    model = TimelineModel(origin=1000.0, clock=lambda: 1000.0 + 36_000)
    batch = [Frame(Direction.IN, 1000.0 + t * 10, "{}") for t in range(3600)]
    model.add_batch(batch, [], [])
    assert len(model.bins) <= MAX_BINS
    assert model.width == 16.0
    assert sum(model.bins.msgs_in) == 3600
    assert model.complete() == len(model.bins)


def test_a_batch_already_in_the_ring_is_not_counted_twice() -> None:
    """A page built after frames arrived: primed from the recorder, the adaptor's batch skipped."""
    recorder = Recorder("ws://x", clock=lambda: 50.0)
    first = Frame(Direction.OUT, 50.5, '{"msg":"connect"}')
    recorder.frame(first)
    recorder.event(StatusChanged(_status(C.CONNECTING)))
    model = TimelineModel.from_recorder(recorder)
    assert model.bins.msgs_out == [1]
    later = Frame(Direction.IN, 51.2, '{"msg":"connected","session":"s"}')
    model.add_batch([first, later], [], [])  # the adaptor's first batch holds both
    assert (model.bins.msgs_out, model.bins.msgs_in) == ([1, 0], [0, 1])
    assert [span.status for span in model.spans] == [C.CONNECTING]


def _status(kind: ConnectionStatus) -> Status:
    return Status(kind, kind is C.CONNECTED, 0, None, None)
