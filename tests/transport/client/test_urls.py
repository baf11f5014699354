"""URL translation as DDP.connect does it (socket-stream-client/urls.js)."""

from __future__ import annotations

import pytest

from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://example.com", "ws://example.com/websocket"),
        ("https://example.com", "wss://example.com/websocket"),
        ("http://example.com/", "ws://example.com/websocket"),
        ("https://example.com:8443/app/", "wss://example.com:8443/app/websocket"),
        ("ws://127.0.0.1:3000", "ws://127.0.0.1:3000/websocket"),
        ("wss://example.com", "wss://example.com/websocket"),
        ("localhost:3000", "ws://localhost:3000/websocket"),
        ("example.com", "ws://example.com/websocket"),
        ("HTTP://Example.com", "ws://Example.com/websocket"),
        ("[::1]:3000", "ws://[::1]:3000/websocket"),
    ],
)
def test_urls_translate_like_ddp_connect(given: str, expected: str) -> None:
    """Every form DDP.connect accepts reaches the server's raw /websocket endpoint."""
    assert to_websocket_url(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ws://127.0.0.1:4000/websocket", "ws://127.0.0.1:4000/websocket"),
        ("http://127.0.0.1:4000/websocket/", "ws://127.0.0.1:4000/websocket"),
        ("http://h/app?x=1", "ws://h/app/websocket?x=1"),
    ],
)
def test_urls_printed_by_servers_are_kept_working(given: str, expected: str) -> None:
    """A URL already naming /websocket, or with a query, is not mangled."""
    assert to_websocket_url(given) == expected


def test_ddp_sockjs_urls_get_random_digits_in_the_host() -> None:
    """ddp+sockjs:// hosts have each '*' replaced by a digit, as Meteor does."""
    assert (
        to_websocket_url("ddp+sockjs://ddp--**-foo.meteor.com/sockjs", rng=lambda: 0.42)
        == "wss://ddp--44-foo.meteor.com/sockjs/websocket"
    )
    assert to_websocket_url("ddpi+sockjs://h:3000", rng=lambda: 0.0) == (
        "ws://h:3000/websocket"
    )


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "ftp://example.com",
        "ws://",
        "http://:3000",
        "ws://host:99999",
        "ws://host:port",
        "ws://host:0",
        "/relative/path",
        "ws://ho st:3000",
    ],
)
def test_unusable_urls_fail_at_once_with_a_reason(given: str) -> None:
    """A URL that cannot work raises a ValueError naming the URL, never hangs."""
    with pytest.raises(InvalidURL) as caught:
        to_websocket_url(given)
    assert isinstance(caught.value, ValueError)
    assert repr(given) in str(caught.value)
    assert caught.value.reason
