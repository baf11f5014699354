"""The demo's one list of names (what the window completes) against what it serves."""

from __future__ import annotations

from ddp_monitor.demo import names
from ddp_monitor.demo.server import create_demo_server


def test_the_window_offers_exactly_what_the_demo_serves() -> None:
    """Every method and publication the demo registers is offered for completion, and no other."""
    server = create_demo_server()
    assert server.method_names == [*names.METHODS, *names.ACCOUNT_METHODS]
    assert server.publication_names == list(names.PUBLICATIONS)
    for name, _params in names.FIRST_SUBSCRIPTIONS:
        assert name in names.PUBLICATIONS
