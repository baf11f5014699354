"""One document's history from a real connection: each change, its frame, before and after (issue 16).

Real sockets: ``ticker`` on Meteor 1.9.3 and on our demo server; the task
list on ours, with a reconnect whose reconciliation no frame explains.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import (
    DocumentChanged,
    DocumentRemoved,
    Event,
    SubscriptionReady,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.recording.diff import LineKind, diff_lines
from ddp_monitor.recording.history import (
    NO_FRAME,
    RESET,
    DocumentChange,
    HistoryReader,
    document_history,
    pairs,
)
from ddp_monitor.recording.recorder import Recorder, load
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT


def _waiter(
    client: DDPClient, wanted: Callable[[Event], bool], count: int = 1
) -> asyncio.Event:
    """An asyncio.Event set once ``count`` events matching ``wanted`` came."""
    done = asyncio.Event()
    seen = [0]

    def listen(event: Event) -> None:
        if wanted(event):
            seen[0] += 1
            if seen[0] >= count:
                done.set()

    client.add_listener(listen)
    return done


def _frame(change: DocumentChange) -> dict[str, object]:
    assert change.frame is not None, change
    message = json.loads(change.frame)
    assert isinstance(message, dict)
    return message


@pytest.mark.asyncio
async def test_the_ticker_documents_every_change_with_its_frame(
    ddp_server: str, tmp_path: Path
) -> None:
    recorder = Recorder(ddp_server)
    client = DDPClient(ddp_server)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        ticks = _waiter(
            client, lambda e: isinstance(e, DocumentChanged) and e.id == "tick", 3
        )
        handle = client.subscribe("ticker", 40)
        await asyncio.wait_for(ticks.wait(), TIMEOUT)
        gone = _waiter(client, lambda e: isinstance(e, DocumentRemoved))
        handle.stop()  # the server takes its document back
        await asyncio.wait_for(gone.wait(), TIMEOUT)
        items = list(recorder.items())

    history = document_history(items, "ticker", "tick")
    changes = history.changes
    assert history.starts_at is None  # nothing was let go
    kinds = [c.kind for c in changes]
    assert kinds[0] == "added"
    assert kinds[-1] == "removed"
    assert set(kinds[1:-1]) == {"changed"}
    assert len(kinds) >= 5
    for change in changes:
        message = _frame(change)
        assert message["msg"] == change.kind
        assert (message["collection"], message["id"]) == ("ticker", "tick")
        assert change.frame_at is not None
        assert change.frame_at <= change.at
        assert change.whole
    assert changes[0].before is None
    assert changes[0].after is not None
    assert changes[0].after["n"] == 0
    for at, change in enumerate(changes[1:-1], 1):
        assert change.before == changes[at - 1].after
        assert change.fields.keys() == {"n", "at"}
        assert change.cleared == ()
        assert change.after == {**(change.before or {}), **change.fields}
        assert _frame(change)["fields"]["n"] == change.fields["n"]  # type: ignore[index]
        assert change.after["n"] == change.before["n"] + 1  # type: ignore[index]
    assert changes[-1].before == changes[-2].after
    assert changes[-1].after is None
    times = [c.at for c in changes]
    assert times == sorted(times)
    # The diff of a tick: n and at, old lines then new ones.
    diff = diff_lines(changes[1].before, changes[1].after)
    assert (LineKind.REMOVED, '  "n": 0,') in diff
    assert (LineKind.ADDED, '  "n": 1,') in diff
    assert diff[0] == (LineKind.SAME, "{")

    # Read back from a file, the history is the same.
    path = tmp_path / "ticker.ddprec"
    recorder.save(path)
    recording = load(path)
    again = document_history(pairs(recording.items), "ticker", "tick").changes
    assert [c.kind for c in again] == kinds
    assert [c.frame and json.loads(c.frame) for c in again] == [
        json.loads(c.frame or "") for c in changes
    ]
    assert [c.after and c.after["n"] for c in again] == [
        c.after and c.after["n"] for c in changes
    ]

    # A ring that let the add go: the history says where it starts, and the
    # values hold only the fields seen since.
    first_change = next(
        n for n, (_, item) in enumerate(items) if isinstance(item, DocumentChanged)
    )
    late = document_history(
        items[first_change:], "ticker", "tick", dropped=first_change
    )
    assert late.starts_at == items[first_change][0]
    assert late.changes[0].kind == "changed"
    assert not late.changes[0].whole
    assert late.changes[0].before == {}
    assert late.changes[0].after == late.changes[0].fields
    assert late.changes[-1].kind == "removed"


@pytest.mark.asyncio
async def test_a_task_s_history_names_its_frames_and_the_reconnect_that_removed_it() -> (
    None
):
    # No session resumption: the reconnect starts a new session, whose
    # documents the store reconciles with what it held.
    server = create_demo_server(host="127.0.0.1", port=0, disconnect_grace_period=0)
    await server.start()
    try:
        url = str(server.url)
        recorder = Recorder(url)
        client = DDPClient(url)
        recorder.attach(client)
        reader: HistoryReader | None = None
        async with client, DDPClient(url) as other:
            await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
            await asyncio.wait_for(client.subscribe("tasks").wait_ready(), TIMEOUT)
            task = await asyncio.wait_for(client.call("tasks.add", "buy milk"), TIMEOUT)
            assert await asyncio.wait_for(client.call("tasks.toggle", task), TIMEOUT)
            # The live view reads what it has, then only what is new.
            reader = HistoryReader("tasks", task)
            seen = len(recorder)
            assert [c.kind for c in reader.feed(recorder.items())] == [
                "added",
                "changed",
            ]
            client.disconnect()
            await client.wait_for_status(ConnectionStatus.OFFLINE, timeout=TIMEOUT)
            await asyncio.wait_for(other.call("tasks.remove", task), TIMEOUT)
            gone = _waiter(
                client, lambda e: isinstance(e, DocumentRemoved) and e.id == task
            )
            client.reconnect()
            await asyncio.wait_for(gone.wait(), TIMEOUT)
            new = reader.feed(list(recorder.items())[seen:])
    finally:
        await server.stop()

    assert [c.kind for c in new] == ["removed"]
    added, toggled, removed = reader.history.changes
    assert _frame(added)["msg"] == "added"
    assert added.after is not None
    assert added.after["title"] == "buy milk"
    assert added.after["done"] is False
    assert _frame(toggled)["msg"] == "changed"
    assert toggled.fields == {"done": True}
    assert toggled.touched == ("done",)
    assert toggled.before is not None
    assert toggled.before["done"] is False
    assert removed.frame is None
    assert removed.why_no_frame == RESET
    assert removed.before == toggled.after
    assert removed.after is None


@pytest.mark.asyncio
async def test_a_stub_s_write_has_no_frame_and_says_so(our_server: Any) -> None:
    """A client stub flips ``done`` before the server does: that change names no frame."""
    url = str(our_server.url)
    recorder = Recorder(url)
    client = DDPClient(url)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        await asyncio.wait_for(client.subscribe("tasks").wait_ready(), TIMEOUT)
        task = await asyncio.wait_for(client.call("tasks.add", "stubbed"), TIMEOUT)

        def toggle(this: Any, id_: str) -> None:
            this.collection("tasks").update(id_, {"done": True})

        client.methods({"tasks.toggle": toggle})
        # The callback runs once `updated` came: the server's write has landed.
        assert await asyncio.wait_for(client.call("tasks.toggle", task), TIMEOUT)
        history = document_history(recorder.items(), "tasks", task)

    added, stubbed = history.changes  # the server's equal write changed nothing
    assert _frame(added)["msg"] == "added"
    assert stubbed.kind == "changed"
    assert stubbed.fields == {"done": True}
    assert stubbed.frame is None
    assert stubbed.why_no_frame == NO_FRAME


def test_a_reader_s_place_in_the_ring_stays_put_as_the_ring_lets_items_go() -> None:
    """``total`` and ``since``: what a History that follows reads after each flush."""
    recorder = Recorder("ws://x/websocket", limit=3)
    for n in range(2):
        recorder.event(SubscriptionReady(str(n)))
    place = recorder.total
    for n in range(2, 6):
        recorder.event(SubscriptionReady(str(n)))
    # 2..5 came since; the ring kept 3..5 (2 was let go before it was read).
    assert [item.sub_id for _, item in recorder.since(place)] == ["3", "4", "5"]  # type: ignore[union-attr]
    assert (recorder.total, recorder.dropped) == (6, 3)
    assert recorder.since(recorder.total) == []
