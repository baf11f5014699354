"""``ddp-monitor watch`` as a subprocess: JSON lines a script can rely on, clean exits."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.ddp.client.events import DocumentAdded, MethodCompleted, StatusChanged
from ddp_monitor.recording.format import RecordedFrame
from ddp_monitor.recording.recorder import load
from tests.cli.watch_process import Watch
from tests.peers.meteor_server import MeteorServer, free_port
from tests.timeouts import TIMEOUT


@pytest.mark.meteor
@pytest.mark.asyncio
async def test_watch_reports_status_subscriptions_and_calls(
    meteor_server: MeteorServer,
) -> None:
    """Against Meteor: status lines in Meteor.status() shape, ready counts, call results; Ctrl-C exits 0."""
    watch = await Watch.start(
        meteor_server.http_url,
        "--frames",
        "--subscribe",
        "items",
        "[25]",
        "--call",
        "add",
        "[1, 2]",
        "--call",
        "fail",
        "--no-retry",
    )
    try:
        first = await watch.until(lambda line: line["event"] == "status")
        assert first.keys() == {"event", "status", "connected", "retryCount", "t"}
        assert (first["status"], first["connected"], first["retryCount"]) == (
            "connecting",
            False,
            0,
        )

        def seen(event: str, key: str, value: Any) -> bool:
            return any(x["event"] == event and x.get(key) == value for x in watch.lines)

        await watch.until(
            lambda _: (
                seen("ready", "name", "items")
                and seen("result", "method", "add")
                and seen("result", "method", "fail")
            )
        )
        connected = [x for x in watch.lines if x.get("status") == "connected"]
        assert connected[0]["connected"] is True
        ready = next(x for x in watch.lines if x["event"] == "ready")
        assert ready["params"] == [25]
        assert ready["collections"] == {"items": 25}
        results = {x["method"]: x for x in watch.lines if x["event"] == "result"}
        assert results["add"]["result"] == 3
        assert results["fail"]["error"] == {
            "error": "boom",
            "reason": "Boom: requested failure",
            "details": {"scenario": "fail"},
        }
        frames = [x for x in watch.lines if x["event"] == "frame"]
        assert frames[0]["direction"] == "out"
        assert json.loads(frames[0]["text"])["msg"] == "connect"
        assert any(f["direction"] == "in" for f in frames)
        times = [x["t"] for x in watch.lines]
        assert all(isinstance(t, float) for t in times)
    finally:
        code = await watch.interrupt()
    assert code == 0


@pytest.mark.asyncio
async def test_watch_shows_waiting_with_retry_time_in_epoch_ms() -> None:
    """A refused connection prints waiting lines with retryTime, as Meteor.status() has it."""
    watch = await Watch.start(f"127.0.0.1:{free_port()}")
    try:
        waiting = await watch.until(lambda line: line.get("status") == "waiting")
        assert waiting.keys() == {
            "event",
            "status",
            "connected",
            "retryCount",
            "retryTime",
            "t",
        }
        # Meteor's first retry comes 10 ms after the loss.
        assert waiting["retryTime"] - waiting["t"] == pytest.approx(10, abs=5)
        lost = [x for x in watch.lines if x["event"] == "lost"]
        assert lost
        assert lost[0]["reason"].startswith("connection refused")
    finally:
        code = await watch.interrupt()
    assert code == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.com"], "invalid DDP server URL"),
        (["ws://127.0.0.1:99999"], "invalid DDP server URL"),
        (["localhost:3000", "--call", "add", "[1,"], "not JSON"),
        (["localhost:3000", "--call", "add", "1"], "must be a JSON array"),
        (["localhost:3000", "--no-retry"], "must follow a --call"),
    ],
)
async def test_watch_refuses_unusable_input_with_a_message(
    args: list[str], message: str
) -> None:
    """A bad URL or bad call parameters: non-zero exit and a message on stderr, no hang."""
    watch = await Watch.start(*args)
    async with asyncio.timeout(TIMEOUT):
        out, err = await watch.process.communicate()
    assert watch.process.returncode == 2
    assert message in err.decode()
    assert out == b""


@pytest.mark.meteor
@pytest.mark.asyncio
async def test_watch_record_writes_a_recording_that_reads_back(
    meteor_server: MeteorServer, tmp_path: Path
) -> None:
    """``--record FILE``: the whole session, headless, in the recording format (issue 16)."""
    path = tmp_path / "session.ddprec"
    watch = await Watch.start(
        meteor_server.http_url,
        "--subscribe",
        "items",
        "[3]",
        "--call",
        "add",
        "[1, 2]",
        "--record",
        str(path),
    )
    try:
        await watch.until(
            lambda _: {"result", "ready"} <= {x["event"] for x in watch.lines}
        )
    finally:
        assert await watch.interrupt() == 0
    recording = load(path)
    assert recording.header.url == meteor_server.url
    frames = [r.item for r in recording.items if isinstance(r.item, RecordedFrame)]
    assert json.loads(frames[0].data)["msg"] == "connect"  # from the first frame on
    completed = [r.item for r in recording.items if isinstance(r.item, MethodCompleted)]
    assert [c.result for c in completed] == [3]
    added = [r.item.id for r in recording.items if isinstance(r.item, DocumentAdded)]
    assert added == ["i0", "i1", "i2"]
    # Ctrl-C closes the connection: the file ends with the final status.
    last = recording.items[-1].item
    assert isinstance(last, StatusChanged)
    assert last.status.status == "failed"


@pytest.mark.asyncio
async def test_watch_record_into_a_folder_that_does_not_exist_is_refused(
    tmp_path: Path,
) -> None:
    watch = await Watch.start(
        "localhost:3000", "--record", str(tmp_path / "no" / "x.ddprec")
    )
    async with asyncio.timeout(TIMEOUT):
        _, err = await watch.process.communicate()
    assert watch.process.returncode == 2
    assert "--record" in err.decode()
    assert "No such file or directory" in err.decode()
