"""The demo's one list of names (what the window completes) against what it serves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ddp_monitor.demo import names
from ddp_monitor.demo.server import create_demo_server
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT


def test_the_window_offers_exactly_what_the_demo_serves() -> None:
    """Every method and publication the demo registers is offered for completion, and no other."""
    server = create_demo_server()
    assert server.method_names == [*names.METHODS, *names.ACCOUNT_METHODS]
    assert server.publication_names == list(names.PUBLICATIONS)
    for name, _params in names.FIRST_SUBSCRIPTIONS:
        assert name in names.PUBLICATIONS


@pytest.mark.asyncio
async def test_the_account_the_window_offers_logs_in_on_the_demo(
    our_server: Any,
) -> None:
    """names.ACCOUNT, what the login form and the README say, logs in on the demo."""
    username, password = names.ACCOUNT
    async with asyncio.timeout(TIMEOUT), DDPClient(our_server.url) as client:
        result = await Accounts.of(client).login_with_password(username, password)
        users = client.store.collection("users")
    assert users[result.user_id]["username"] == username


def test_the_readme_names_the_demo_account() -> None:
    """A newcomer reading the README learns the demo's login, as the demo has it."""
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "README.md"
    username, password = names.ACCOUNT
    assert f"username `{username}`, password `{password}`" in readme.read_text(
        encoding="utf-8"
    )
