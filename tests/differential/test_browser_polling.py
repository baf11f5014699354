"""Meteor's real browser client without WebSocket (xhr-polling) against the real Meteor server and ours.

Before issue 14 ours answered ``POST /sockjs/<s>/<id>/xhr`` with 404 and this
client looped connecting/waiting for ever; Meteor's answers ``o``.
"""

from __future__ import annotations

import pytest

from tests.peers.meteor_browser import MeteorBrowser
from tests.test_interop_npm import http_base

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio,
    pytest.mark.usefixtures("meteor_browser"),
]


async def test_browser_without_websocket_connects_over_xhr_polling(
    ddp_server: str,
) -> None:
    """Meteor.status() reaches connected over xhr-polling, add answers, items(5) gets ready."""
    async with MeteorBrowser(http_base(ddp_server), "--no-websocket") as page:
        await page.result()
    assert [line["status"] for line in page.events("status")][:2] == [
        "connecting",
        "connected",
    ]
    assert page.events("ddp")[0]["transport"] == "xhr-polling"
    assert page.events("call")[0]["result"] == 3
    assert page.events("sub")[0]["count"] == 5
    assert not page.events("exception")
