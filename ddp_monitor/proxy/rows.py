"""A proxied connection as its row: the fields the panel and the control endpoint show.

Owns ``row(connection)`` (the document of the control endpoint's
``connections`` publication, EJSON-ready, camelCase as Meteor names things)
and ``frames(connection)`` (its per-connection log, as ``frame_docs``, which
the hosted server's agent shares). Imports ``ddp`` (the
forwarding rule) and the sibling ``relay``; pure functions of a connection.

``appClientAddress`` is what the app will compute as
``this.connection.clientAddress`` with ``HTTP_FORWARDED_COUNT=1`` (ddp-server
3.1.1's rule: exactly one entry, the first): the proxy's own hop is the one
the app must count.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from ddp_monitor.ddp.server.forwarding import ForwardedRule, client_address
from ddp_monitor.proxy.relay import ProxiedConnection
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["frame_docs", "frames", "row"]


def _date(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def row(connection: ProxiedConnection) -> dict[str, Any]:
    """Everything the panel shows of one proxied connection."""
    counts = connection.counts
    return {
        "session": connection.session,
        # Session resumption: asked for (the session and receivedCount) and,
        # once the app answered, whether it gave the same session back.
        "resumption": None
        if connection.resume_asked is None
        else {
            "session": connection.resume_asked,
            "receivedCount": connection.resume_count,
            "resumed": connection.resumed,
        },
        "clientAddress": connection.peer_address,
        "forwardedFor": connection.forwarded_for,
        "appClientAddress": client_address(
            "proxy", connection.forwarded_for, 1, ForwardedRule.CURRENT
        ),
        "httpHeaders": dict(connection.http_headers),
        "userAgent": connection.user_agent,
        "transport": connection.client.transport_name,
        "ddpVersion": connection.version,
        "subscriptions": [
            {"id": ident, "name": sub.name, "params": sub.params, "ready": sub.ready}
            for ident, sub in connection.subscriptions.items()
        ],
        "framesToServer": counts.frames_to_server,
        "framesToClient": counts.frames_to_client,
        "bytesToServer": counts.bytes_to_server,
        "bytesToClient": counts.bytes_to_client,
        "faults": connection.faults.to_wire(),
        "upstreamClosed": connection.upstream_dropped,
        "connectedAt": _date(connection.connected_at),
    }


def frames(
    connection: ProxiedConnection, limit: int | None = None
) -> list[dict[str, Any]]:
    """The connection's recent frames, oldest first: ``{dir, at, text}``.

    ``dir`` is ``"toServer"`` or ``"toClient"``; ``at`` is seconds since the
    connection opened (the proxy's clock).
    """
    return frame_docs(
        connection.recent_frames(), connection.opened_at, Direction.OUT, limit
    )


def frame_docs(
    recent: list[Frame],
    start: float,
    to_server: Direction,
    limit: int | None = None,
    text: Callable[[str], str] = str,
) -> list[dict[str, Any]]:
    """``frames``' documents of any frame log: ``to_server`` is the direction
    that goes to the app, ``start`` the log clock's zero, ``text`` what each
    frame's text becomes (an agent masks secrets)."""
    if limit is not None:
        recent = recent[-limit:]
    return [
        {
            "dir": "toServer" if frame.direction is to_server else "toClient",
            "at": round(frame.time - start, 6),
            "text": text(frame.data) if isinstance(frame.data, str) else frame.data,
        }
        for frame in recent
    ]
