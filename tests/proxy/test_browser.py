"""Meteor's real browser client (1.9.3, headless Chromium) through the proxy to the real Meteor server."""

from __future__ import annotations

import pytest

from ddp_monitor.proxy import DDPProxy
from ddp_monitor.proxy.rows import row
from tests.peers.meteor_browser import MeteorBrowser
from tests.proxy.proxy_helpers import until_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.meteor,
    pytest.mark.asyncio,
    pytest.mark.usefixtures("meteor_browser"),
]


@pytest.mark.parametrize(
    "no_websocket", [False, True], ids=["websocket", "xhr-polling"]
)
async def test_browser_connects_calls_and_subscribes_through_the_proxy(
    proxy: DDPProxy, no_websocket: bool
) -> None:
    """Meteor.status() reaches connected through the proxy, add(1, 2) answers 3, items(5) gets ready; without WebSocket too."""
    args = ["--no-websocket"] if no_websocket else []
    async with MeteorBrowser(proxy.url, *args) as page:
        await page.result()
    statuses = [line["status"] for line in page.events("status")]
    assert statuses[:2] == ["connecting", "connected"]
    assert page.events("call")[0]["result"] == 3
    (sub,) = page.events("sub")
    assert (sub["ready"], sub["count"]) == (True, 5)
    (connected,) = page.events("ddp")
    assert connected["transport"] == ("xhr-polling" if no_websocket else "websocket")
    assert any(line["path"] == "/sockjs/info" for line in page.events("net"))


async def test_close_sends_the_browser_waiting_then_back(proxy: DDPProxy) -> None:
    """Close on the browser's row: Meteor.status() goes waiting, then connected with a new session, and calls work again."""
    async with MeteorBrowser(proxy.url, "--scenario", "close") as page:
        armed = await page.until(lambda line: line["event"] == "armed")
        connection = await until_row(proxy, lambda c: c.session == armed["session"])
        shown = row(connection)
        assert "HeadlessChrome" in (shown["userAgent"] or "")
        assert shown["transport"] == "sockjs"
        proxy.close(connection.id)
        await page.until(lambda line: line.get("status") == "waiting")
        result = await page.result()
    assert result["sessions"][0] == armed["session"]
    assert len(result["sessions"]) == 2
    assert page.events("call")[-1]["result"] == "after"
