"""A connection recorded, saved and read back tells the same story (issue 16).

Real sockets: the client against Meteor 1.9.3 and against our demo server.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    MethodCompleted,
    StatusChanged,
    SubscriptionReady,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.recording.format import (
    FORMAT,
    KINDS,
    RecordedFrame,
    RecordingError,
    item_line,
    parse_item,
)
from ddp_monitor.recording.masking import MASK
from ddp_monitor.recording.recorder import Recorder, load, read
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT


def rebuilt_store(items: list[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The documents a reader rebuilds from the recorded document events."""
    docs: dict[str, dict[str, dict[str, Any]]] = {}
    for recorded in items:
        e = recorded.item
        if isinstance(e, DocumentAdded):
            docs.setdefault(e.collection, {})[e.id] = dict(e.fields)
        elif isinstance(e, DocumentChanged):
            doc = docs[e.collection][e.id]
            doc.update(e.fields)
            for key in e.cleared:
                doc.pop(key, None)
        elif isinstance(e, DocumentRemoved):
            del docs[e.collection][e.id]
    return {name: d for name, d in docs.items() if d}


def live_store(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        name: {i: dict(doc) for i, doc in store.collection(name).items()}
        for name in store.names()
    }


@pytest.mark.asyncio
async def test_a_saved_recording_reads_back_as_what_the_connection_did(
    ddp_server: str, tmp_path: Path
) -> None:
    client = DDPClient(ddp_server)
    recorder = Recorder(ddp_server, profile="test")
    recorder.attach(client)  # before start: the connect frame is in it
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        handle = client.subscribe("items", 5)
        await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
        assert await asyncio.wait_for(client.call("add", 2, 3), TIMEOUT) == 5
        with pytest.raises(MethodError):
            await asyncio.wait_for(client.call("fail"), TIMEOUT)
        handle.stop()
        handle = client.subscribe("items", 3)
        await asyncio.wait_for(handle.wait_ready(), TIMEOUT)
        expected = live_store(client.store)
        path = tmp_path / "session.ddprec"
        count = recorder.save(path)

    lines = path.read_text().splitlines()
    assert count == len(lines) - 1
    header = json.loads(lines[0])
    assert header["format"] == FORMAT
    assert header["connection"] == {"url": ddp_server, "profile": "test"}
    objects = [json.loads(line) for line in lines[1:]]
    # Frames are JSON objects (jq reads them), both ways, in order.
    sent = [o["frame"] for o in objects if o["k"] == "out"]
    assert sent[0]["msg"] == "connect"
    add = next(f for f in sent if f.get("method") == "add")
    assert add["params"] == [2, 3]
    assert all(o["k"] in KINDS for o in objects)
    times = [o["t"] for o in objects]
    assert times == sorted(times)

    recording = load(path)
    assert recording.header.url == ddp_server
    assert (
        rebuilt_store(recording.items)
        == expected
        == {"items": {f"i{k}": {"k": k, "text": f"item {k}"} for k in range(3)}}
    )
    completed = [r.item for r in recording.items if isinstance(r.item, MethodCompleted)]
    assert [c.result for c in completed] == [5, None]
    assert completed[1].error == MethodError(
        "boom", "Boom: requested failure", {"scenario": "fail"}
    )
    assert sum(isinstance(r.item, SubscriptionReady) for r in recording.items) == 2
    statuses = [
        r.item.status.status
        for r in recording.items
        if isinstance(r.item, StatusChanged)
    ]
    assert statuses[-1] == "connected"


@pytest.mark.asyncio
async def test_passwords_and_resume_tokens_never_reach_the_file(
    our_server: Any, tmp_path: Path
) -> None:
    async with DDPClient(str(our_server.url)) as client:
        recorder = Recorder(str(our_server.url))
        recorder.attach(client)
        result = await asyncio.wait_for(
            Accounts.of(client).login_with_password("demo", "demo"), TIMEOUT
        )
        path = tmp_path / "login.ddprec"
        recorder.save(path)
    text = path.read_text()
    assert result.token not in text
    assert '"digest"' not in text  # the whole password object is masked
    login_lines = [
        json.loads(line)
        for line in text.splitlines()[1:]
        if '"login"' in line or "token" in line
    ]
    masked = {p for o in login_lines for p in o.get("masked", [])}
    assert "params.0.password" in masked
    assert "result.token" in masked
    header = json.loads(text.splitlines()[0])
    assert header["masked"]["replacement"] == MASK


def test_a_span_is_saved_alone_and_the_header_says_which(tmp_path: Path) -> None:
    clock = iter([100.0, 101.0, 102.0, 103.0, 104.0]).__next__
    recorder = Recorder("ws://x/websocket", clock=clock)  # origin 100
    for _ in range(4):
        recorder.event(SubscriptionReady("s"))  # at 101, 102, 103, 104
    path = tmp_path / "span.ddprec"
    assert recorder.save(path, 1.5, 3.5) == 2
    recording = load(path)
    assert [r.t for r in recording.items] == [2.0, 3.0]
    assert recording.header.span == (1.5, 3.5)


def test_the_ring_keeps_the_last_items_and_counts_the_rest() -> None:
    recorder = Recorder("ws://x/websocket", limit=3)
    for n in range(5):
        recorder.event(SubscriptionReady(str(n)))
    assert [i.sub_id for _, i in recorder.items()] == ["2", "3", "4"]  # type: ignore[union-attr]
    assert recorder.dropped == 2
    assert recorder.header().dropped == 2


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ([], "the file is empty"),
        (["hello"], "line 1: not a recording: the first line is not JSON"),
        (
            ['{"export": "ddp-monitor message log"}'],
            "line 1: not a ddp-monitor recording",
        ),
        (
            [
                '{"format": "ddp-monitor recording", "version": 99, "started": "2026-01-01T00:00:00+00:00"}'
            ],
            "line 1: written in format version 99; this ddp-monitor reads up to 1",
        ),
        (
            [
                '{"format": "ddp-monitor recording", "version": 1, "started": "2026-01-01T00:00:00+00:00"}',
                '{"t": 1, "k": "in"',
            ],
            "line 2: not JSON",
        ),
        (
            [
                '{"format": "ddp-monitor recording", "version": 1, "started": "2026-01-01T00:00:00+00:00"}',
                '{"t": 1, "k": "sub_ready"}',
            ],
            "line 2: a 'sub_ready' line is incomplete",
        ),
    ],
)
def test_a_file_that_is_not_a_recording_is_refused_with_the_line_and_why(
    lines: list[str], why: str
) -> None:
    with pytest.raises(RecordingError) as error:
        read(lines)
    assert str(error.value).startswith(why)


def test_kinds_from_a_later_version_are_skipped_not_refused() -> None:
    recording = read(
        [
            '{"format": "ddp-monitor recording", "version": 1, "started": "2026-01-01T00:00:00+00:00"}',
            '{"t": 0.5, "k": "bookmark", "text": "from the future"}',
            '{"t": 1, "k": "in", "frame": {"msg": "ping"}}',
        ]
    )
    assert recording.skipped == 1
    assert recording.items[0].item == RecordedFrame(True, '{"msg":"ping"}')


def test_frames_that_are_not_json_and_binary_frames_survive() -> None:
    for data in ("not json {", b"\x00\xff"):
        frame = RecordedFrame(True, data)
        back = parse_item(json.loads(json.dumps(item_line(3.0, frame))))
        assert back is not None
        assert back.item == frame


def test_a_failed_save_leaves_neither_file_and_keeps_the_ring(tmp_path: Path) -> None:
    recorder = Recorder("ws://x/websocket")
    recorder.event(SubscriptionReady("s"))
    taken = tmp_path / "taken.ddprec"
    taken.mkdir()  # the name is a folder's: the file cannot be put there
    with pytest.raises(OSError):  # noqa: PT011 (the system's own: IsADirectoryError here)
        recorder.save(taken)
    assert not taken.with_name("taken.ddprec.part").exists()
    assert len(recorder) == 1
    assert recorder.save(tmp_path / "other.ddprec") == 1


def test_frames_read_back_as_written_whether_or_not_the_line_is_compact() -> None:
    """The reader takes a frame's text from the line when it can: the same text as re-encoding it."""
    frame = RecordedFrame(
        True, '{"msg":"added","collection":"c","id":"é","fields":{"a":[1,{"b":null}]}}'
    )
    written = json.dumps(
        item_line(1.5, frame), ensure_ascii=False, separators=(",", ":")
    )
    spaced = json.dumps(item_line(1.5, frame))  # as another tool might write it
    masked = item_line(
        1.5,
        RecordedFrame(
            False,
            '{"msg":"method","method":"login","params":[{"password":"x"}],"id":"1"}',
        ),
    )
    read_back = read(
        [
            '{"format": "ddp-monitor recording", "version": 1, "started": "2026-01-01T00:00:00+00:00"}',
            written,
            spaced,
            json.dumps(masked, separators=(",", ":")),
        ]
    )
    assert [r.item for r in read_back.items[:2]] == [frame, frame]
    assert read_back.items[2].item == RecordedFrame(
        False,
        '{"msg":"method","method":"login","params":[{"password":"***"}],"id":"1"}',
    )
    assert read_back.items[2].masked == ("params.0.password",)


@pytest.mark.parametrize(
    "message",
    [
        {"msg": "added", "collection": "c", "id": "x", "fields": {"name": "Zoë ☃ }"}},
        {"msg": "method", "method": "login", "id": "1", "params": [{"resume": "tok"}]},
    ],
)
def test_a_frame_read_back_is_the_frame_whether_its_line_is_taken_as_text_or_parsed(
    message: dict[str, Any],
) -> None:
    line = json.dumps(
        item_line(1.0, RecordedFrame(False, json.dumps(message))),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    fast = parse_item(json.loads(line), 2, line)
    slow = parse_item(json.loads(line), 2)
    assert fast is not None
    assert slow is not None
    assert fast.item == slow.item
    assert isinstance(fast.item, RecordedFrame)
    assert json.loads(fast.item.data)["msg"] == message["msg"]
    # A spaced line, as a person might write one, is read too.
    spaced = parse_item(json.loads(line), 2, json.dumps(json.loads(line)))
    assert spaced is not None
    assert spaced.item == slow.item
