"""Server URLs as ``DDP.connect`` takes them, turned into the raw WebSocket endpoint.

Owns URL translation and checking; imports only the standard library. The
rules copy ``packages/socket-stream-client/urls.js`` ``toWebsocketUrl`` (=
``translateUrl(url, 'ws', 'websocket')``):

- ``http://`` -> ``ws://``, ``https://`` -> ``wss://``; ``ws``/``wss`` are kept;
- ``ddp+sockjs://`` -> ``wss://`` and ``ddpi+sockjs://`` -> ``ws://``, with
  every ``*`` in the host replaced by a random digit;
- a URL without ``://`` (a bare ``host:port``) gets ``ws://``;
- ``websocket`` is appended to the path (``/websocket``: Meteor's raw endpoint).

Two deliberate differences, both for URLs Meteor would turn into something that
cannot work: a path that already ends in ``/websocket`` (what a Meteor server
and ``ddp-monitor serve`` print) is kept instead of becoming
``/websocket/websocket``, and a query string stays after the path instead of
having ``/websocket`` glued onto it. A URL that still cannot work (another
scheme, no host, a bad port, a relative path: there is no site to be relative
to) raises ``InvalidURL`` at once, never a hang at connect time.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["InvalidURL", "to_websocket_url"]

_DDP_SOCKJS = re.compile(r"^ddp(i?)\+sockjs://", re.IGNORECASE)
_HTTP = re.compile(r"^http(s?)://", re.IGNORECASE)
_SUB_PATH = "websocket"


class InvalidURL(ValueError):
    """A server URL that cannot lead to a DDP WebSocket.

    Attributes:
        url: the URL as given.
        reason: what exactly is wrong with it.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"invalid DDP server URL {url!r}: {reason}")
        self.url = url
        self.reason = reason


def to_websocket_url(url: str, *, rng: Callable[[], float] = random.random) -> str:
    """The ``ws://`` or ``wss://`` URL of the server's raw DDP WebSocket.

    Args:
        url: what a user would pass to ``DDP.connect``.
        rng: uniform in [0, 1): Meteor's ``Random.fraction()``, used only for
            the ``*`` of ``ddp+sockjs://`` hosts.

    Raises:
        InvalidURL: the URL cannot work.
    """
    if not isinstance(url, str):
        raise InvalidURL(repr(url), "a URL must be a string")
    given = url
    text = url.strip()
    if not text:
        raise InvalidURL(given, "the URL is empty")
    if text.startswith("/"):
        raise InvalidURL(given, "a relative URL needs a site; give scheme and host")
    if match := _DDP_SOCKJS.match(text):
        scheme = "ws" if match.group(1) else "wss"
        rest = text[match.end() :]
        host, slash, path = rest.partition("/")
        host = re.sub(r"\*", lambda _: str(int(rng() * 10)), host)
        text = f"{scheme}://{host}{slash}{path}"
    elif match := _HTTP.match(text):
        text = f"{'wss' if match.group(1) else 'ws'}://{text[match.end() :]}"
    if "://" not in text:  # "Prefix FQDNs but not relative URLs" (urls.js)
        text = f"ws://{text}"
    return _checked(given, text)


def _checked(given: str, text: str) -> str:
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        raise InvalidURL(given, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise InvalidURL(
            given, f"unsupported scheme {parts.scheme!r} (use http, https, ws or wss)"
        )
    if not parts.hostname:
        raise InvalidURL(given, "no host")
    if port == 0:
        raise InvalidURL(given, "port 0 cannot be connected to")
    if any(c.isspace() for c in text):
        raise InvalidURL(given, "a URL cannot contain white space")
    path = parts.path
    if path.rstrip("/").endswith(f"/{_SUB_PATH}"):
        path = path.rstrip("/")
    else:
        path = f"{path.rstrip('/')}/{_SUB_PATH}"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))
