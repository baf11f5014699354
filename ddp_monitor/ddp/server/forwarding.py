"""What a connection handle says about its peer: ``client_address`` and ``http_headers``.

Owns the ``HTTP_FORWARDED_COUNT`` rules (ddp-server ``Session._clientAddress``)
and sockjs's header whitelist (sockjs-node ``lib/transport.js``
``decorateConnection``); imports nothing from the project.

Two ``client_address`` rules exist (reference §7.2):

- ``CURRENT`` (ddp-server >= 3.1.1, the default): the header must hold exactly
  ``n`` entries, and the first one is the client. A client that prepends its
  own entries changes the count, so it gets ``None`` rather than a lie.
- ``LEGACY`` (ddp-server <= 3.1.0, Meteor 1.x/2.x): the n-th entry from the end,
  ``None`` when there are fewer than ``n``. Entries a client prepends sit
  before the proxies' own, so they never win either.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

__all__ = [
    "HEADER_WHITELIST",
    "ForwardedRule",
    "client_address",
    "forwarded_chain",
    "http_headers",
    "parse_forwarded_count",
]

#: sockjs 0.3.19/0.3.24 ``decorateConnection``: the only headers Meteor exposes.
HEADER_WHITELIST: tuple[str, ...] = (
    "referer",
    "x-client-ip",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-cluster-client-ip",
    "via",
    "x-real-ip",
    "x-forwarded-proto",
    "x-ssl",
    "dnt",
    "host",
    "user-agent",
    "accept-language",
)
_WHITELISTED = frozenset(HEADER_WHITELIST)

# Node's http parser keeps only the first of these when a request repeats them
# and joins any other repeated header with ", " (IncomingMessage._addHeaderLine).
_FIRST_WINS = frozenset({"host", "referer", "user-agent"})


class ForwardedRule(enum.StrEnum):
    CURRENT = "current"
    LEGACY = "legacy"


def http_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The whitelisted request headers, lower-case, only those with a value.

    ``cookie`` and ``authorization`` are never in the result.
    """
    result: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key not in _WHITELISTED:
            continue
        if key in result:
            if key not in _FIRST_WINS:
                result[key] = f"{result[key]}, {value}"
        else:
            result[key] = value
    # sockjs copies a header only when its value is truthy.
    return {k: v for k, v in result.items() if v}


_JS_INT = re.compile(r"\s*([+-]?\d+)")


def parse_forwarded_count(value: str | None) -> int:
    """``parseInt(process.env.HTTP_FORWARDED_COUNT) || 0``: "2abc" is 2, junk is 0."""
    if value is None:
        return 0
    match = _JS_INT.match(value)
    return int(match.group(1)) if match else 0


def forwarded_chain(forwarded_for: str | None) -> list[str]:
    """The ``X-Forwarded-For`` entries, trimmed, as the server panel shows them."""
    if not forwarded_for:
        return []
    return [entry.strip() for entry in forwarded_for.split(",")]


_LEGACY_SPLIT = re.compile(r"\s*,\s*")


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    forwarded_count: int,
    rule: ForwardedRule = ForwardedRule.CURRENT,
) -> str | None:
    """Meteor's ``connection.clientAddress``.

    Args:
        peer: the TCP peer's address (``None`` if unknown).
        forwarded_for: the ``X-Forwarded-For`` header as received (joined if repeated).
        forwarded_count: ``HTTP_FORWARDED_COUNT``, the number of proxies in front.
        rule: which ddp-server release to follow.
    """
    if forwarded_count == 0:
        return peer
    if not forwarded_for:  # sockjs drops empty headers: Meteor sees no string
        return None
    if rule is ForwardedRule.LEGACY:
        entries = _LEGACY_SPLIT.split(forwarded_for.strip())
        if forwarded_count < 0 or forwarded_count > len(entries):
            return None
        return entries[len(entries) - forwarded_count]
    entries = forwarded_for.split(",")
    if forwarded_count < 0 or forwarded_count != len(entries):
        return None
    return entries[len(entries) - forwarded_count].strip()
