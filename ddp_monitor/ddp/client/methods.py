"""Outstanding method calls, as Meteor's client keeps them.

Owns ``MethodInvoker`` (``packages/ddp-client/common/MethodInvoker.js``) and
``MethodQueue``: ``_outstandingMethodBlocks``, ``_methodInvokers``,
``_methodsBlockingQuiescence`` and the re-send on every transport reset
(``livedata_connection.js`` ``onReset``,
``_callOnReconnectAndSendAppropriateOutstandingMethods``). Imports
``ddp.errors`` and ``ddp.client.events``; it never touches the wire itself: ``send``
writes a method frame and says whether it really went out.

Rules kept exactly: a wait call gets its own block; other calls join the last
block unless it is a wait block; only block 0 is sent; a ``result`` is
matched against block 0 only; a call completes (callback) when its result is
in and its data is visible; block 0 is shifted, and the next block sent, when
no invoker that was sent is left.

Session resumption adds two facts per session: which calls' ``updated``
came (a resumed server does not send it again for a re-sent call) and which
``no_retry`` calls were failed at the reset (their late answers on a resumed
session are dropped quietly: the caller already has its error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ddp_monitor.ddp.client.events import Event, MethodCompleted, MethodResultReceived
from ddp_monitor.ddp.errors import DDPError, MethodError

__all__ = [
    "MethodBlock",
    "MethodCall",
    "MethodInvoker",
    "MethodQueue",
    "no_retry_error",
]


def no_retry_error() -> MethodError:
    """Meteor's exact error for a no_retry call cut by a reconnect (LC onReset)."""
    return MethodError(
        "invocation-failed",
        "Method invocation might have failed due to dropped connection. "
        "Failing because `noRetry` option was passed to Meteor.apply.",
    )


@dataclass(frozen=True, slots=True)
class MethodCall:
    """What ``apply`` returns: the method id and the stub's return value.

    ``id`` is "" for a call made inside a running stub: Meteor runs only the
    nested stub then, sends nothing and allocates no id.
    """

    id: str
    stub_value: Any = None


class MethodInvoker:
    """One call: its frame, whether it was sent, its result, its data."""

    __slots__ = (
        "data_visible",
        "error",
        "got_result",
        "message",
        "method_id",
        "name",
        "no_retry",
        "params",
        "result",
        "sent_message",
        "updated",
        "wait",
    )

    def __init__(
        self,
        method_id: str,
        name: str,
        params: list[Any],
        message: str,
        *,
        wait: bool = False,
        no_retry: bool = False,
    ) -> None:
        self.method_id = method_id
        self.name = name
        self.params = params
        self.message = message
        self.wait = wait
        self.no_retry = no_retry
        self.sent_message = False
        self.got_result = False
        self.data_visible = False
        self.updated = False  # the server's `updated` for it came on this session
        self.result: Any = None
        self.error: MethodError | None = None


@dataclass(slots=True)
class MethodBlock:
    wait: bool
    methods: list[MethodInvoker] = field(default_factory=list)


class MethodQueue:
    """``_outstandingMethodBlocks`` with the invokers and their life cycle."""

    def __init__(
        self,
        send: Callable[[MethodInvoker], None],
        emit: Callable[[Event], None],
    ) -> None:
        self._send = send
        self._emit = emit
        self._next_id = 1  # never reset, not even across reconnects
        self.blocks: list[MethodBlock] = []
        self.invokers: dict[str, MethodInvoker] = {}
        #: wait calls in flight (and, after a reconnect, calls sent on the new
        #: socket before ``connected``): all data is buffered until their
        #: ``updated``.
        self.blocking_quiescence: set[str] = set()
        #: no_retry calls failed at a reset whose session may yet resume
        self.abandoned: set[str] = set()

    def next_id(self) -> str:
        method_id = str(self._next_id)
        self._next_id += 1
        return method_id

    def add(self, invoker: MethodInvoker) -> None:
        """``_addOutstandingMethod``; sends at once when it lands in block 0."""
        self.invokers[invoker.method_id] = invoker
        if invoker.wait:
            self.blocks.append(MethodBlock(True, [invoker]))
        else:
            if not self.blocks or self.blocks[-1].wait:
                self.blocks.append(MethodBlock(False))
            self.blocks[-1].methods.append(invoker)
        if len(self.blocks) == 1:
            self.send_message(invoker)

    def send_message(self, invoker: MethodInvoker) -> None:
        """``MethodInvoker.sendMessage``: marked sent even while offline."""
        invoker.data_visible = False  # a re-send makes earlier data moot
        invoker.sent_message = True
        if invoker.wait:
            self.blocking_quiescence.add(invoker.method_id)
        self._send(invoker)

    def result_received(
        self, method_id: str, result: Any, error: MethodError | None
    ) -> str | None:
        """``_livedata_result``; returns Meteor's complaint when it cannot match."""
        if method_id in self.abandoned:
            return None
        if not self.blocks:
            return "Received method result but no methods outstanding"
        block = self.blocks[0].methods
        for index, invoker in enumerate(block):
            if invoker.method_id == method_id:
                # The block may empty here; it moves on only in _finished().
                del block[index]
                self.receive_result(invoker, result, error)
                return None
        return "Can't match method response to original method call"

    def receive_result(
        self, invoker: MethodInvoker, result: Any, error: MethodError | None
    ) -> None:
        invoker.got_result = True
        invoker.result = result
        invoker.error = error
        self._emit(MethodResultReceived(invoker.method_id, result, error))
        self._maybe_complete(invoker)

    def data_visible(self, invoker: MethodInvoker) -> None:
        invoker.data_visible = True
        self._maybe_complete(invoker)

    def _maybe_complete(self, invoker: MethodInvoker) -> None:
        if invoker.got_result and invoker.data_visible:
            self._emit(
                MethodCompleted(invoker.method_id, invoker.result, invoker.error)
            )
            self.invokers.pop(invoker.method_id, None)
            self._finished()

    def _finished(self) -> None:
        """``_outstandingMethodFinished``: shift block 0, send the next one."""
        if any(i.sent_message for i in self.invokers.values()):
            return
        if self.blocks:
            self.blocks.pop(0)
            self.send_block_0()

    def send_block_0(self) -> None:
        """``_sendOutstandingMethods``."""
        if self.blocks:
            for invoker in self.blocks[0].methods:
                self.send_message(invoker)

    def reset(self, on_reconnect: Callable[[], None] | None) -> None:
        """A transport opened (``onReset`` after ``connect``): §5.6 steps 2-6."""
        if self.blocks:
            kept = []
            for invoker in self.blocks[0].methods:
                if invoker.sent_message and invoker.no_retry:
                    self.abandoned.add(invoker.method_id)
                    self.receive_result(invoker, None, no_retry_error())
                else:
                    kept.append(invoker)
            self.blocks[0].methods = kept
        if self.blocks and not self.blocks[0].methods:
            self.blocks.pop(0)
        for invoker in self.invokers.values():
            invoker.sent_message = False
        old_blocks, self.blocks = self.blocks, []
        if on_reconnect is not None:
            on_reconnect()  # its calls land in fresh blocks and go first
        if not old_blocks:
            return
        if not self.blocks:
            self.blocks = old_blocks
            self.send_block_0()
            return
        if not self.blocks[-1].wait and not old_blocks[0].wait:
            merged = self.blocks[-1]
            for invoker in old_blocks.pop(0).methods:
                merged.methods.append(invoker)
                if len(self.blocks) == 1:
                    self.send_message(invoker)
        self.blocks.extend(old_blocks)

    def new_session(self) -> None:
        """A new session: nothing the old one said about calls holds any more."""
        self.abandoned.clear()
        for invoker in self.invokers.values():
            invoker.updated = False

    def resumed(self) -> None:
        """The session resumed: the server neither re-runs nor re-answers calls.

        A re-sent call whose ``updated`` came before the drop has its data
        visible again (the re-send had cleared it) and blocks no quiescence;
        a no_retry call failed at the reset completes now, as it would at a
        new session's quiescence.
        """
        for invoker in list(self.invokers.values()):
            if invoker.updated:
                self.blocking_quiescence.discard(invoker.method_id)
                if not invoker.data_visible:
                    self.data_visible(invoker)
            elif invoker.method_id in self.abandoned and invoker.got_result:
                self.data_visible(invoker)

    def fail_all(self, error: DDPError) -> None:
        """The connection closed for good: every call completes with ``error``.

        Meteor never calls these callbacks back (an "XXX" in LC); a caller
        awaiting a result must not hang, so here they complete.
        """
        invokers = list(self.invokers.values())
        self.invokers.clear()
        self.blocks.clear()
        self.blocking_quiescence.clear()
        for invoker in invokers:
            if invoker.got_result:  # only its data was missing
                done = MethodCompleted(invoker.method_id, invoker.result, invoker.error)
            else:
                done = MethodCompleted(invoker.method_id, None, error)
            self._emit(done)
