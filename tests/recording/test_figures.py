"""Per-method and per-subscription figures from a real connection, live and read back (issue 16).

Real sockets: the client against Meteor 1.9.3 and against our demo server
(``ddp_server``); the figures are computed from the recorder's ring, then
from the same connection saved and loaded: one code path, the same figures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.ddp.errors import MethodError, SubscriptionError
from ddp_monitor.recording.figures import Figures, Samples
from ddp_monitor.recording.history import pairs
from ddp_monitor.recording.recorder import Recorder, load
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT

SLOW_MS = (120, 40, 80)


async def _session(url: str, recorder: Recorder) -> None:
    client = DDPClient(url)
    recorder.attach(client)
    async with client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, timeout=TIMEOUT)
        for ms in SLOW_MS:
            assert await asyncio.wait_for(client.call("slow", ms), TIMEOUT) == ms
        for _ in range(2):
            with pytest.raises(MethodError):
                await asyncio.wait_for(client.call("fail"), TIMEOUT)
        assert await asyncio.wait_for(client.call("add", 2, 3), TIMEOUT) == 5
        items = client.subscribe("items", 4)
        await asyncio.wait_for(items.wait_ready(), TIMEOUT)
        # Two at once: neither can claim the documents that came (the tick
        # and items 4 and 5, sent before either is ready).
        first, second = client.subscribe("ticker", 500), client.subscribe("items", 6)
        await asyncio.wait_for(first.wait_ready(), TIMEOUT)
        await asyncio.wait_for(second.wait_ready(), TIMEOUT)
        missing = client.subscribe("no-such-publication")
        with pytest.raises(SubscriptionError):
            await asyncio.wait_for(missing.wait_ready(), TIMEOUT)


def _check(figures: Figures) -> None:
    slow = figures.methods["slow"]
    assert (slow.calls, slow.errors, slow.in_flight) == (3, 0, 0)
    # Each answer took at least what the server slept.
    assert slow.to_result.count == slow.to_updated.count == 3
    assert slow.to_result.max is not None
    assert slow.to_result.max >= 0.120
    assert slow.to_result.p50 is not None
    assert slow.to_result.p50 >= 0.080
    low = min(slow.to_result.percentile(1) or 0, slow.to_updated.percentile(1) or 0)
    assert low >= 0.040
    # Meteor calls back once `updated` came too: never before the result.
    assert (slow.to_updated.max or 0) >= slow.to_result.max
    fail = figures.methods["fail"]
    assert (fail.calls, fail.errors, fail.in_flight) == (2, 2, 0)
    assert fail.to_result.count == 2  # an error is an answer: timed too
    add = figures.methods["add"]
    assert (add.calls, add.errors) == (1, 0)

    items = figures.subscriptions["items"]
    assert (items.subscriptions, items.ready, items.errors) == (2, 2, 0)
    assert items.to_ready.count == 2
    assert (items.to_ready.max or 0) > 0
    # items(4) waited alone: its 4 documents are its own; items(6) waited
    # beside ticker: no count can be told.
    assert items.documents.count == 1
    assert items.documents.max == 4
    assert items.unknown_documents == 1
    ticker = figures.subscriptions["ticker"]
    assert (ticker.subscriptions, ticker.ready, ticker.unknown_documents) == (1, 1, 1)
    missing = figures.subscriptions["no-such-publication"]
    assert (missing.subscriptions, missing.ready, missing.errors) == (1, 0, 1)
    assert missing.to_ready.count == 0


@pytest.mark.asyncio
async def test_figures_of_a_live_connection_and_of_its_recording_agree(
    ddp_server: str, tmp_path: Path
) -> None:
    recorder = Recorder(ddp_server)
    await _session(ddp_server, recorder)
    live = Figures()
    live.feed(recorder.items())
    _check(live)

    path = tmp_path / "figures.ddprec"
    recorder.save(path)
    recorded = Figures()
    recorded.feed(pairs(load(path).items))
    _check(recorded)
    for name, figures in live.methods.items():
        other = recorded.methods[name]
        # The file keeps microseconds: the same times, to a microsecond or two.
        assert other.to_result.max == pytest.approx(figures.to_result.max, abs=2e-6)
        assert other.to_updated.p95 == pytest.approx(figures.to_updated.p95, abs=2e-6)


def test_percentiles_keep_the_last_samples_and_the_max_of_all() -> None:
    samples = Samples(limit=100)
    samples.add(50.0)  # the slowest, then let go by the percentiles
    for n in range(1, 201):
        samples.add(n / 1000)
    assert samples.count == 201
    assert samples.max == 50.0
    # The kept ones are 0.101 .. 0.200: nearest rank.
    assert samples.p50 == pytest.approx(0.150)
    assert samples.p95 == pytest.approx(0.195)
    assert samples.percentile(100) == pytest.approx(0.200)
    assert Samples().p50 is None
