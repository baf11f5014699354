"""``ClientConnection``: Meteor's ``DDP.connect`` connection as sans-I/O code.

Owns the DDP session of one client (``packages/ddp-client/common/
livedata_connection.js``): version negotiation, heartbeats, the message
routing, reconnect quiescence and subscriptions. Composes ``status``,
``methods``, ``stubs`` and ``store``; imports every ``ddp`` module below it and
nothing above. The driver (``transport.client.DDPClient``) feeds it text and
``now`` and writes ``messages_to_send()``; the rules it follows are in that
module's docstring.
This module is over 400 lines because the session's message routing and its
quiescence rules are one state that does not split cleanly.

Meteor behaviour kept, and the few differences:

- No write batching: Meteor holds ``added``/``changed``/``removed`` for 5 ms
  (``bufferedWritesInterval``) to batch re-renders; here each is applied at
  once (the Qt layer batches repaints itself). Quiescence buffering is kept.
- Store reset after a reconnect is a reconciliation: the new state (buffered
  messages applied to an empty store) replaces the old, and only differences
  are emitted, so the UI never flickers to empty.
- Meteor throws on a ``result``/``updated`` it cannot match; here the frame
  becomes ``BadMessageReceived`` and nothing else changes.
- A call whose error came from the ``no_retry`` rule completes at the next
  ``connected`` even on the first session (Meteor would never call it back).
- ``close()`` and the permanent version failure complete every outstanding
  call with ``ConnectionLost`` / ``VersionMismatch`` (Meteor never does); a
  call made afterwards completes at once the same way.
- ``session``/``version`` keep the last session's values after a loss (they
  are Meteor's ``_lastSessionId`` / ``_version``).

Session resumption (Meteor's newest ``ddp-client``, pull request #14051; on
unless ``resume=False``): the client counts the server's frames other than
ping/pong and the handshake answers, and a reconnect's ``connect`` carries
``session`` and ``receivedCount``. Everything else at the reset is Meteor's
``onReset`` as before (calls and subs re-sent, ``on_reconnect`` run), since
the outcome is not known yet. A ``connected`` with the same session id is a
resumption: no store reset, no subscription revival, the server replays what
the client missed and runs no re-sent call twice. A deliberate
``disconnect()``/``close()`` first says ``disconnect`` so the server ends the
session at once. Servers without resumption ignore both fields and the frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    Event,
    HandshakeCompleted,
    MethodCalled,
    MethodCompleted,
    MethodSent,
    PongReceived,
    ServerErrorReceived,
    StatusChanged,
    StubFailed,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
    TransportLost,
)
from ddp_monitor.ddp.client.methods import MethodCall, MethodInvoker, MethodQueue
from ddp_monitor.ddp.client.status import (
    CONNECT_TIMEOUT,
    ConnectionStatus,
    Status,
    StatusMachine,
)
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.client.stubs import MethodInvocation, ServerDocuments
from ddp_monitor.ddp.errors import (
    ConnectionLost,
    DDPError,
    InvalidState,
    MethodError,
    ProtocolError,
    SubscriptionError,
    VersionMismatch,
)
from ddp_monitor.ddp.heartbeat import (
    CLIENT_INTERVAL,
    CLIENT_TIMEOUT,
    Heartbeat,
    HeartbeatAction,
)
from ddp_monitor.ddp.ids import random_hex, random_id
from ddp_monitor.ddp.messages import (
    SUPPORTED_VERSIONS,
    Added,
    AddedBefore,
    Changed,
    Connect,
    Connected,
    Disconnect,
    ErrorMessage,
    Failed,
    Message,
    Method,
    MovedBefore,
    NoSub,
    Ping,
    Pong,
    Ready,
    Removed,
    Result,
    ServerId,
    Sub,
    Unsub,
    Updated,
    decode,
    from_dict,
    serialize,
)

__all__ = ["PROBE_ID_PREFIX", "ClientConnection", "MethodCall"]

#: ``ping()``'s ids start with this; the message log marks such frames as
#: the monitor's own traffic.
PROBE_ID_PREFIX = "rtt"

_PING = serialize(Ping())
_DISCONNECT = serialize(Disconnect())
# Frames the resumption count leaves out: the handshake and the heartbeat.
_UNCOUNTED = frozenset({"ping", "pong", "connected", "failed"})
_ADDS = (Added, AddedBefore)
# What Meteor's client store throws (packages/mongo/collection.js update());
# here the data stays sane (an add of a present document changes it, a change
# of a missing one adds it) and the frame is reported with these words.
_ADD_PRESENT = "Expected not to find a document already present for an add"
_CHANGE_MISSING = "Expected to find a document to change"
_REMOVE_MISSING = "Expected to find a document already present for removed"


@dataclass(slots=True)
class _Subscription:
    name: str
    params: list[Any]
    ready: bool = False


class ClientConnection:
    """One client connection's DDP state; no I/O, no clock of its own."""

    def __init__(
        self,
        now: float,
        *,
        retry: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT,
        heartbeat_interval: float = CLIENT_INTERVAL,
        heartbeat_timeout: float = CLIENT_TIMEOUT,
        supported_versions: Sequence[str] = SUPPORTED_VERSIONS,
        rng: Callable[[], float] = random.random,
        new_id: Callable[[], str] = random_id,
        new_seed: Callable[[], str] = random_hex,
        resume: bool = True,
    ) -> None:
        self._events: list[Event] = []
        self._out: list[str] = []
        emit = self._events.append
        self._machine = StatusMachine(
            now,
            self._status_changed,
            retry=retry,
            rng=rng,
            connect_timeout=connect_timeout,
        )
        #: the local collections (read API in ``ddp.client.store``)
        self.store = Store(emit)
        self._methods = MethodQueue(self._send_method, emit)
        self._server_docs = ServerDocuments()
        self._stubs: dict[str, Callable[..., Any]] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._subs_being_revived: set[str] = set()
        self._buffered: list[tuple[Message, str]] = []
        self._after_update: list[Callable[[], None]] = []
        self._reset_stores = False
        self._transport_open = False
        self._handshake_done = False  # DDP `connected` on the current socket
        self._pings_sent = 0
        self._ping_times: dict[str, float] = {}
        self._heartbeat_ping_at: float | None = None  # Meteor's id-less ping
        self._heartbeat: Heartbeat | None = None
        self._heartbeat_interval = heartbeat_interval
        self._heartbeat_timeout = heartbeat_timeout
        self._supported = [str(v) for v in supported_versions]
        self._version_suggestion: str | None = None
        self._new_id = new_id
        self._new_seed = new_seed
        self._invocation: MethodInvocation | None = None
        self._resume = resume
        #: the session's frames received so far (``receivedCount``)
        self.received_count = 0
        #: Meteor's ``_lastSessionId`` and ``_version``
        self.session: str | None = None
        self.version: str | None = None
        #: runs at every transport reset (the first one too); its calls go first
        self.on_reconnect: Callable[[], None] | None = None
        self._handlers: dict[type, Callable[[Any, str, float], None]] = {
            Added: self._on_data,
            Changed: self._on_data,
            Removed: self._on_data,
            AddedBefore: self._on_data,
            MovedBefore: self._on_data,
            Ready: self._on_data,
            Updated: self._on_data,
            NoSub: self._on_nosub,
            Result: self._on_result,
            Connected: self._on_connected,
            Failed: self._on_failed,
            Ping: self._on_ping,
            Pong: self._on_pong,  # liveness is counted for every message
            ServerId: _ignore,  # servers before Meteor 2.3; Meteor ignores it
            ErrorMessage: self._on_error,
        }

    # -- state -------------------------------------------------------------
    @property
    def status(self) -> Status:
        return self._machine.status

    def is_ready(self, sub_id: str) -> bool:
        """A live subscription that has been ready (stays so while revived)."""
        sub = self._subscriptions.get(sub_id)
        return sub is not None and sub.ready

    # -- outputs -----------------------------------------------------------
    def messages_to_send(self) -> list[str]:
        out, self._out = self._out, []
        return out

    def events(self) -> list[Event]:
        # Swap contents, not the list: store/method queue hold its append.
        events = self._events[:]
        self._events.clear()
        return events

    def next_deadline(self) -> float | None:
        # Asked after every batch of frames: plain comparisons, no lists.
        deadline = self._machine.connect_deadline
        retry_time = self.status.retry_time
        if retry_time is not None and (deadline is None or retry_time < deadline):
            deadline = retry_time
        if self._heartbeat is not None:
            beat = self._heartbeat.next_deadline()
            if deadline is None or beat < deadline:
                deadline = beat
        return deadline

    # -- inputs from the driver --------------------------------------------
    def transport_opened(self, now: float) -> None:
        """The socket is open: status connected, then Meteor's ``onReset``."""
        self._machine.transport_opened()
        self._transport_open = True
        version = self._version_suggestion or self._supported[0]
        self._version_suggestion = version
        count = self.received_count if self._resume and self.session else None
        connect = Connect(version, list(self._supported), self.session, count)
        self._send(serialize(connect))
        self._methods.reset(self.on_reconnect)
        # Subs last, so they take effect after the hooks' calls (LC onReset).
        for sub_id, sub in self._subscriptions.items():
            self._send(serialize(Sub(sub_id, sub.name, sub.params)))

    def transport_closed(self, now: float, error: str | None = None) -> None:
        """The socket died or the attempt failed; stale reports are ignored."""
        if self._machine.has_socket:
            self._lose(now, error)

    def receive_text(self, text: str, now: float) -> None:
        """One frame from the server. Bad input becomes ``BadMessageReceived``."""
        if not self._transport_open:
            return  # a frame from a socket already given up (clientOnIfCurrent)
        if self._heartbeat is not None:
            self._heartbeat.message_received()
        try:
            raw = decode(text)
            kind = raw.get("msg") if type(raw) is dict else None
            if kind is not None and kind not in _UNCOUNTED:
                self.received_count += 1
            # Hot path (a subscription's initial flood): a well-formed `added`
            # with nothing buffering and no stub snapshots goes straight to the
            # store, skipping the message value. Anything else takes from_dict.
            if (
                kind == "added"
                and not self._server_docs.docs
                and not self._subs_being_revived
                and not self._methods.blocking_quiescence
            ):
                collection = raw.get("collection")
                id_ = raw.get("id")
                fields = raw.get("fields")
                if fields is None and "fields" not in raw:
                    fields = {}
                if (
                    type(collection) is str
                    and type(id_) is str
                    and type(fields) is dict
                ):
                    if not self.store.added(collection, id_, fields):
                        self._events.append(BadMessageReceived(text, _ADD_PRESENT))
                    return
            msg = from_dict(raw)
        except ProtocolError as exc:
            self._events.append(BadMessageReceived(text, exc.detail))
            self._fail_unreadable_result(exc.offending_message, exc.detail)
            return
        handler = self._handlers.get(type(msg))
        if handler is None:  # a client-to-server message type
            reason = f"discarding unknown livedata message type {type(msg).__name__}"
            self._events.append(BadMessageReceived(text, reason))
            return
        try:
            handler(msg, text, now)
        except Exception as exc:  # never let the server's input crash the caller
            self._events.append(BadMessageReceived(text, f"cannot apply: {exc!r}"))

    def handle_timer(self, now: float) -> None:
        machine = self._machine
        if machine.connect_deadline is not None and now >= machine.connect_deadline:
            self._lose(now, "DDP connection timed out")
        retry_time = machine.status.retry_time
        if retry_time is not None and now >= retry_time:
            machine.retry_now(now)
        heartbeat = self._heartbeat
        if heartbeat is not None:
            action = heartbeat.handle_timer(now)
            if action is HeartbeatAction.SEND_PING:
                if self._send(_PING):
                    self._heartbeat_ping_at = now
            elif action is HeartbeatAction.TIMED_OUT:
                self._lose(now, "DDP heartbeat timed out")

    # -- inputs from the user ----------------------------------------------
    def methods(self, stubs: Mapping[str, Callable[..., Any]]) -> None:
        """Client-side stubs: ``stub(invocation, *params)``."""
        for name in stubs:
            if name in self._stubs:
                raise InvalidState(f"A method named '{name}' is already defined")
        self._stubs.update(stubs)

    def apply(
        self,
        name: str,
        params: Sequence[Any],
        now: float,
        *,
        wait: bool = False,
        no_retry: bool = False,
        throw_stub_exceptions: bool = False,
        return_stub_value: bool = False,
    ) -> MethodCall:
        """``Meteor.apply``: run the stub, then queue (and maybe send) the call.

        Raises:
            TypeError: a parameter EJSON has no form for; nothing is queued
                and the stub's writes are undone.
            Exception: the stub's own exception, when ``throw_stub_exceptions``
                (the call is then not sent), or from a nested call in a stub.
        """
        params = list(params)
        stub = self._stubs.get(name)
        if self._invocation is not None:  # inside a stub: simulate only
            value = stub(self._invocation, *ejson.clone(params)) if stub else None
            return MethodCall("", value)
        invocation = None
        value = exception = None
        if stub is not None:
            invocation = self._invocation = MethodInvocation(
                name,
                self.store,
                new_id=self._new_id,
                new_seed=self._new_seed,
                apply=lambda n, p: self.apply(n, p, now).stub_value,
            )
            try:
                value = stub(invocation, *ejson.clone(params))
            except Exception as exc:
                exception = exc
            finally:
                self._invocation = None
        method_id = self._methods.next_id()
        if invocation is not None:
            self._server_docs.store_originals(method_id, invocation.originals)
        seed = invocation.seed if invocation is not None else None
        try:
            message = serialize(Method(method_id, name, params, seed))
        except TypeError as exc:  # a parameter EJSON has no form for
            self._server_docs.forget(method_id, self.store)
            raise TypeError(f"cannot call {name!r}: {exc}") from None
        if exception is not None:
            if throw_stub_exceptions:
                self._server_docs.forget(method_id, self.store)
                raise exception
            self._events.append(StubFailed(method_id, name, exception))
        invoker = MethodInvoker(
            method_id, name, params, message, wait=wait, no_retry=no_retry
        )
        self._events.append(MethodCalled(method_id, name, params, wait, no_retry))
        if self._machine.permanent:
            self._server_docs.forget(method_id, self.store)
            error = ConnectionLost("the connection is closed for good")
            self._events.append(MethodCompleted(method_id, None, error))
        else:
            self._methods.add(invoker)
        return MethodCall(method_id, value if return_stub_value else None)

    def subscribe(self, name: str, params: Sequence[Any], now: float) -> str:
        """``Meteor.subscribe``: ``sub`` now, and again at every reconnect.

        Raises:
            TypeError: a parameter EJSON has no form for (nothing is kept).
        """
        sub_id = self._new_id()
        sub = _Subscription(name, ejson.clone(list(params)))
        try:
            frame = serialize(Sub(sub_id, name, sub.params))
        except TypeError as exc:
            raise TypeError(f"cannot subscribe to {name!r}: {exc}") from None
        self._subscriptions[sub_id] = sub
        self._events.append(SubscriptionRequested(sub_id, name, sub.params))
        self._send(frame)
        return sub_id

    def unsubscribe(self, sub_id: str, now: float) -> None:
        """``handle.stop()``: ``unsub``, forget it, ``onStop()`` with no error."""
        if self._subscriptions.pop(sub_id, None) is None:
            return
        self._send(serialize(Unsub(sub_id)))
        self._events.append(SubscriptionStopped(sub_id, None))

    def reconnect(self, now: float, *, force: bool = False) -> None:
        """``reconnect()``; ``force`` also drops a live socket.

        Meteor's ``reconnect({url})`` forces a reconnect when connected, so a
        connection moved to another server leaves the old one at once
        (socket-stream-client/common.js ``reconnect``: ``_lostConnection(new
        forcedReconnectError())``, then a retry 10 ms on).
        """
        if force and self.status.status is ConnectionStatus.CONNECTED:
            self._events.append(TransportLost("forced reconnect", local=True))
            self._machine.lost(now, forced=True)
            return
        if self.status.status is ConnectionStatus.CONNECTING:
            self._events.append(TransportLost(None, local=True))  # a clean close
        self._machine.reconnect(now)

    def disconnect(self, now: float) -> None:
        self._say_goodbye()
        if self._machine.has_socket:
            self._events.append(TransportLost(None, local=True))
        self._machine.disconnect()

    def close(self, now: float) -> None:
        self._say_goodbye()
        if self._machine.has_socket:
            self._events.append(TransportLost(None, local=True))
        self._fail_permanently(None, ConnectionLost("the connection was closed"))

    def ping(self, now: float) -> str | None:
        """Measure the round trip: a ``ping`` with an id, answered by ``PongReceived``.

        None when there is no DDP session to ask: before ``connected``, or
        under pre1, whose servers answer a ping with "Bad request".
        """
        if not self._handshake_done or self.version == "pre1":
            return None
        self._pings_sent += 1
        ping_id = f"{PROBE_ID_PREFIX}{self._pings_sent}"
        self._ping_times[ping_id] = now
        self._send(serialize(Ping(ping_id)))
        return ping_id

    # -- status ------------------------------------------------------------
    def _status_changed(self, status: Status) -> None:
        self._events.append(StatusChanged(status))
        if status.status is not ConnectionStatus.CONNECTED:
            self._transport_open = self._handshake_done = False
            self._heartbeat = None  # LC stops it on the stream's disconnect
            self._ping_times.clear()
            self._heartbeat_ping_at = None

    def _lose(self, now: float, reason: str | None, *, forced: bool = False) -> None:
        self._events.append(TransportLost(reason))
        self._machine.lost(now, forced=forced)

    def _fail_permanently(self, reason: str | None, error: DDPError) -> None:
        if self._machine.fail_permanently(reason):
            self._methods.fail_all(error)

    # -- sending -----------------------------------------------------------
    def _send(self, text: str) -> bool:
        """The stream's ``send``: dropped silently while there is no socket."""
        if self._transport_open:
            self._out.append(text)
            return True
        return False

    def _say_goodbye(self) -> None:
        """Leaving on purpose: a resumable server ends the session now."""
        if self._resume and self._handshake_done:
            self._send(_DISCONNECT)

    def _send_method(self, invoker: MethodInvoker) -> None:
        if self._send(invoker.message):
            self._events.append(
                MethodSent(invoker.method_id, invoker.name, invoker.params)
            )

    # -- session messages --------------------------------------------------
    def _on_connected(self, msg: Connected, text: str, now: float) -> None:
        """``_livedata_connected``."""
        self.version = self._version_suggestion
        if self.version != "pre1" and self._heartbeat_interval > 0:
            self._heartbeat = Heartbeat(
                self._heartbeat_interval, self._heartbeat_timeout, now
            )
        previous = self.session
        self.session = msg.session
        self._handshake_done = True
        if previous is not None and previous == msg.session:
            self._resumed(previous)
            return
        self._events.append(
            HandshakeCompleted(msg.session, self.version or "", False, previous)
        )
        self.received_count = 0
        self._methods.new_session()
        if previous is not None:
            self._reset_stores = True
        if self._reset_stores:
            self._server_docs.reset()
        self._after_update = []
        self._subs_being_revived = {
            sub_id for sub_id, sub in self._subscriptions.items() if sub.ready
        }
        blocking = self._methods.blocking_quiescence = set()
        for invoker in list(self._methods.invokers.values()):
            if invoker.got_result:  # result in, data never seen: fire at quiescence
                self._after_update.append(partial(self._methods.data_visible, invoker))
            elif self._reset_stores and invoker.sent_message:
                blocking.add(invoker.method_id)
        self._buffered = []
        if not self._waiting_for_quiescence():
            if self._reset_stores:
                self.store.reconcile(Store())
                self._reset_stores = False
            self._run_after_update()

    def _resumed(self, session: str) -> None:
        """The server kept the session: pick up where we left off (no reset)."""
        self._events.append(
            HandshakeCompleted(
                session, self.version or "", True, session, self.received_count
            )
        )
        self._methods.resumed()
        self._flush_if_quiet()

    def _on_failed(self, msg: Failed, text: str, now: float) -> None:
        if msg.version in self._supported:
            self._version_suggestion = msg.version
            if self.status.connected:  # stream.reconnect({_force: true})
                self._lose(now, "forced reconnect", forced=True)
        else:
            reason = (
                "DDP version negotiation failed; server requested version "
                + msg.version
            )
            self._fail_permanently(reason, VersionMismatch(reason))

    def _on_ping(self, msg: Ping, text: str, now: float) -> None:
        self._send(serialize(Pong(msg.id)))

    def _on_pong(self, msg: Pong, text: str, now: float) -> None:
        if msg.id is None:  # the heartbeat's pong: a round trip for free
            sent, self._heartbeat_ping_at = self._heartbeat_ping_at, None
            if sent is not None:
                self._events.append(PongReceived("", now - sent))
            return
        sent = self._ping_times.pop(msg.id, None)
        if sent is not None:
            self._events.append(PongReceived(msg.id, now - sent))

    def _on_error(self, msg: ErrorMessage, text: str, now: float) -> None:
        self._events.append(ServerErrorReceived(msg.reason, msg.offending_message))

    def _fail_unreadable_result(self, raw: Any, why: str) -> None:
        """A ``result`` whose value cannot be decoded fails its call.

        Meteor's client drops such a frame and the call waits for ever; here
        the caller gets an error it can read (the ``updated`` still completes it).
        """
        if not isinstance(raw, dict) or raw.get("msg") != "result":
            return
        method_id = raw.get("id")
        if isinstance(method_id, str):
            error = MethodError(
                "bad-result", f"the server's result is unreadable: {why}"
            )
            self._methods.result_received(method_id, None, error)

    def _on_result(self, msg: Result, text: str, now: float) -> None:
        error = MethodError.from_wire(msg.error) if msg.error is not None else None
        complaint = self._methods.result_received(msg.id, msg.result, error)
        if complaint is not None:
            self._events.append(BadMessageReceived(text, complaint))

    # -- data messages and quiescence ---------------------------------------
    def _waiting_for_quiescence(self) -> bool:
        return bool(self._subs_being_revived or self._methods.blocking_quiescence)

    def _on_data(self, msg: Message, text: str, now: float) -> None:
        """``_livedata_data``: apply now, or buffer until quiescence."""
        if not (self._subs_being_revived or self._methods.blocking_quiescence):
            self._process(msg, text, self.store)
            if self._after_update:
                self._run_after_update()
            return
        self._buffered.append((msg, text))
        if isinstance(msg, NoSub):
            self._subs_being_revived.discard(msg.id)
        elif isinstance(msg, Ready):
            self._subs_being_revived.difference_update(msg.subs)
        elif isinstance(msg, Updated):
            self._methods.blocking_quiescence.difference_update(msg.methods)
        self._flush_if_quiet()

    def _flush_if_quiet(self) -> None:
        """Quiescence reached: apply what was buffered, reconcile a reset."""
        if self._waiting_for_quiescence():
            return
        buffered, self._buffered = self._buffered, []
        target = Store() if self._reset_stores else self.store
        for old_msg, old_text in buffered:
            self._process(old_msg, old_text, target)
        if self._reset_stores:
            self.store.reconcile(target)
            self._reset_stores = False
        self._run_after_update()

    def _process(self, msg: Message, text: str, store: Store) -> None:
        """``_processOneDataMessage`` into ``store``."""
        if isinstance(msg, _ADDS):
            key = (msg.collection, msg.id)
            if self._server_docs.docs and self._server_docs.added(key, msg.fields):
                if store is self.store:
                    return  # the stub's version stays until `updated`
                # A reset while a stub holds it: keep the stub's version.
                fields = self.store.get(*key) or msg.fields
            else:
                fields = msg.fields
            if isinstance(msg, Added):
                new = store.added(msg.collection, msg.id, fields)
            else:
                new = store.added_before(msg.collection, msg.id, fields, msg.before)
            if not new:
                self._events.append(BadMessageReceived(text, _ADD_PRESENT))
        elif isinstance(msg, Changed):
            key = (msg.collection, msg.id)
            # A document a stub wrote takes server changes into its snapshot.
            if not self._server_docs.changed(
                key, msg.fields, msg.cleared
            ) and not store.changed(msg.collection, msg.id, msg.fields, msg.cleared):
                self._events.append(BadMessageReceived(text, _CHANGE_MISSING))
        elif isinstance(msg, Removed):
            if not self._server_docs.removed(
                (msg.collection, msg.id)
            ) and not store.removed(msg.collection, msg.id):
                self._events.append(BadMessageReceived(text, _REMOVE_MISSING))
        elif isinstance(msg, MovedBefore):
            store.moved_before(msg.collection, msg.id, msg.before)
        elif isinstance(msg, Ready):
            for sub_id in msg.subs:
                self._when_flushed(partial(self._sub_ready, sub_id))
        elif isinstance(msg, Updated):
            for method_id in msg.methods:
                self._process_updated(method_id, text, store)
        # NoSub: its effect is immediate; it is buffered only for quiescence.

    def _process_updated(self, method_id: str, text: str, store: Store) -> None:
        invoker = self._methods.invokers.get(method_id)
        if invoker is None:  # Meteor throws "No callback invoker for method"
            if method_id in self._methods.abandoned:
                return  # a no_retry call's late answer on a resumed session
            reason = f"No callback invoker for method {method_id}"
            self._events.append(BadMessageReceived(text, reason))
            return
        invoker.updated = True
        self._server_docs.updated(method_id, store)
        self._when_flushed(partial(self._methods.data_visible, invoker))

    def _when_flushed(self, f: Callable[[], None]) -> None:
        self._server_docs.run_when_flushed(f, self._was_sent, self._after_update)

    def _was_sent(self, method_id: str) -> bool:
        invoker = self._methods.invokers.get(method_id)
        return invoker is not None and invoker.sent_message

    def _run_after_update(self) -> None:
        callbacks, self._after_update = self._after_update, []
        for callback in callbacks:
            callback()

    def _sub_ready(self, sub_id: str) -> None:
        sub = self._subscriptions.get(sub_id)
        if sub is None or sub.ready:  # unsubscribed, or a repeated ready
            return
        sub.ready = True
        self._events.append(SubscriptionReady(sub_id))

    def _on_nosub(self, msg: NoSub, text: str, now: float) -> None:
        self._on_data(msg, text, now)
        if self._subscriptions.pop(msg.id, None) is None:
            return  # we unsubscribed (or never knew it)
        error = None
        if msg.error is not None:
            built = SubscriptionError.from_wire(
                msg.error
            )  # cls(...): a SubscriptionError
            assert isinstance(built, SubscriptionError)
            error = built
        self._events.append(SubscriptionStopped(msg.id, error))


def _ignore(msg: Any, text: str, now: float) -> None:
    """Frames Meteor's client accepts and does nothing with."""
