"""A recording's cursor shows the state of that moment, across checkpoints (issue 16).

The recording is made by the real parts: a ``Store`` whose writes emit the
document events into a ``Recorder`` (its clock stepped by the test), calls
and subscriptions as the core's event values, saved by ``Recorder.save``.
While it is made, the live state (the store's documents, the calls and
subscriptions as their models follow them) is noted at chosen moments;
``RecordingAdaptor.seek`` to each moment must give the same.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    Event,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
    StatusChanged,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.method_model import MethodQueueModel
from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
from ddp_monitor.qt.recording_state import CHECKPOINT, Rewind
from ddp_monitor.qt.subscription_model import SubscriptionModel
from ddp_monitor.recording.format import RecordingError
from ddp_monitor.recording.recorder import Recorder, read_header
from tests.timeouts import TIMEOUT

C = ConnectionStatus


def _documents(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        name: {i: dict(d) for i, d in store.collection(name).items()}
        for name in store.names()
    }


def _calls(model: MethodQueueModel) -> list[tuple[Any, ...]]:
    return [
        (r.method_id, r.name, r.state, r.sends, r.result, r.error) for r in model.rows()
    ]


def _subs(model: SubscriptionModel) -> list[tuple[Any, ...]]:
    return [
        (r.sub_id, r.state, r.documents, r.alone, sorted(r.collections), r.live)
        for r in model.rows()
    ]


class _Connection:
    """What a client does, told to a recorder and to live models at once."""

    def __init__(self) -> None:
        self.now = 100.0
        self.recorder = Recorder("ws://x/websocket", clock=lambda: self.now)
        self.store = Store(self.happened)
        self.methods = MethodQueueModel()
        self.subscriptions = SubscriptionModel()
        self._batch: list[Event] = []

    def happened(self, event: Event) -> None:
        self.now += 0.001
        self.recorder.event(event)
        self._batch.append(event)

    def state(self) -> tuple[float, dict[str, Any]]:
        """The moment (seconds since the start) and everything live then."""
        batch, self._batch = self._batch, []
        times = [self.now] * len(batch)
        self.methods.apply_events(batch, times)
        self.subscriptions.apply_events(batch, times)
        return self.now - self.recorder.origin, {
            "documents": _documents(self.store),
            "calls": _calls(self.methods),
            "subscriptions": _subs(self.subscriptions),
        }


def _shown(rewind: Rewind) -> dict[str, Any]:
    methods, subscriptions = MethodQueueModel(), SubscriptionModel()
    methods.replay(rewind.events, rewind.times, rewind.methods)
    subscriptions.replay(rewind.events, rewind.times, rewind.subscriptions)
    return {
        "documents": _documents(rewind.store),
        "calls": _calls(methods),
        "subscriptions": _subs(subscriptions),
    }


def _record(path: Path) -> list[tuple[float, dict[str, Any]]]:
    """About 3.5 checkpoints of items; the live state at 9 moments."""
    rng = random.Random(16)
    live = _Connection()
    moments = [live.state()]
    live.happened(StatusChanged(Status(C.CONNECTED, True, 0)))
    call = sub = 0
    ids: list[str] = []
    while len(live.recorder) < CHECKPOINT * 3.5:
        roll = rng.random()
        if roll < 0.01:
            call += 1
            method_id = str(call)
            live.happened(MethodCalled(method_id, "add", [call]))
            live.happened(MethodSent(method_id, "add", [call]))
            if call % 7:  # some stay unanswered, to be sent again
                live.happened(MethodResultReceived(method_id, call, None))
                live.happened(MethodCompleted(method_id, call, None))
        elif roll < 0.012:
            sub += 1
            live.happened(SubscriptionRequested(f"s{sub}", "items", [sub]))
        elif roll < 0.014 and sub:
            live.happened(SubscriptionReady(f"s{sub}"))
        elif roll < 0.0145 and sub > 1:
            live.happened(SubscriptionStopped(f"s{sub - 1}", None))
        elif roll < 0.015:  # a drop and a reconnect
            live.happened(TransportLost("socket closed", False))
            live.happened(StatusChanged(Status(C.WAITING, False, 1, live.now + 1)))
            live.happened(StatusChanged(Status(C.CONNECTED, True, 0)))
        elif roll < 0.3 or not ids:
            doc_id = f"d{len(live.recorder)}"
            live.store.added("items", doc_id, {"n": 0, "text": doc_id})
            ids.append(doc_id)
        elif roll < 0.35:
            live.store.removed("items", ids.pop(rng.randrange(len(ids))))
        else:
            live.store.changed("items", rng.choice(ids), {"n": rng.random()}, [])
        if len(live.recorder) % (CHECKPOINT * 4 // 10) == 0:
            moments.append(live.state())
    moments.append(live.state())
    live.recorder.save(path)
    return moments


def test_seek_shows_every_moment_as_it_was_across_checkpoints(
    qapp: Any, tmp_path: Path
) -> None:
    path = tmp_path / "long.ddprec"
    moments = _record(path)
    adaptor = RecordingAdaptor(path)
    shown: list[Rewind] = []
    adaptor.rewound.connect(shown.append)
    adaptor.load_all()
    assert len(adaptor) > CHECKPOINT * 3
    assert len(moments) == 10
    for at, state in reversed(moments):  # backwards too: nothing carries over
        adaptor.seek(at)
        assert _shown(shown[-1]) == state
        assert adaptor.cursor == at
    # The moments are worth comparing: calls done and waiting, documents,
    # subscriptions ready, waiting and stopped.
    end = moments[-1][1]
    assert len({call[2] for call in end["calls"]}) >= 2
    assert len({sub[1] for sub in end["subscriptions"]}) == 3
    assert len(end["documents"]["items"]) > 1000


def test_status_session_and_retry_follow_the_cursor(qapp: Any, tmp_path: Path) -> None:
    live = _Connection()
    live.happened(StatusChanged(Status(C.CONNECTED, True, 0)))
    up = live.state()[0]
    live.happened(TransportLost("socket closed", False))
    retry = live.now + 2.5
    live.happened(StatusChanged(Status(C.WAITING, False, 1, retry)))
    waiting = live.state()[0]
    path = tmp_path / "drop.ddprec"
    live.recorder.save(path)
    adaptor = RecordingAdaptor(path)
    adaptor.load_all()
    adaptor.seek(up)
    assert adaptor.status.status is C.CONNECTED
    assert adaptor.connected_since is not None
    adaptor.seek(waiting)
    status = adaptor.status
    assert status.status is C.WAITING
    assert adaptor.connected_since is None
    assert status.retry_time is not None
    # Retry time and cursor on one clock: the countdown reads 2.5 s less a step.
    assert abs((status.retry_time - adaptor.now()) - 2.5) < 0.01
    adaptor.seek(-1.0)
    assert adaptor.status.status is C.CONNECTING  # before anything happened


def test_a_saved_span_of_a_recording_reads_back_as_that_span(
    qapp: Any, tmp_path: Path
) -> None:
    live = _Connection()
    for n in range(10):
        live.store.added("items", f"d{n}", {"n": n})
    path = tmp_path / "all.ddprec"
    live.recorder.save(path)
    adaptor = RecordingAdaptor(path)
    adaptor.load_all()
    part = tmp_path / "part.ddprec"
    assert adaptor.save_recording(part, 0.0025, 0.0065) == 4
    lines = [json.loads(line) for line in part.read_text().splitlines()]
    assert lines[0]["span"] == [0.0025, 0.0065]
    assert [line["id"] for line in lines[1:]] == ["d2", "d3", "d4", "d5"]


def test_a_header_is_checked_alone(tmp_path: Path) -> None:
    path = tmp_path / "x.ddprec"
    path.write_text("\n" + json.dumps({"format": "something else"}) + "\n")
    with pytest.raises(RecordingError) as error:
        read_header(path)
    assert str(error.value) == (
        "line 2: not a ddp-monitor recording (its first line names no such format)"
    )


def test_the_bar_says_what_the_ring_had_let_go(qapp: Any, tmp_path: Path) -> None:
    recorder = Recorder("ws://x/websocket", limit=3)
    for n in range(5):
        recorder.event(SubscriptionReady(str(n)))
    path = tmp_path / "ring.ddprec"
    recorder.save(path)
    adaptor = RecordingAdaptor(path)
    assert adaptor.describe().endswith(
        "0 events so far (0 % read) (the 2 before them not kept) (read-only)"
    )
    adaptor.load_all()
    words = adaptor.describe()
    assert words.startswith("Recording of ws://x/websocket \u00b7 started ")
    assert words.endswith(" \u00b7 3 events (the 2 before them not kept) (read-only)")


def test_a_cursor_moved_while_loading_stays_where_it_was_put(
    qtbot: Any, tmp_path: Path
) -> None:
    """Reading goes on in slices between Qt's events; a seek meanwhile is not undone by the end."""
    path = tmp_path / "long.ddprec"
    moments = _record(path)
    adaptor = RecordingAdaptor(path)
    progress: list[tuple[int, int]] = []
    adaptor.progress.connect(lambda done, size: progress.append((done, size)))
    adaptor.start()
    assert not adaptor.done  # nothing is read before the window's next events
    at, state = moments[1]
    qtbot.waitUntil(
        lambda: len(adaptor) > 0 and adaptor.duration > at, timeout=TIMEOUT * 1000
    )
    adaptor.seek(at)
    with qtbot.waitSignal(adaptor.loaded, timeout=TIMEOUT * 1000):
        pass
    assert adaptor.cursor == at
    assert adaptor.current is not None
    assert _shown(adaptor.current) == state
    assert len(progress) > 1  # it took several slices
    assert progress[-1][0] == progress[-1][1] == path.stat().st_size
