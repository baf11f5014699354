"""``ConnectionHandle``: what Meteor calls ``this.connection``, one client's DDP session.

Owns the public face of a connection that ``on_connection`` callbacks, method
and publication handlers and the server panel see; imports
``ddp.server`` (the session it reads), ``transport.wiretap`` (frames) and
``transport.server.callbacks``. The socket's driver (``connection``) makes it
at ``connected`` and tells it when the connection has finished.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ddp_monitor.ddp.server.forwarding import forwarded_chain
from ddp_monitor.ddp.server.session import ServerSession
from ddp_monitor.transport.server.callbacks import call_hook
from ddp_monitor.transport.wiretap import Frame

__all__ = ["ConnectionHandle"]


class ConnectionHandle:
    """One client's DDP session, as Meteor's ``onConnection`` hands it over.

    Attributes:
        id: the session id sent in ``connected`` (new on every reconnect).
        client_address: the client's IP by ``HTTP_FORWARDED_COUNT`` rules, or None.
        http_headers: sockjs's 14 whitelisted headers, lower-case names.
        peer_address: the TCP peer's address, whatever the headers say.
        forwarded_for: the ``X-Forwarded-For`` chain as received.
        connected_at: wall-clock seconds (``time.time()``) of ``connected``.
        transport: ``"websocket"`` or ``"sockjs"`` (of the socket serving it now).
        version: the DDP version agreed in ``connect`` ("1", "pre2", "pre1").
        recent_frames: the last few DDP messages, oldest first (``Frame``:
            ``IN`` from the client, ``OUT`` to it); ``DDPServer(recent_frames=)``.
        output_latency: seconds every frame to the client waits before it is
            written, in order (0: none); a fault an agent sets.
    """

    def __init__(
        self,
        session: ServerSession,
        *,
        client_address: str | None,
        http_headers: Mapping[str, str],
        peer_address: str | None,
        transport: str,
        recent: deque[Frame] | None,
        pump: Callable[[], None],
    ) -> None:
        assert session.id is not None, "a handle is made at `connected`"
        self.id: str = session.id
        self.client_address = client_address
        self.http_headers = dict(http_headers)
        self.peer_address = peer_address
        self.forwarded_for = forwarded_chain(http_headers.get("x-forwarded-for"))
        self.connected_at = time.time()
        self.transport = transport
        self.output_latency = 0.0
        self._session = session
        self._recent = recent
        self._pump = pump
        self._finished = False
        self._on_close: list[Callable[[], Any]] = []

    @property
    def closed(self) -> bool:
        return self._session.closed

    @property
    def finished(self) -> bool:
        """The connection has closed and its ``on_close`` callbacks have run."""
        return self._finished

    @property
    def subscriptions(self) -> dict[str, str]:
        """Live subscriptions: sub id -> publication name."""
        return {k: s.name or "" for k, s in self._session.subscriptions.items()}

    @property
    def subscription_details(self) -> list[tuple[str, str, list[Any], bool]]:
        """Live subscriptions as (sub id, publication, params, ready)."""
        return [
            (k, s.name or "", list(s.params), s.is_ready)
            for k, s in self._session.subscriptions.items()
        ]

    @property
    def methods_running(self) -> dict[str, str]:
        """Methods whose handler has not answered yet: method id -> name."""
        return dict(self._session.methods_running)

    @property
    def version(self) -> str | None:
        return self._session.version

    @property
    def recent_frames(self) -> list[Frame]:
        return list(self._recent) if self._recent is not None else []

    @property
    def messages_in(self) -> int:
        return self._session.messages_in

    @property
    def messages_out(self) -> int:
        return self._session.messages_out

    @property
    def user_id(self) -> str | None:
        return self._session.user_id

    @property
    def resumptions(self) -> int:
        """How many times a new socket resumed this session."""
        return self._session.resumptions

    @property
    def frames_replayed(self) -> int:
        """Frames sent again at those resumptions (the client had missed them)."""
        return self._session.frames_replayed

    @property
    def frames_held(self) -> int:
        """Frames kept for a replay: the history and, while detached, the gap."""
        sent = self._session.sent_frames
        return 0 if sent is None else len(sent.history) + len(sent.gap)

    @property
    def detached(self) -> bool:
        """No socket serves the session: it waits for a resumption."""
        return self._session.detached_until is not None

    def grace_remaining(self) -> float | None:
        """Seconds until a detached session ends (None while a socket serves it)."""
        until = self._session.detached_until
        if until is None:
            return None
        return max(0.0, until - asyncio.get_running_loop().time())

    def moved_to(self, peer_address: str | None, transport: str) -> None:
        """A resumed socket serves the session now (the id and headers stay)."""
        self.peer_address = peer_address
        self.transport = transport

    def close(self) -> None:
        """Close this client's connection; the client may reconnect (with a new id)."""
        self._session.close("closed by the server")
        self._pump()

    def on_close(self, fn: Callable[[], Any]) -> None:
        """Call ``fn`` once the connection has closed (deferred if it already has)."""
        if self._finished:
            asyncio.get_running_loop().call_soon(partial(call_hook, fn, name="onClose"))
        else:
            self._on_close.append(fn)

    def finish(self) -> None:
        """The driver's word that the connection is over: run the ``on_close`` callbacks."""
        self._finished = True
        callbacks, self._on_close = self._on_close, []
        for fn in callbacks:
            call_hook(fn, name="onClose")

    def __repr__(self) -> str:
        return f"ConnectionHandle({self.id!r}, {self.client_address!r})"
