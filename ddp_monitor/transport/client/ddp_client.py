"""DDPClient: Meteor's ``DDP.connect`` over asyncio and websockets.

Owns the asyncio side of a client connection; imports asyncio, the ``ddp``
client core and faults, ``transport.wiretap``, ``transport.listeners``,
``transport.deadline`` and its siblings ``link`` (websockets only through it),
``handles``, ``urls`` and ``fault_layer`` (``set_faults``: a bad network
between the core and the socket, battery saving included).
The sans-I/O ``ClientConnection`` decides everything (status, retries,
heartbeats, methods, subscriptions); this driver follows it by three rules
(aioquic's ``QuicConnectionProtocol`` shape):

- a socket exists iff the status is connecting or connected: one attempt per
  CONNECTING (at start, and at every StatusChanged to it); a change to waiting,
  offline or failed closes it and is not reported back;
- after every call into the core: write ``messages_to_send()``, dispatch
  ``events()``, and keep one ``DeadlineTimer`` at or before ``next_deadline()``;
- ``now`` is ``loop.time()``; only closes the driver did not make are reported
  (``transport_closed``), with ``link.classify``'s reason text.

websockets' reconnect iterator is not used: Meteor's machine decides when to
retry. Text frames go to the core as ``link.Link`` parses them (no reader task in
between); binary ones are ignored as Meteor's Node client does
(``socket-stream-client/node.js``).

Over 400 lines: the socket-following pump and the user API settle the same
futures from the same events, and splitting them would put that one state in
two classes. Frames cross the ``wiretap``
when they really hit the socket.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from ssl import SSLContext
from typing import Any, TypeVar

from ddp_monitor.ddp.client.connection import ClientConnection
from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    Event,
    HandshakeCompleted,
    MethodCompleted,
    MethodResultReceived,
    PongReceived,
    StatusChanged,
    SubscriptionReady,
    SubscriptionStopped,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.errors import ConnectionLost, InvalidState
from ddp_monitor.ddp.faults import NO_FAULTS, Faults
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.ddp.messages import SUPPORTED_VERSIONS
from ddp_monitor.transport.client import link
from ddp_monitor.transport.client.fault_layer import BATTERY_SAVING_REASON, FaultLayer
from ddp_monitor.transport.client.handles import (
    PendingMethod,
    ResultCallback,
    SubscriptionHandle,
)
from ddp_monitor.transport.client.urls import to_websocket_url
from ddp_monitor.transport.deadline import DeadlineTimer
from ddp_monitor.transport.listeners import Listeners
from ddp_monitor.transport.wiretap import Direction, Wiretap

__all__ = ["DDPClient"]


def _not_started() -> InvalidState:
    return InvalidState("DDPClient is not started: await client.start() first")


def _unstarted_clock() -> float:
    raise _not_started()


_R = TypeVar("_R")

#: Events after which the core's next deadline may be earlier than the timer.
_DEADLINE_MOVERS = frozenset({StatusChanged, HandshakeCompleted})
_SOCKET_GONE = (
    ConnectionStatus.WAITING,
    ConnectionStatus.OFFLINE,
    ConnectionStatus.FAILED,
)


class DDPClient:
    """A DDP connection with Meteor's exact semantics (``DDP.connect(url, options)``).

    Use ``async with DDPClient(url) as client`` or ``await client.start()`` /
    ``await client.close()``. Every method except ``start``, ``close``,
    ``apply`` and ``call`` is synchronous, as in Meteor, and must run on the
    event loop's thread.

    Args:
        url: as ``DDP.connect`` takes it (``urls.to_websocket_url``); an
            unusable URL raises ``InvalidURL`` (a ``ValueError``) here.
        retry: Meteor's ``retry`` option; False fails instead of waiting.
        connect_timeout: seconds for one attempt (Meteor's 10 s).
        heartbeat_interval, heartbeat_timeout: DDP heartbeat, seconds.
        compression: offer permessage-deflate (off by default, see ``link``).
        max_message_size: the largest frame accepted; a bigger one is a bad
            frame: reported as ``BadMessageReceived``, then a reconnect.
        headers: extra HTTP headers for the WebSocket handshake.
        on_reconnect: runs at every transport reset, including the first
            (Meteor's ``connection.onReconnect``); calls it makes go first.
        ssl: an ``ssl.SSLContext`` for ``wss://`` URLs (None: websockets'
            default, which verifies certificates).
        resume: ask for session resumption after a drop (Meteor's newest
            client; servers without it ignore the request).
        rng, new_id, supported_versions: injected into the core.
    """

    def __init__(
        self,
        url: str,
        *,
        retry: bool = True,
        connect_timeout: float = 10.0,
        heartbeat_interval: float = 17.5,
        heartbeat_timeout: float = 15.0,
        compression: bool = False,
        max_message_size: int | None = link.MAX_MESSAGE_SIZE,
        headers: Mapping[str, str] | None = None,
        on_reconnect: Callable[[], None] | None = None,
        ssl: SSLContext | None = None,
        rng: Callable[[], float] = random.random,
        new_id: Callable[[], str] = random_id,
        supported_versions: Sequence[str] = SUPPORTED_VERSIONS,
        resume: bool = True,
    ) -> None:
        self.url = to_websocket_url(url, rng=rng)
        self.compression = compression
        self.max_message_size = max_message_size
        self.headers = dict(headers) if headers else None
        self.ssl = ssl
        self._core_options: dict[str, Any] = {
            "retry": retry,
            "connect_timeout": connect_timeout,
            "heartbeat_interval": heartbeat_interval,
            "heartbeat_timeout": heartbeat_timeout,
            "supported_versions": supported_versions,
            "rng": rng,
            "new_id": new_id,
            "resume": resume,
        }
        self._on_reconnect = on_reconnect
        self._stubs: dict[str, Callable[..., Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: Callable[[], float] = _unstarted_clock
        self._conn: ClientConnection | None = None
        self._closed = False
        self._busy = False  # inside a core call or a dispatch: the outer one pumps
        self._more = False  # a nested core call happened during a dispatch
        self._socket_task: asyncio.Task[None] | None = None
        self._link: link.Link | None = None
        self._fault_layer: FaultLayer | None = None  # made by set_faults
        self._closing: set[asyncio.Task[None]] = set()
        self._timer: DeadlineTimer | None = None
        self._calls: dict[str, PendingMethod] = {}
        self._subs: dict[str, SubscriptionHandle] = {}
        self._pings: dict[str, asyncio.Future[float]] = {}
        self._status_waiters: list[tuple[ConnectionStatus, asyncio.Future[Status]]] = []
        self.wiretap = Wiretap(self._report)
        self._listeners: Listeners[Event] = Listeners(self._report)
        self._handlers: dict[type, Callable[[Any], None]] = {
            StatusChanged: self._on_status,
            MethodResultReceived: self._on_result,
            MethodCompleted: self._on_completed,
            SubscriptionReady: self._on_ready,
            SubscriptionStopped: self._on_nosub,
            PongReceived: self._on_pong,
        }

    # -- life cycle ------------------------------------------------------------
    async def start(self) -> None:
        """Create the core and make the first attempt (the constructor's, in Meteor)."""
        if self._conn is not None:
            return
        loop = self._loop = asyncio.get_running_loop()
        self._clock = loop.time
        self._timer = DeadlineTimer(loop, self._on_timer)
        conn = self._conn = ClientConnection(loop.time(), **self._core_options)
        conn.on_reconnect = self._on_reconnect
        if self._stubs:
            conn.methods(self._stubs)
        # The initial CONNECTING has no StatusChanged (as Meteor): open here.
        self._open_socket()
        self._pump()

    async def close(self) -> None:
        """Close for good (Meteor's ``connection.close()``): status failed, no reason.

        Calls still waiting raise ``ConnectionLost``; the socket is closed.
        """
        if self._closed:
            return
        self._closed = True
        if self._conn is not None:
            self._call(self._conn.close)
        self._drop_socket()
        if self._timer is not None:
            self._timer.cancel()
        lost = ConnectionLost("the client was closed")
        for pending in self._calls.values():
            if not pending.result.done():
                pending.result.set_exception(lost)
        self._calls.clear()
        for sub in self._subs.values():
            sub.ended(lost)
        self._subs.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def __aenter__(self) -> DDPClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- state -----------------------------------------------------------------
    @property
    def status(self) -> Status:
        """The current ``Meteor.status()`` snapshot."""
        if self._conn is None:
            return Status(ConnectionStatus.CONNECTING, connected=False)
        return self._conn.status

    @property
    def session(self) -> str | None:
        """The DDP session id of the last handshake (None before one)."""
        return None if self._conn is None else self._conn.session

    @property
    def version(self) -> str | None:
        """The DDP version negotiated in the last handshake."""
        return None if self._conn is None else self._conn.version

    @property
    def store(self) -> Store:
        """The local collections (``ddp_monitor.ddp.client.store``)."""
        return self._core().store

    collections = store

    @property
    def on_reconnect(self) -> Callable[[], None] | None:
        return self._on_reconnect

    @on_reconnect.setter
    def on_reconnect(self, callback: Callable[[], None] | None) -> None:
        self._on_reconnect = callback
        if self._conn is not None:
            self._conn.on_reconnect = callback

    def add_listener(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for every core event (``ddp.client.events``).

        Returns a function that removes the listener.
        """
        return self._listeners.add(listener)

    async def wait_for_status(
        self,
        status: ConnectionStatus,
        timeout: float | None = None,  # noqa: ASYNC109 (a helper the app asked for)
    ) -> Status:
        """The first snapshot whose status is ``status`` (now, if it already is)."""
        if self.status.status is status:
            return self.status
        future: asyncio.Future[Status] = asyncio.get_running_loop().create_future()
        waiter = (status, future)
        self._status_waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if waiter in self._status_waiters:
                self._status_waiters.remove(waiter)

    # -- Meteor's connection API -------------------------------------------------
    def reconnect(self, url: str | None = None) -> None:
        """Meteor's ``reconnect({url})``: try now when waiting, offline or failed.

        With ``url`` the connection goes there from now on (subscriptions and
        unanswered calls follow, as after any reconnect); a live socket to the
        old server is dropped first. An unusable ``url`` raises ``InvalidURL``
        and changes nothing.
        """
        if url is None:
            self._call(self._core().reconnect)
            return
        self.url = to_websocket_url(url, rng=self._core_options["rng"])
        self._call(lambda now: self._core().reconnect(now, force=True))

    def disconnect(self) -> None:
        """Meteor's ``disconnect()``: offline; calls queue until ``reconnect()``."""
        self._call(self._core().disconnect)

    def methods(self, stubs: Mapping[str, Callable[..., Any]]) -> None:
        """Define client-side stubs (``connection.methods({...})``)."""
        self._stubs.update(stubs)
        if self._conn is not None:
            self._conn.methods(stubs)

    def apply_nowait(
        self,
        name: str,
        params: Sequence[Any] = (),
        *,
        wait: bool = False,
        no_retry: bool = False,
        on_result_received: ResultCallback | None = None,
        throw_stub_exceptions: bool = False,
    ) -> PendingMethod:
        """Start a method call and return its handle at once (usable in ``on_reconnect``).

        Raises:
            Exception: the stub's exception, with ``throw_stub_exceptions``
                (and then nothing is sent), as Meteor's ``apply``.
        """
        conn = self._core()
        if self._closed:
            raise ConnectionLost("the client was closed")

        def invoke(now: float) -> PendingMethod:
            call = conn.apply(
                name,
                list(params),
                now,
                wait=wait,
                no_retry=no_retry,
                throw_stub_exceptions=throw_stub_exceptions,
                return_stub_value=True,  # kept on the handle; apply() decides
            )
            result = self._loop_().create_future()
            pending = PendingMethod(
                call.id, name, call.stub_value, result, on_result_received
            )
            if call.id:
                self._calls[call.id] = pending
            else:  # made inside a running stub: Meteor only simulates it
                result.set_result(call.stub_value)
            return pending

        return self._call(invoke)

    async def apply(
        self,
        name: str,
        params: Sequence[Any] = (),
        *,
        wait: bool = False,
        no_retry: bool = False,
        on_result_received: ResultCallback | None = None,
        throw_stub_exceptions: bool = False,
        return_stub_value: bool = False,
    ) -> Any:
        """Call a method with Meteor's ``apply`` options; the result once data is visible.

        Raises:
            MethodError: the server answered with a Meteor.Error (or Meteor's
                ``invocation-failed`` for a ``no_retry`` call cut off).
            ConnectionLost: the client was closed before the answer.
        """
        pending = self.apply_nowait(
            name,
            params,
            wait=wait,
            no_retry=no_retry,
            on_result_received=on_result_received,
            throw_stub_exceptions=throw_stub_exceptions,
        )
        result = await pending
        # Meteor's returnStubValue promise: the stub's value, after the server's.
        return pending.stub_value if return_stub_value else result

    async def call(self, name: str, *params: Any) -> Any:
        """``Meteor.call(name, ...params)``; see ``apply``."""
        return await self.apply(name, params)

    async def ping(self) -> float:
        """The round trip of one DDP ``ping`` to the server, in seconds.

        Raises:
            ConnectionLost: no DDP session to ask (not connected, or a pre1
                server), or the socket went before the pong came.
        """
        conn = self._core()
        ping_id = self._call(conn.ping)
        if ping_id is None:
            raise ConnectionLost(f"no DDP session to ping ({self.status.status})")
        answered: asyncio.Future[float] = self._loop_().create_future()
        self._pings[ping_id] = answered
        return await answered

    def subscribe(self, name: str, *params: Any) -> SubscriptionHandle:
        """``Meteor.subscribe``: a handle with ``ready``, ``stop()`` and ``error``."""
        conn = self._core()
        if self._closed:
            raise ConnectionLost("the client was closed")

        def invoke(now: float) -> SubscriptionHandle:
            sub_id = conn.subscribe(name, list(params), now)
            ready: asyncio.Future[None] = self._loop_().create_future()
            handle = SubscriptionHandle(
                sub_id, name, list(params), ready, self._unsubscribe
            )
            self._subs[sub_id] = handle
            return handle

        return self._call(invoke)

    def _unsubscribe(self, handle: SubscriptionHandle) -> None:
        conn = self._core()
        self._subs.pop(handle.id, None)
        handle.ended(None)
        self._call(lambda now: conn.unsubscribe(handle.id, now))

    # -- the pump: after every core call -----------------------------------------
    def _call(self, action: Callable[[float], _R]) -> _R:
        """Run one core input with ``now``, then pump (unless an outer call will)."""
        outer = self._busy
        self._busy = True
        try:
            return action(self._loop_().time())
        finally:
            self._busy = outer
            if outer:
                self._more = True  # the outer pump must look again
            else:
                self._pump()

    def _pump(self, *, frame: bool = False) -> None:
        """Write the core's output and dispatch its events; then the timer.

        After a received frame the timer is left alone unless the status
        changed or the handshake completed: a frame can only push the other
        deadlines later (the heartbeat's), and a timer that fires early
        re-arms itself. That keeps the per-frame cost of a flood down.
        """
        conn = self._conn
        if conn is None or self._busy:
            return
        rearm = not frame
        self._busy = True
        try:
            while True:
                messages = conn.messages_to_send()
                if messages:
                    self._write(messages)
                events = conn.events()
                if not events:
                    break
                self._more = False
                handlers = self._handlers
                listeners = self._listeners
                for event in events:
                    kind = type(event)
                    handler = handlers.get(kind)
                    if handler is not None:
                        handler(event)
                    if listeners.active:
                        listeners.emit(event)
                    if kind in _DEADLINE_MOVERS:
                        rearm = True
                if not self._more:  # no listener called back into the core
                    break
        finally:
            self._busy = False
        if rearm and self._timer is not None:
            self._timer.follow(None if self._closed else conn.next_deadline())

    # -- the fault layer: a bad network without a proxy ---------------------------
    @property
    def faults(self) -> Faults:
        """The faults this connection suffers (``ddp.faults``; none by default)."""
        return NO_FAULTS if self._fault_layer is None else self._fault_layer.faults

    def set_faults(self, faults: Faults) -> None:
        """Put this connection behind ``faults`` now, as the proxy does to its clients.

        ``battery_saving`` drops the socket without a close and fails every
        attempt for that many seconds (``math.inf``: until cleared); clearing
        it reconnects at once, as a phone waking up does.
        """
        layer = self._fault_layer
        if layer is None:
            layer = self._fault_layer = FaultLayer(
                self._loop_(), self._write_now, self._deliver
            )
        was_refusing = layer.refusing
        if layer.set_faults(faults) and self._link is not None:
            self._link.transport.abort()  # the phone sleeps: no close frame
        if was_refusing and not layer.refusing and not self._closed:
            self.reconnect()

    def _write(self, messages: list[str]) -> None:
        layer = self._fault_layer
        if layer is not None and layer.active:
            layer.to_server(messages)
        else:
            self._write_now(messages)

    def _write_now(self, messages: list[str]) -> None:
        socket = self._link
        # Meteor's stream send() drops data while not connected; so do we.
        if socket is not None and link.write(socket, messages) and self.wiretap.active:
            now = self._loop_().time()
            for text in messages:
                self.wiretap.frame(Direction.OUT, now, text)

    def _on_timer(self, deadline: float) -> None:
        conn = self._core()
        # call_at may fire a hair before the deadline (clock resolution).
        self._call(lambda now: conn.handle_timer(max(now, deadline)))

    # -- following the status: one socket per attempt ----------------------------
    def _on_status(self, event: StatusChanged) -> None:
        status = event.status
        if status.status is ConnectionStatus.CONNECTING:
            self._open_socket()
        elif status.status in _SOCKET_GONE:
            self._drop_socket()
            pings, self._pings = self._pings, {}
            for answered in pings.values():
                if not answered.done():
                    answered.set_exception(ConnectionLost("the socket went first"))
        for waiter in [w for w in self._status_waiters if w[0] is status.status]:
            self._status_waiters.remove(waiter)
            if not waiter[1].done():
                waiter[1].set_result(status)

    def _open_socket(self) -> None:
        self._drop_socket()
        if not self._closed:
            self._socket_task = self._loop_().create_task(self._run_socket())

    def _drop_socket(self) -> None:
        task, socket = self._socket_task, self._link
        self._socket_task = self._link = None
        if task is not None and not task.done():
            task.cancel()
            self._track(task)  # close() waits for it to end
        if socket is not None:
            self._track(self._loop_().create_task(socket.close()))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _run_socket(self) -> None:
        me = asyncio.current_task()
        layer = self._fault_layer
        if layer is not None:
            if layer.refusing:
                self._lost(me, BATTERY_SAVING_REASON)
                return
            layer.socket_changed()
        try:
            socket = await link.open_link(
                self.url,
                compression=self.compression,
                max_message_size=self.max_message_size,
                headers=self.headers,
                ssl_context=self.ssl,
            )
        except Exception as exc:
            self._lost(me, link.classify(exc))
            return
        if self._socket_task is not me:  # dropped while the handshake finished
            await socket.close()
            return
        self._link = socket
        self._call(self._core().transport_opened)
        socket.attach(self._on_frame)
        await socket.wait_closed()
        closed = socket.protocol.close_exc
        bad = link.bad_input_reason(closed)
        if bad is not None and self._socket_task is me:
            self._emit(BadMessageReceived("", bad))
        self._lost(me, link.classify(closed))

    def _on_frame(self, socket: link.Link, data: str | bytes) -> None:
        """One message from the socket, called from its ``data_received``."""
        if socket is not self._link:  # a dropped socket's last words
            return
        layer = self._fault_layer
        if layer is not None and layer.active and type(data) is str:
            layer.to_client(data)
        else:
            self._deliver(data)

    def _deliver(self, data: str | bytes) -> None:
        """A frame reaches the client (after the fault layer, if any)."""
        now = self._clock()
        if self.wiretap.active:
            self.wiretap.frame(Direction.IN, now, data)
        if type(data) is str and self._conn is not None:  # binary: ignored (Meteor)
            try:
                self._conn.receive_text(data, now)
                self._pump(frame=True)
            except Exception as exc:  # a bug below us must not kill the socket
                self._busy = False
                self._report(exc)

    def _lost(self, me: asyncio.Task[None] | None, reason: str) -> None:
        """An attempt failed or the link died; report it if it is still ours."""
        if self._socket_task is not me or self._closed:
            return
        self._socket_task = self._link = None
        self._call(lambda now: self._core().transport_closed(now, reason))

    # -- settling handles ----------------------------------------------------------
    def _on_result(self, event: MethodResultReceived) -> None:
        pending = self._calls.get(event.method_id)
        if pending is not None and pending.on_result_received is not None:
            try:
                pending.on_result_received(event.error, event.result)
            except Exception as exc:
                self._report(exc)

    def _on_completed(self, event: MethodCompleted) -> None:
        pending = self._calls.pop(event.method_id, None)
        if pending is None or pending.result.done():
            return
        if event.error is not None:
            pending.result.set_exception(event.error)
        else:
            pending.result.set_result(event.result)

    def _on_pong(self, event: PongReceived) -> None:
        answered = self._pings.pop(event.ping_id, None)
        if answered is not None and not answered.done():
            answered.set_result(event.round_trip)

    def _on_ready(self, event: SubscriptionReady) -> None:
        sub = self._subs.get(event.sub_id)
        if sub is not None and not sub.ready.done():
            sub.ready.set_result(None)

    def _on_nosub(self, event: SubscriptionStopped) -> None:
        sub = self._subs.pop(event.sub_id, None)
        if sub is not None:
            sub.ended(event.error)

    # -- small parts ------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self._listeners.active:
            self._listeners.emit(event)

    def _report(self, exc: BaseException) -> None:
        """A listener or callback raised: asyncio's handler reports it; we go on."""
        self._loop_().call_exception_handler(
            {"message": "ddp-monitor: a DDPClient listener raised", "exception": exc}
        )

    def _core(self) -> ClientConnection:
        if self._conn is None:
            raise _not_started()
        return self._conn

    def _loop_(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise _not_started()
        return self._loop
