"""Where a socket's driver meets the server and the handlers: small protocols.

Owns the handler types and two ``Protocol`` classes; imports ``ddp.server``
and ``transport.server.handle`` for the types they name. The modules that run a
connection depend on these, not on each other's classes:

- ``ServerPort``: what a ``SocketDriver`` (``connection``) needs of the server
  that accepted its socket; ``DDPServer`` meets it with public members.
- ``SessionDriver``: what a handler's ``this`` (``context``) and setUserId's
  rerun (``rerun``) need of the socket's driver; ``SocketDriver`` meets it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.ddp.server.session import ServerSession
from ddp_monitor.ddp.server.subscription import ServerSubscription
from ddp_monitor.transport.server.handle import ConnectionHandle

__all__ = ["MethodHandler", "PublishHandler", "Pumped", "ServerPort", "SessionDriver"]

#: ``fn(invocation, *params)``: returns the result, or an awaitable of it.
MethodHandler = Callable[..., Any]
#: ``fn(subscription, *params)``: may return a cursor, or an awaitable.
PublishHandler = Callable[..., Any]


class Pumped(Protocol):
    """Something the server pumps in the next loop turn (a socket's driver)."""

    def pump(self) -> None: ...


class ServerPort(Protocol):
    """What a socket's driver reads and reports to its server (``DDPServer``)."""

    heartbeat_interval: float
    heartbeat_timeout: float
    forwarded_count: int
    forwarded_rule: ForwardedRule
    recent_frames: int
    websocket_timeout: float
    max_queued_bytes: int
    #: onMessage hooks exist: sessions report each message as it runs
    reports_messages: bool

    def method_handler(self, name: str) -> MethodHandler | None: ...

    def publish_handler(self, name: str) -> PublishHandler | None: ...

    @property
    def universal_publications(self) -> Sequence[PublishHandler]: ...

    def request_pump(self, driver: Pumped) -> None: ...

    def connection_opened(self, handle: ConnectionHandle) -> None: ...

    def connection_active(self, handle: ConnectionHandle) -> None: ...

    def message_received(
        self, handle: ConnectionHandle, message: dict[str, Any]
    ) -> None: ...

    def connection_closed(self, handle: ConnectionHandle) -> None: ...


class SessionDriver(Protocol):
    """What method and publication contexts need of the socket's driver."""

    @property
    def session(self) -> ServerSession: ...

    @property
    def handle(self) -> ConnectionHandle | None: ...

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def universal_publications(self) -> Sequence[PublishHandler]: ...

    def pump(self) -> None: ...

    def request_pump(self) -> None: ...

    def run_subscription(self, sub: ServerSubscription) -> Awaitable[None] | None: ...
