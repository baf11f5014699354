"""The server side of one DDP socket, as plain code: ``ServerSession``.

Owns what Meteor's ``packages/ddp-server/livedata_server.js`` does per socket
(the ``Server`` ctor's ``socket.on('data')`` checks, ``_handleConnect``,
``Session.processMessage`` and ``protocol_handlers``, the subscriptions,
universal subscriptions, ``_setUserId``'s rerun-and-diff and close); imports
the shared ``ddp`` modules (``ejson``, ``errors``, ``heartbeat``, ``ids``,
``jsontext``, ``messages``) and its siblings ``mergebox``, ``subscription`` and ``events``
(what it emits). Sockets, timers and the user's handlers live in
``transport.server``.

Contract (websockets' sans-I/O style, time as in aioquic): feed
``receive_text(text, now)`` and ``handle_timer(now)``; after every call take
``messages_to_send()`` (frames, in order) and ``events()`` (what the driver
must do: run a method or a publication, close the socket). The driver answers
with ``method_finished`` / ``unblock`` / ``handler_finished``.

Order of checks, exactly as Meteor (reference §1.4): not JSON or not an object
-> "Bad request" without offendingMessage; bad EJSON -> "Parse error"; no
``msg`` -> "Bad request"; ``connect`` on a live session -> "Already
connected"; anything before ``connect`` -> "Must connect first"; then
``ping``/``pong`` at once, and everything else through a FIFO where a method or
publication blocks the next message until it finishes or unblocks.

Session resumption (Meteor's newest ``ddp-server``, pull request #14051; on
when ``disconnect_grace_period`` > 0): a ``connect`` carrying ``session`` and
``receivedCount`` becomes ``ResumeRequested`` and the driver decides (the
registry of sessions is the server's); a socket lost without a ``disconnect``
message ``detach``es the session, which keeps running and holding its output
(``resumption.SentFrames``) until a new socket ``resume``s it or the grace
period ends; ``disconnect`` ends the session at once.

Over 400 lines: the setUserId rerun shares the queue, the merge box and the
ready gating with everything else here, and resumption the outbox and the
heartbeat; a separate module would reach into all of them (what resumption
keeps of the output is in ``resumption``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ddp_monitor.ddp import messages
from ddp_monitor.ddp.ejson import UNDEFINED, to_json_value, to_plain_json
from ddp_monitor.ddp.errors import ProtocolError, meteor_error_dict
from ddp_monitor.ddp.heartbeat import (
    SERVER_INTERVAL,
    SERVER_TIMEOUT,
    Heartbeat,
    HeartbeatAction,
)
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.ddp.jsontext import dumps
from ddp_monitor.ddp.server.events import (
    BadMessageReceived,
    CloseRequested,
    MessageReceived,
    MethodInvoked,
    ResumeRequested,
    ServerEvent,
    SessionResumed,
    SessionStarted,
    SubscriptionStarted,
    SubscriptionStopped,
)
from ddp_monitor.ddp.server.mergebox import MergeBox
from ddp_monitor.ddp.server.resumption import (
    DEFAULT_MAX_MESSAGE_QUEUE_LENGTH,
    SentFrames,
)
from ddp_monitor.ddp.server.subscription import ServerSubscription

__all__ = ["ServerSession"]


class ServerSession:
    """One socket's DDP session.

    Args:
        now: monotonic seconds when the socket opened.
        methods: names of the known methods (looked up at call time).
        publications: names of the known publications.
        new_id: makes the session id (Random.id()).
        heartbeat_interval / heartbeat_timeout: seconds; 0 turns heartbeats off.
        disconnect_grace_period: seconds a session outlives its socket for a
            resumption; 0 (the default here) is Meteor before resumption.
        max_message_queue_length: frames kept for a replay, and held at
            most while detached.
    """

    def __init__(
        self,
        now: float,
        *,
        methods: Callable[[str], bool],
        publications: Callable[[str], bool],
        new_id: Callable[[], str] = random_id,
        heartbeat_interval: float = SERVER_INTERVAL,
        heartbeat_timeout: float = SERVER_TIMEOUT,
        disconnect_grace_period: float = 0.0,
        max_message_queue_length: int = DEFAULT_MAX_MESSAGE_QUEUE_LENGTH,
    ) -> None:
        self.id: str | None = None
        #: emit ``MessageReceived`` as each queued message runs (onMessage hooks)
        self.report_messages = False
        self.version: str | None = None
        self.closed = False
        self.user_id: str | None = None
        self.messages_in = 0
        self.messages_out = 0
        self.subscriptions: dict[str, ServerSubscription] = {}
        #: methods whose handler runs now: id -> name (an agent lists them)
        self.methods_running: dict[str, str] = {}
        self._has_method = methods
        self._has_publication = publications
        self._new_id = new_id
        self._heartbeat_settings = (heartbeat_interval, heartbeat_timeout)
        self._heartbeat: Heartbeat | None = None
        self._outbox: list[str] = []
        self._events: list[ServerEvent] = []
        self._queue: deque[dict[str, Any]] = deque()
        self._blocker: object | None = None  # method id or subscription running
        self.universal_subs: list[ServerSubscription] = []
        # livedata_server.js Session: _isSending, _pendingReady and
        # _dontStartNewUniversalSubs, the state of a setUserId rerun.
        self._is_sending = True
        self._pending_ready: list[str] = []
        self._dont_start_new_universal_subs = False
        self._previous_box: MergeBox | None = None
        self.merge_box = MergeBox(self._send_data, dumps)
        # Session resumption: None when off.
        self.grace_period = disconnect_grace_period
        self.sent_frames = (
            SentFrames(max_message_queue_length)
            if disconnect_grace_period > 0
            else None
        )
        #: while no socket is attached: when the grace period ends
        self.detached_until: float | None = None
        self.resumptions = 0
        self.frames_replayed = 0
        self._unrecorded = 0  # leading outbox frames already in the history
        self._held: list[str] | None = None  # frames after a resuming connect
        self._pending_version = ""
        # Method ids run in this session, newest last: after a resumption
        # the client re-sends calls whose answer it has not seen.
        self._method_ids: dict[str, None] = {}

    # -- driver API -----------------------------------------------------------

    def messages_to_send(self) -> list[str]:
        out, self._outbox[:] = self._outbox[:], []
        sent = self.sent_frames
        if sent is not None and out:
            if self.detached_until is not None:
                if not sent.held(out):
                    self.close("more frames waited than max_message_queue_length")
                return []
            sent.sent(out[self._unrecorded :] if self._unrecorded else out)
            self._unrecorded = 0
        self.messages_out += len(out)
        return out

    @property
    def pending_output(self) -> int:
        """How many frames wait in ``messages_to_send()``."""
        return len(self._outbox)

    def events(self) -> list[ServerEvent]:
        out, self._events = self._events, []
        return out

    def next_deadline(self) -> float | None:
        if self.detached_until is not None:
            return self.detached_until
        return None if self._heartbeat is None else self._heartbeat.next_deadline()

    def handle_timer(self, now: float) -> None:
        if self.detached_until is not None and now >= self.detached_until:
            self.close("the disconnect grace period ended")
        if self._heartbeat is None or self.closed:
            return
        action = self._heartbeat.handle_timer(now)
        if action is HeartbeatAction.SEND_PING:
            self._outbox.append('{"msg":"ping"}')
        elif action is HeartbeatAction.TIMED_OUT:
            self.close("heartbeat timed out")

    def receive_text(self, text: str, now: float) -> None:
        """One frame from the socket (Meteor's ``socket.on('data')``)."""
        if self.closed:
            return
        if self._held is not None:  # the driver has yet to answer ResumeRequested
            self._held.append(text)
            return
        self.messages_in += 1
        try:
            raw = messages.decode(text)
        except ProtocolError as exc:
            self._send_error(exc.reason, None, text)
            return
        kind = raw.get("msg") if isinstance(raw, dict) else None
        if not kind:
            self._send_error("Bad request", raw, text)
        elif kind == "connect":
            if self.id is not None:
                self._send_error("Already connected", raw, text)
            else:
                self._handle_connect(raw, now)
        elif self.id is None:
            self._send_error("Must connect first", raw, text)
        else:
            self._process_message(raw, text)

    def method_finished(
        self, method_id: str, result: Any = None, error: dict[str, Any] | None = None
    ) -> None:
        """The method's handler returned ``result`` or failed with ``error`` (wire shape).

        Its writes have already reached every merge box (collections call
        observers synchronously), so the write fence fires at once and
        ``updated`` goes out before ``result``, as Meteor's does (§5.3).
        """
        self.methods_running.pop(method_id, None)
        if self.closed:
            return
        self._outbox.append(messages.serialize(messages.Updated([method_id])))
        payload: dict[str, Any] = {"msg": "result", "id": method_id}
        if error is not None:
            payload["error"] = error
        elif result is not UNDEFINED:
            payload["result"] = to_json_value(result)
        self._outbox.append(dumps(payload))
        self.unblock(method_id)

    def unblock(self, blocker: object) -> None:
        """Let the next queued message run (``this.unblock()``); idempotent."""
        if self._blocker is not None and self._blocker == blocker:
            self._blocker = None
            self._run_queue()

    def handler_finished(self, sub: ServerSubscription) -> None:
        """The publication's handler returned (or its coroutine completed)."""
        self.unblock(sub)

    def close(self, reason: str = "closed") -> None:
        """Meteor's ``Session.close``: synchronous part only.

        Drops the merge box without sending ``removed``/``nosub`` and asks the
        driver to close the socket; the driver then calls ``deactivate_all()``
        and the on_close callbacks, deferred (§7.6).
        """
        if self.closed:
            return
        self.closed = True
        self.detached_until = None
        self.sent_frames = None  # nothing to replay any more
        self.merge_box.clear()
        self._previous_box = None
        self._pending_ready.clear()
        self._heartbeat = None
        self._queue.clear()
        self._events.append(CloseRequested(reason))

    # -- session resumption ------------------------------------------------------

    def detach(self, now: float) -> None:
        """The socket is gone without a ``disconnect``: hold on, or end (no resumption)."""
        if self.closed:
            return
        if self.sent_frames is None or self.id is None:
            self.close("socket closed")
            return
        self.detached_until = now + self.grace_period
        self._heartbeat = None

    def resume(self, now: float, received_count: int, version: str) -> bool:
        """A new socket asks for this session: queue ``connected`` and the replay.

        False (nothing changes) when the session cannot serve it: ended, not
        resumable, another version, or a count its history does not hold.
        """
        sent = self.sent_frames
        if (
            sent is None
            or self.closed
            or self.id is None
            or version != self.version
            or not sent.can_resume(received_count)
        ):
            return False
        if self._outbox:  # made since the last pump: they follow the gap
            sent.held(self._outbox)
            self._outbox.clear()
        replay = sent.replay(received_count)
        self._outbox[:] = [messages.serialize(messages.Connected(self.id)), *replay]
        self._unrecorded = len(self._outbox)
        self.detached_until = None
        if self.version != "pre1" and self._heartbeat_settings[0] > 0:
            self._heartbeat = Heartbeat(*self._heartbeat_settings, now=now)
        self.resumptions += 1
        self.frames_replayed += len(replay)
        self._events.append(SessionResumed(self.id, len(replay)))
        return True

    def hand_over(self) -> list[str]:
        """This socket's connect resumed another session: the frames it held, and stop."""
        held, self._held = self._held or [], None
        self.closed = True  # silently: the socket now serves the other session
        return held

    def resume_refused(self, now: float) -> None:
        """No session to resume: a new one, then the frames held meanwhile."""
        held, self._held = self._held or [], None
        self._start(self._pending_version, now)
        for text in held:
            self.receive_text(text, now)

    def deactivate_all(self) -> None:
        """Run every subscription's stop callbacks (after ``close``)."""
        subs = [*self.subscriptions.values(), *self.universal_subs]
        self.subscriptions, self.universal_subs = {}, []
        for sub in subs:
            sub.deactivate()

    # -- universal subscriptions and setUserId (livedata_server.js Session) ---

    def start_universal(self, handler: object) -> ServerSubscription | None:
        """``_startSubscription(handler)`` for a universal publication.

        Returns the sub for the driver to run (it does not block the message
        queue), or None when the session is closed or a ``setUserId`` rerun
        will start it itself (``_dontStartNewUniversalSubs``).
        """
        if self.closed or self._dont_start_new_universal_subs:
            return None
        sub = ServerSubscription(self, None, None, [], handler)
        self.universal_subs.append(sub)
        return sub

    def begin_set_user_id(self, user_id: str | None) -> list[ServerSubscription]:
        """First half of ``_setUserId``: returns the named subs to run again, in order.

        Every sub (named, then universal) is deactivated (stop callbacks run,
        no ``removed`` sent), data messages stop going out, the view starts
        empty and ``user_id`` changes. The driver runs each returned sub's
        handler in turn, then calls ``universal_subs_allowed()``, starts the
        server's universal publications, and ends with ``end_set_user_id()``.
        The message queue stays blocked meanwhile.

        Raises:
            TypeError: ``user_id`` is neither a string nor None (Meteor's words).
        """
        if user_id is not None and not isinstance(user_id, str):
            kind = "number" if isinstance(user_id, int | float) else "object"
            raise TypeError(f"setUserId must be called on string or null, not {kind}")
        if self._previous_box is not None:
            raise RuntimeError("setUserId is already re-running the subscriptions")
        self._dont_start_new_universal_subs = True
        for sub in [*self.subscriptions.values(), *self.universal_subs]:
            sub.deactivate()
        self._is_sending = False
        self._previous_box = self.merge_box
        self.merge_box = MergeBox(self._send_data, dumps)
        self.user_id = user_id
        old, self.subscriptions, self.universal_subs = self.subscriptions, {}, []
        for sub_id, sub in old.items():
            self.subscriptions[sub_id] = sub.recreate()
        return list(self.subscriptions.values())

    def universal_subs_allowed(self) -> None:
        """The named subs have run; universal ones may start again."""
        self._dont_start_new_universal_subs = False

    def end_set_user_id(self) -> None:
        """Last half of ``_setUserId``: the diff, then every held-back ``ready`` at once."""
        previous, self._previous_box = self._previous_box, None
        self._dont_start_new_universal_subs = False
        self._is_sending = True
        if previous is None or self.closed:
            self._pending_ready.clear()
            return
        self.merge_box.send_diff_from(previous)
        if self._pending_ready:
            ready, self._pending_ready = self._pending_ready, []
            self._outbox.append(messages.serialize(messages.Ready(ready)))
        if self._blocker is None:
            self._run_queue()

    def send_ready(self, sub_id: str) -> None:
        """``sendReady``: at once, or held back while a rerun is in progress."""
        if self.closed:
            return
        if self._is_sending:
            self._outbox.append('{"msg":"ready","subs":[' + dumps(sub_id) + "]}")
        else:
            self._pending_ready.append(sub_id)

    def _send_data(self, frame: str) -> None:
        # sendAdded / sendChanged / sendRemoved: dropped while _isSending is false.
        if self._is_sending:
            self._outbox.append(frame)

    # -- protocol -------------------------------------------------------------

    def _handle_connect(self, raw: dict[str, Any], now: float) -> None:
        # livedata_server.js _handleConnect and calculateVersion.
        version, support = raw.get("version"), raw.get("support")
        ok = (
            isinstance(version, str)
            and isinstance(support, list)
            and all(isinstance(v, str) for v in support)
            and version in support
        )
        chosen = messages.SUPPORTED_VERSIONS[0]
        if ok and isinstance(support, list):
            chosen = next(
                (v for v in support if v in messages.SUPPORTED_VERSIONS), chosen
            )
        if not ok or version != chosen:
            self._outbox.append(messages.serialize(messages.Failed(chosen)))
            self.close("DDP version negotiation failed")
            return
        session, count = raw.get("session"), raw.get("receivedCount")
        if (
            self.sent_frames is not None
            and type(session) is str
            and type(count) is int
            and count >= 0
        ):
            self._held = []
            self._pending_version = chosen
            self._events.append(ResumeRequested(session, count, chosen))
            return
        self._start(chosen, now)

    def _start(self, chosen: str, now: float) -> None:
        self.id = self._new_id()
        self.version = chosen
        if chosen != "pre1" and self._heartbeat_settings[0] > 0:
            self._heartbeat = Heartbeat(*self._heartbeat_settings, now=now)
        self._outbox.append(messages.serialize(messages.Connected(self.id)))
        self._events.append(SessionStarted(self.id, chosen))

    def _process_message(self, raw: dict[str, Any], text: str) -> None:
        if self._heartbeat is not None:
            self._heartbeat.message_received()
        kind = raw["msg"]
        if self.version != "pre1" and kind in ("ping", "pong"):
            if kind == "ping":
                self._pong(raw)
            return
        if kind == "disconnect" and self.sent_frames is not None:
            # The client leaves on purpose: no grace period, whatever is queued.
            if self.report_messages:
                self._events.append(MessageReceived(raw))
            self.close("the client disconnected")
            return
        self._queue.append(raw)
        if self._blocker is None:
            self._run_queue()

    def _pong(self, raw: dict[str, Any]) -> None:
        # send({msg: "pong", id: msg.id}): JSON.stringify drops an undefined id
        # but writes a null one.
        if "id" not in raw:
            self._outbox.append('{"msg":"pong"}')
            return
        ping_id = raw["id"]
        if isinstance(ping_id, str) or not ping_id:
            self._outbox.append(dumps({"msg": "pong", "id": ping_id}))
        # A truthy non-string id makes stringifyDDP throw: Meteor logs, sends nothing.

    def _run_queue(self) -> None:
        while (
            self._queue
            and self._blocker is None
            and not self.closed
            and self._previous_box is None  # no message runs during a rerun
        ):
            raw = self._queue.popleft()
            if self.report_messages:  # the onMessage hooks see it first
                self._events.append(MessageReceived(raw))
            kind = raw["msg"]
            if kind == "method":
                self._handle_method(raw)
            elif kind == "sub":
                self._handle_sub(raw)
            elif kind == "unsub":
                self.stop_subscription(raw.get("id", UNDEFINED))
            else:
                self._send_error("Bad request", raw, None)

    def _handle_method(self, raw: dict[str, Any]) -> None:
        try:
            if "randomSeed" in raw and not isinstance(raw["randomSeed"], str):
                raise ProtocolError("Malformed method invocation")  # even null
            msg = messages.from_dict(raw)
        except ProtocolError as exc:
            self._send_error(exc.reason, raw, None)
            return
        assert isinstance(msg, messages.Method)
        if self.sent_frames is not None:
            if self.resumptions and msg.id in self._method_ids:
                return  # answered (the replay has it) or still running
            self._remember_method(msg.id)
        if not self._has_method(msg.method):
            error = meteor_error_dict(404, f"Method '{msg.method}' not found")
            self._outbox.append(
                messages.serialize(messages.Result(msg.id, error=error))
            )
            self._outbox.append(messages.serialize(messages.Updated([msg.id])))
            return
        self._blocker = msg.id
        self.methods_running[msg.id] = msg.method
        self._events.append(
            MethodInvoked(msg.id, msg.method, msg.params, msg.random_seed)
        )

    def _remember_method(self, method_id: str) -> None:
        ids = self._method_ids
        ids[method_id] = None
        # A re-sent call's answer is at most a history away; keep a margin.
        if len(ids) > 4 * (self.sent_frames.limit if self.sent_frames else 0):
            del ids[next(iter(ids))]

    def _handle_sub(self, raw: dict[str, Any]) -> None:
        try:
            msg = messages.from_dict(raw)
        except ProtocolError as exc:
            self._send_error(exc.reason, raw, None)
            return
        assert isinstance(msg, messages.Sub)
        if not self._has_publication(msg.name):
            error = meteor_error_dict(404, f"Subscription '{msg.name}' not found")
            self._outbox.append(messages.serialize(messages.NoSub(msg.id, error)))
            return
        if msg.id in self.subscriptions:
            return  # ignored, not an error: this is what happens on reconnect
        sub = ServerSubscription(self, msg.id, msg.name, msg.params)
        self.subscriptions[msg.id] = sub
        self._blocker = sub
        self._events.append(SubscriptionStarted(sub))

    def stop_subscription(
        self, sub_id: Any, error: dict[str, Any] | None = None
    ) -> None:
        """``_stopSubscription``: its documents removed, stop callbacks, then ``nosub``.

        ``sub_id`` UNDEFINED (a universal sub, or an ``unsub`` without an id)
        sends a bare ``nosub`` and stops nothing, as Meteor does.
        """
        sub = self.subscriptions.pop(sub_id, None) if isinstance(sub_id, str) else None
        if sub is not None:
            sub.remove_all_documents()
            sub.deactivate()
            self._events.append(SubscriptionStopped(sub_id))
            if self._blocker is sub:  # stopped while its handler still runs
                self._blocker = None
        if sub_id and sub_id is not UNDEFINED and not isinstance(sub_id, str):
            # stringifyDDP throws "Message id is not a string": Meteor sends no
            # nosub (and its queue stalls for good; ours goes on).
            return
        payload: dict[str, Any] = {"msg": "nosub"}
        if sub_id is not UNDEFINED:  # JSON.stringify drops an undefined id
            payload["id"] = sub_id
        if error is not None:
            payload["error"] = error
        self._outbox.append(dumps(payload))

    def _send_error(self, reason: str, offending: Any, text: str | None) -> None:
        payload: dict[str, Any] = {"msg": "error", "reason": reason}
        if offending is not None:
            # Meteor's stringifyDDP turns only the error's own fields back
            # into EJSON: the offending message, decoded, is JSON.stringify'd.
            payload["offendingMessage"] = to_plain_json(offending)
        frame = dumps(payload)
        self._outbox.append(frame)
        self._events.append(
            BadMessageReceived(text if text is not None else frame, reason)
        )
