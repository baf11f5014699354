"""client_address under HTTP_FORWARDED_COUNT (both Meteor rules) and the header whitelist."""

from __future__ import annotations

import pytest

from ddp_monitor.ddp.server.forwarding import (
    HEADER_WHITELIST,
    ForwardedRule,
    client_address,
    forwarded_chain,
    http_headers,
    parse_forwarded_count,
)

CURRENT, LEGACY = ForwardedRule.CURRENT, ForwardedRule.LEGACY


@pytest.mark.parametrize(
    ("header", "count", "current", "legacy"),
    [
        (None, 0, "10.0.0.9", "10.0.0.9"),  # no proxies: the peer
        ("1.1.1.1", 0, "10.0.0.9", "10.0.0.9"),  # header ignored without a count
        (None, 1, None, None),  # count set, no header
        ("", 1, None, None),  # empty header: sockjs drops it
        ("1.1.1.1", 1, "1.1.1.1", "1.1.1.1"),
        (" 1.1.1.1 ", 1, "1.1.1.1", "1.1.1.1"),
        ("1.1.1.1, 2.2.2.2", 1, None, "2.2.2.2"),  # 3.1.1 behaviour change
        ("1.1.1.1, 2.2.2.2", 2, "1.1.1.1", "1.1.1.1"),
        ("1.1.1.1,2.2.2.2", 3, None, None),  # more proxies than entries
        ("1.1.1.1", -1, None, None),  # negative count
        ("evil, 1.1.1.1, 2.2.2.2", 2, None, "1.1.1.1"),  # spoofed entry never wins
    ],
)
def test_client_address_rules(
    header: str | None, count: int, current: str | None, legacy: str | None
) -> None:
    """client_address follows ddp-server >= 3.1.1 by default and <= 3.1.0 as an option."""
    assert client_address("10.0.0.9", header, count) == current
    assert client_address("10.0.0.9", header, count, CURRENT) == current
    assert client_address("10.0.0.9", header, count, LEGACY) == legacy


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        (None, 0),
        ("", 0),
        ("0", 0),
        ("abc", 0),
        ("2", 2),
        ("2abc", 2),
        (" 3", 3),
        ("-1", -1),
    ],
)
def test_forwarded_count_parses_like_parseint(raw: str | None, count: int) -> None:
    """HTTP_FORWARDED_COUNT is read with parseInt(...) || 0."""
    assert parse_forwarded_count(raw) == count


def test_headers_are_exactly_the_sockjs_whitelist() -> None:
    """Only the 14 whitelisted headers pass, lower-cased; never cookie or authorization."""
    raw = [(name.upper(), f"v-{name}") for name in HEADER_WHITELIST]
    raw += [("Cookie", "secret=1"), ("Authorization", "Bearer x"), ("X-Other", "y")]
    headers = http_headers(raw)
    assert sorted(headers) == sorted(HEADER_WHITELIST)
    assert len(HEADER_WHITELIST) == 14
    assert headers["user-agent"] == "v-user-agent"


def test_empty_header_values_are_dropped() -> None:
    """sockjs copies a header only when its value is non-empty."""
    assert http_headers([("DNT", ""), ("Host", "h")]) == {"host": "h"}


def test_repeated_forwarded_for_headers_are_joined() -> None:
    """Repeated X-Forwarded-For lines join with ', ' as Node's parser does."""
    headers = http_headers(
        [("X-Forwarded-For", "1.1.1.1"), ("x-forwarded-for", "2.2.2.2")]
    )
    assert headers["x-forwarded-for"] == "1.1.1.1, 2.2.2.2"
    assert forwarded_chain(headers["x-forwarded-for"]) == ["1.1.1.1", "2.2.2.2"]
