"""``PollingSocket``: one SockJS session whose frames travel in polling requests.

Owns the session state of sockjs-node 0.3.19's ``lib/transport.js``
``Session`` (send buffer, one frame per poll, ``c`` after close,
``disconnect_delay``, ``h`` after ``heartbeat_delay``, "Another connection
still open"); imports asyncio, websockets' ``Request`` (its headers, as a
websocket's) and ``sockjs`` (framing) and ``http_door`` (the request it is
opened by). ``sockjs_polling`` routes the requests to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from websockets.http11 import Request

from ddp_monitor.transport.server import sockjs
from ddp_monitor.transport.server.http_door import HttpRequest

__all__ = ["PollingSocket"]


class PollingSocket:
    """One SockJS session whose frames travel in polling requests.

    The part of websockets' ``ServerConnection`` a SockJS reader uses:
    ``request`` (its headers), ``remote_address``, ``send(frame)``,
    ``close()``, ``ping()``, ``transport.abort()`` and ``async for``.
    """

    def __init__(
        self,
        session_id: str,
        request: HttpRequest,
        protocol: str,
        *,
        disconnect_delay: float,
        heartbeat_delay: float,
        on_gone: Callable[[PollingSocket], None],
    ) -> None:
        self.id = session_id
        self.request: Request = request.as_websockets_request()
        self.remote_address = request.remote_address
        self.protocol = protocol  # "xhr-polling", "jsonp-polling"
        self.transport = self  # ``transport.abort()``: the client is gone
        self._loop = asyncio.get_running_loop()
        self._disconnect_delay = disconnect_delay
        self._heartbeat_delay = heartbeat_delay
        self._on_gone = on_gone
        self._frames: list[str] = []  # the reader sends "o" first, as on a websocket
        self._close_frame: str | None = None
        self._incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self._poll: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.gone = False
        self._arm_disconnect()

    # -- what a SockJS reader calls ------------------------------------------------

    async def send(self, frame: str) -> None:
        """Queue one SockJS frame for the next poll (``a`` frames merge)."""
        self.push(frame)

    def push(self, frame: str) -> None:
        """``send`` without waiting: the frame is queued at once."""
        if self.gone or self._close_frame is not None:
            return
        if frame.startswith("c"):
            self._close_frame = frame
        elif (
            frame.startswith("a[")
            and self._frames
            and self._frames[-1].startswith("a[")
        ):
            self._frames[-1] = self._frames[-1][:-1] + "," + frame[2:]
        else:
            self._frames.append(frame)
        self._wake()

    async def close(self, code: int = 1000, reason: str = "Normal closure") -> None:
        """``Session.close``: later polls get the close frame until the session times out."""
        if self._close_frame is None:
            self._close_frame = sockjs.close_frame(code, reason)
            self._wake()
        self._incoming.put_nowait(None)

    async def ping(self) -> asyncio.Future[None]:
        # Polling sessions beat with ``h`` frames (below), not WebSocket pings.
        done: asyncio.Future[None] = self._loop.create_future()
        done.set_result(None)
        return done

    @property
    def closed_here(self) -> bool:
        """This server closed the session (a socket's ``close_sent``, for polling)."""
        return self._close_frame is not None

    def abort(self) -> None:
        """The client is gone: the session ends now (``didAbort``)."""
        self._finish()

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        item = await self._incoming.get()
        if item is None:
            self._incoming.put_nowait(None)  # every later read ends too
            raise StopAsyncIteration
        return item

    # -- what the routes call ---------------------------------------------------------

    def received(self, payload: str) -> None:
        """A ``xhr_send``/``jsonp_send`` body: a JSON array of messages."""
        if not self.gone and self._close_frame is None:
            self._incoming.put_nowait(payload)

    async def poll(self, client_gone: asyncio.Future[None]) -> str | None:
        """The frame for one poll request; None when the client went away first.

        ``client_gone`` is only watched (``asyncio.wait`` cancels nothing).
        """
        if self._poll is not None:
            return sockjs.close_frame(2010, "Another connection still open")
        self._cancel_timer()
        try:
            if not self._frames and self._close_frame is None:
                self._poll = self._loop.create_future()
                done, _ = await asyncio.wait(
                    [self._poll, client_gone],
                    timeout=self._heartbeat_delay,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if client_gone in done:
                    self._finish()
                    return None
                if not done:
                    return "h"
            if self._frames:
                return self._frames.pop(0)
            return self._close_frame
        finally:
            self._poll = None
            if not self.gone:
                self._arm_disconnect()

    # -- internals ----------------------------------------------------------------------

    def _wake(self) -> None:
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(None)

    def _arm_disconnect(self) -> None:
        self._cancel_timer()
        self._timer = self._loop.call_later(self._disconnect_delay, self._finish)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _finish(self) -> None:
        # Session.didTimeout: the connection ends ('close'), the id is free.
        if self.gone:
            return
        self.gone = True
        self._cancel_timer()
        self._wake()
        self._incoming.put_nowait(None)
        self._on_gone(self)
