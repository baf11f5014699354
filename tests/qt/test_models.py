"""The item models: consistent for Qt's views (qtmodeltester) and right about what they show.

Models are fed the same values the adaptor hands them in a batch: real
``Frame``, real core events, and a real ``ddp.client.store.Store``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

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
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.errors import MethodError, SubscriptionError
from ddp_monitor.qt.collection_model import (
    CollectionListModel,
    DocumentTableModel,
    DocumentTreeModel,
)
from ddp_monitor.qt.message_log_model import LogEvent, MessageLogModel, frame_kind
from ddp_monitor.qt.method_model import MethodQueueModel, MethodState, timing_notes
from ddp_monitor.qt.subscription_model import (
    DOCS_COLUMN,
    SubscriptionModel,
    SubscriptionState,
)
from ddp_monitor.transport.wiretap import Direction, Frame


def _frames(n: int, start: float = 100.0) -> list[Frame]:
    return [
        Frame(
            Direction.IN if k % 2 else Direction.OUT,
            start + k / 1000,
            json.dumps({"msg": "added" if k % 2 else "ping", "id": f"d{k}"}),
        )
        for k in range(n)
    ]


def test_message_log_model_is_consistent(qtmodeltester: Any) -> None:
    """The message log passes Qt's model checks while frames arrive."""
    model = MessageLogModel(limit=50)
    model.append(_frames(30))
    qtmodeltester.check(model)
    model.append(_frames(40, start=200.0))
    qtmodeltester.check(model)


def test_message_log_drops_the_oldest_frames_and_counts_them() -> None:
    """Past the limit the oldest frames go and the dropped counter says how many."""
    model = MessageLogModel(limit=100)
    model.append(_frames(80))
    model.append(_frames(70, start=200.0))
    assert model.total == 100
    assert model.rowCount() == 100
    assert model.dropped == 50
    assert model.entry(0).frame.time == pytest.approx(100.050)  # the 51st of 150


@pytest.mark.parametrize("events", [3, 200])  # put in place one by one, or merged
def test_message_log_puts_events_among_frames_in_time_order(events: int) -> None:
    """Events land after the frames of their time and before later ones, in their order."""
    frames = [
        Frame(Direction.IN, n // 2, f'{{"msg":"ping","id":"{n}"}}') for n in range(400)
    ]
    happened = [LogEvent(n * 199 / events, "status", {"n": n}) for n in range(events)]
    model = MessageLogModel()
    model.append(frames, happened)
    rows = [model.entry(r) for r in range(model.rowCount())]
    expected = sorted(
        [(f.time, 0, f.data) for f in frames]
        + [(e.time, 1, json.dumps(e.fields)) for e in happened],
        key=lambda row: row[:2],  # a frame first on a tie; each kind in its order
    )
    assert [(r.frame.time, int(r.event), r.frame.data) for r in rows] == expected
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))


def test_message_log_filters_by_type_and_text() -> None:
    """Filters by message type and by text narrow the rows; clearing them restores all."""
    model = MessageLogModel()
    model.append(_frames(10))
    model.set_filter({"ping"})
    assert {model.entry(r).kind for r in range(model.rowCount())} == {"ping"}
    model.set_filter(None, '"D3"')  # any case
    assert [str(model.entry(r).frame.data) for r in range(model.rowCount())] == [
        '{"msg": "added", "id": "d3"}'
    ]
    model.set_filter(None, "")
    assert model.rowCount() == 10


def test_message_log_pause_holds_new_frames_until_resumed() -> None:
    """While paused the rows stay still; on resume the held frames appear."""
    model = MessageLogModel()
    model.append(_frames(5))
    model.set_paused(True)
    model.append(_frames(3, start=200.0))
    assert model.rowCount() == 5
    assert model.held == 3
    model.set_paused(False)
    assert model.rowCount() == 8
    model.clear()
    assert (model.rowCount(), model.total, model.dropped) == (0, 0, 0)


def test_message_log_exports_json_lines(tmp_path: Path) -> None:
    """Export says what it holds, then one JSON object per shown row: frames as objects, events in time order."""
    model = MessageLogModel()
    frames = _frames(4)
    lost = LogEvent(100.0015, "lost", {"reason": "connection refused"})
    model.append(frames, [lost])
    model.append([Frame(Direction.IN, 100.01, "not json")])
    model.set_filter(None, "", hidden={"ping"})
    path = tmp_path / "log.jsonl"
    assert model.export(path) == 4
    header, *lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert header["rows"] == "shown"
    assert (header["count"], header["kept"]) == (4, 6)
    assert header["filter"]["hidden"] == ["ping"]
    assert lines[0]["frame"] == json.loads(frames[1].data)  # an object, not a string
    assert lines[1] == {**lines[1], "event": "lost", "reason": "connection refused"}
    assert lines[2]["frame"] == json.loads(frames[3].data)
    assert lines[3]["text"] == "not json"
    assert [line.get("direction") for line in lines] == ["in", None, "in", "in"]
    assert all(line["time"].endswith("+00:00") for line in lines)
    assert model.export(path, shown=False) == 6
    header = json.loads(path.read_text().splitlines()[0])
    assert (header["rows"], header["count"]) == ("all kept", 6)


def test_a_method_frame_finds_its_answers() -> None:
    """Selecting a call's frame can show its result and updated, whatever came between."""
    model = MessageLogModel()
    texts = [
        (Direction.OUT, '{"msg":"method","id":"7","method":"add","params":[1,2]}'),
        (Direction.OUT, '{"msg":"method","id":"8","method":"add","params":[3]}'),
        (Direction.IN, '{"msg":"result","id":"8","result":3}'),
        (Direction.IN, '{"msg":"updated","methods":["7","8"]}'),
        (Direction.IN, '{"msg":"result","id":"7","result":3}'),
    ]
    model.append([Frame(d, 1.0 + n, t) for n, (d, t) in enumerate(texts)])
    answers = model.answers(model.entry(0))
    assert [a.frame.data for a in answers] == [texts[3][1], texts[4][1]]
    assert model.answers(model.entry(2)) == []  # only a method has answers


def test_frame_kind_reads_any_frame() -> None:
    """The type column names the msg, server_id, or says the frame is invalid or binary."""
    assert frame_kind('{"msg":"added","collection":"c"}') == "added"
    assert frame_kind('{"id":"1","msg":"result"}') == "result"
    assert frame_kind('{"server_id":"0"}') == "server_id"
    assert frame_kind("not json") == "invalid"
    assert frame_kind(b"\x00\x01") == "binary"


def _method_events() -> list[Any]:
    return [
        MethodCalled("1", "add", [1, 2]),
        MethodCalled("2", "fail", []),
        StatusChanged(Status(ConnectionStatus.CONNECTED, connected=True)),
        MethodSent("1", "add", [1, 2]),
        MethodSent("2", "fail", []),
        MethodResultReceived("1", 3, None),
        MethodCompleted("1", 3, None),
        MethodResultReceived("2", None, MethodError("boom", "Boom: requested failure")),
        MethodCompleted("2", None, MethodError("boom", "Boom: requested failure")),
    ]


def test_method_queue_follows_a_call_from_queued_to_done(qtmodeltester: Any) -> None:
    """Calls made offline are queued, then sent, then done with a result or failed with the error."""
    model = MethodQueueModel()
    events = _method_events()
    model.apply_events(events[:2], [1.0, 1.1])
    assert model.queued == 2
    assert model.record(0).state is MethodState.QUEUED
    model.apply_events(events[2:], [2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6])
    qtmodeltester.check(model)
    assert model.queued == 0
    assert model.record(0).state is MethodState.UPDATED
    assert model.data(model.index(0, 6)) == "3"
    assert model.data(model.index(0, 5)) == "300.0 ms"
    assert model.record(1).state is MethodState.FAILED
    assert model.data(model.index(1, 6)) == "Boom: requested failure [boom]"


def test_method_queue_requeues_sent_calls_when_the_connection_drops() -> None:
    """A sent call without a result goes back to queued when the link drops (Meteor re-sends it)."""
    model = MethodQueueModel()
    model.apply_events(
        [
            MethodCalled("1", "slow", [500]),
            MethodSent("1", "slow", [500]),
            StatusChanged(Status(ConnectionStatus.WAITING, False, 1, retry_time=5.0)),
        ]
    )
    assert model.record(0).state is MethodState.QUEUED


def test_method_queue_shows_a_call_behind_a_wait_call_queued_until_it_goes_out() -> (
    None
):
    """A call the core holds back (a wait call is in flight) is not shown as sent."""
    model = MethodQueueModel()
    model.apply_events(
        [
            MethodCalled("1", "login", [{}]),
            MethodSent("1", "login", [{}]),
            MethodCalled("2", "tasks.add", ["x"]),
        ]
    )
    assert [model.record(k).state for k in (0, 1)] == [
        MethodState.SENT,
        MethodState.QUEUED,
    ]
    model.apply_events([MethodSent("2", "tasks.add", ["x"])])
    assert model.record(1).state is MethodState.SENT


def test_subscription_model_counts_documents_until_ready(qtmodeltester: Any) -> None:
    """A subscription shows its documents arriving and its time to ready."""
    store = Store()
    events: list[Event] = []
    model = SubscriptionModel()
    model.apply_events([SubscriptionRequested("s1", "items", [3])], [10.0])
    store._emit = events.append
    for k in range(3):
        store.added("items", f"i{k}", {"k": k})
    model.apply_events([*events, SubscriptionReady("s1")], [10.1, 10.2, 10.3, 10.25])
    qtmodeltester.check(model)
    record = model.record(0)
    assert record.state is SubscriptionState.READY
    assert record.documents == 3
    assert model.data(model.index(0, 4)) == "250.0 ms"


def test_collection_models_show_counts_documents_and_fields(qtmodeltester: Any) -> None:
    """Collections list their counts; the document table and tree show a collection and a document."""
    events: list[Event] = []
    store = Store(events.append)
    for k in range(5):
        store.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
    store.added("tasks", "t1", {"title": "milk", "tags": ["a", "b"], "meta": {"x": 1}})
    collections = CollectionListModel(store)
    documents = DocumentTableModel(store)
    collections.apply_events(events)
    documents.set_collection("items")
    qtmodeltester.check(collections)
    qtmodeltester.check(documents)
    assert [collections.name(r) for r in range(collections.rowCount())] == [
        "items",
        "tasks",
    ]
    assert collections.data(collections.index(0, 1)) == "5"
    assert documents.rowCount() == 5
    assert documents.fields() == ["k", "text"]
    events.clear()
    store.changed("items", "i2", {"text": "changed"}, [])
    store.removed("items", "i0")
    store.added("items", "i9", {"k": 9, "text": "item 9", "extra": True})
    documents.apply_events(events)
    qtmodeltester.check(documents)
    assert documents.rowCount() == 5
    assert documents.fields() == ["k", "text", "extra"]
    row = documents.row_of("i2")
    assert row is not None
    assert documents.data(documents.index(row, 2)) == "changed"
    assert (
        documents.data(documents.index(row, 2), Qt.ItemDataRole.BackgroundRole)
        is not None
    )
    assert (
        documents.data(documents.index(row, 1), Qt.ItemDataRole.BackgroundRole) is None
    )
    tree = DocumentTreeModel()
    tree.show_document("t1", store.get("tasks", "t1"))
    qtmodeltester.check(tree)
    assert tree.rowCount() == 4
    assert tree.item(2, 1).text() == "[2 items]"


def test_failed_subscription_claims_none_of_the_documents_that_arrived_meanwhile() -> (
    None
):
    """A publication that errors while another fills shows 0 documents, not the other's."""
    store = Store()
    events: list[Event] = []
    model = SubscriptionModel()
    model.apply_events(
        [
            SubscriptionRequested("s1", "items", [2]),
            SubscriptionRequested("s2", "nosuch", []),
        ],
        [1.0, 1.0],
    )
    store._emit = events.append
    store.added("items", "i0", {"k": 0})
    store.added("items", "i1", {"k": 1})
    failed = SubscriptionStopped(
        "s2", SubscriptionError(404, "Subscription 'nosuch' not found")
    )
    model.apply_events([*events, failed, SubscriptionReady("s1")], [1.1, 1.1, 1.2, 1.2])
    assert model.record(0).documents == 2
    assert model.record(1).state is SubscriptionState.ERROR
    assert model.record(1).documents == 0
    assert model.data(model.index(1, 3)) == "error: Subscription 'nosuch' not found"


def test_timing_notes_say_which_meteor_rule_held_a_call() -> None:
    """Behind a slow call of the same client; a callback waiting for updated; re-sent after a drop."""
    model = MethodQueueModel()
    connected = StatusChanged(Status(ConnectionStatus.CONNECTED, connected=True))
    lost = StatusChanged(Status(ConnectionStatus.WAITING, connected=False))
    events = [
        MethodCalled("1", "slow", [500]),
        MethodSent("1", "slow", [500]),
        MethodCalled("2", "echo", [1], no_retry=True),
        MethodSent("2", "echo", [1]),
        MethodResultReceived("1", None, None),
        MethodCompleted("1", None, None),
        MethodResultReceived("2", 1, None),
        MethodCompleted("2", 1, None),
        MethodCalled("3", "add", [1, 2]),
        MethodSent("3", "add", [1, 2]),
        lost,
        connected,
        MethodSent("3", "add", [1, 2]),
        MethodResultReceived("3", 3, None),
    ]
    times = [0.0, 0.0, 0.1, 0.1, 0.5, 0.5, 0.5, 0.8, 1.0, 1.0, 1.1, 1.2, 1.2, 1.3]
    model.apply_events(events, times)
    names = {r.method_id: r.name for r in model.rows()}
    echo, add = model.row("2"), model.row("3")
    assert echo is not None
    assert add is not None
    notes = " ".join(timing_notes(echo, names))
    assert "Sent while call 1 ('slow') had no result" in notes
    assert "noRetry" in notes
    assert "The callback came 300 ms after the result" in notes
    notes = " ".join(timing_notes(add, names))
    assert "queued, then sent again at the reconnect" in notes
    assert "The result is in; Meteor calls back once `updated`" in notes


def test_subscription_docs_are_counted_only_when_they_can_be_known() -> None:
    """Two subscriptions waiting at once get no count, only their collections; one alone gets its own."""
    store_events: list[Event] = []
    store = Store(store_events.append)
    model = SubscriptionModel()
    model.apply_events(
        [
            SubscriptionRequested("a", "tasks", []),
            SubscriptionRequested("b", "items", [2]),
        ]
    )
    store.added("tasks", "t1", {})
    store.added("items", "i1", {})
    store.added("items", "i2", {})
    model.apply_events([*store_events, SubscriptionReady("a"), SubscriptionReady("b")])
    store_events.clear()
    model.apply_events([SubscriptionRequested("c", "items", [50000])])
    for k in range(3, 8):
        store.added("items", f"i{k}", {})
    model.apply_events([*store_events, SubscriptionReady("c")])
    model.apply_events([SubscriptionStopped("b", None)])

    def cells(row: int) -> tuple[str, str]:
        return (
            model.data(model.index(row, DOCS_COLUMN)),
            model.data(model.index(row, DOCS_COLUMN + 1)),
        )

    assert cells(0) == ("?", "items, tasks")
    assert "no count is shown" in model.data(
        model.index(0, DOCS_COLUMN), Qt.ItemDataRole.ToolTipRole
    )
    assert cells(1) == ("", "items, tasks")  # stopped: its count says nothing now
    assert cells(2) == ("5", "items")


def test_subscription_made_offline_is_timed_from_its_send_and_not_live_offline() -> (
    None
):
    """Made while offline, its time to ready starts at the reconnect; offline again, ready is not live."""
    model = SubscriptionModel()
    online = StatusChanged(Status(ConnectionStatus.CONNECTED, connected=True))
    offline = StatusChanged(Status(ConnectionStatus.OFFLINE, connected=False))
    model.apply_events(
        [online, offline, SubscriptionRequested("s", "items", []), online],
        [0.0, 1.0, 2.0, 7.0],
    )
    model.apply_events([SubscriptionReady("s")], [7.1])
    assert model.data(model.index(0, 4)) == "100.0 ms"
    assert model.data(model.index(0, 3)) == "ready"
    model.apply_events([offline], [8.0])
    assert model.data(model.index(0, 3)) == "ready (offline: not live)"
