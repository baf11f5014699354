"""Replaying a recording: what the client did, in order, and what it was answered.

Owns the replay ``Plan`` made from a ``Recording`` (``plan``) and ``Answers``,
the one collector of answers, fed core events by the plan (from the file) and
by the runner (``recording.replay_run``, from a live client) alike, so both
sides of a comparison are gathered by the same code. Imports the standard
library, ``ddp`` values and its siblings ``format``, ``masking`` and
``recorder``; no I/O, no clock (times come from the recording).

What is replayed: every ``method_called`` (name, params, ``wait``,
``noRetry``), every ``sub_requested`` and every stop the client made itself
(a ``sub_stopped`` not caused by a ``nosub`` frame). A ``login`` whose
parameters were masked is replayed with fresh credentials; any other call with
masked parameters is skipped (its secrets are not in the file), and so are the
re-logins Meteor's client makes after a reconnect (``Accounts``' on_reconnect:
a ``login`` made between a drop and the next handshake).

Each action waits for the answers the recording had received before it was
made (its ``after``), so the replay keeps the recording's causal order even
without its pacing: a call made after a subscription was ready is made after
it is ready again.

What an answer is, as JSON values (EJSON, masked as in the file):

- a call: ``{"result": value}`` or ``{"error": Meteor.Error object}``, from
  the first ``method_result`` / ``method_completed``;
- a subscription: ``{"outcome": "ready", "documents": {collection: {id:
  fields}}}``, the whole of each collection that changed while it waited for
  ``ready`` (its own documents, and whatever else arrived meanwhile); or
  ``{"outcome": "nosub", "error": object | null}`` when the server ended it
  first. A ``nosub`` after ``ready`` does not change the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentRemoved,
    Event,
    HandshakeCompleted,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
    TransportLost,
)
from ddp_monitor.ddp.ejson import to_json_value
from ddp_monitor.ddp.errors import DDPError, MethodError
from ddp_monitor.recording.format import RecordedFrame
from ddp_monitor.recording.masking import mask_document, mask_result
from ddp_monitor.recording.recorder import Recording

__all__ = [
    "CALL",
    "SUBSCRIPTION",
    "Action",
    "Answers",
    "Call",
    "Plan",
    "Ref",
    "Skipped",
    "Subscribe",
    "Unsubscribe",
    "plan",
]

CALL: Final = "call"
SUBSCRIPTION: Final = "subscription"

#: ``(kind, index)``: a call's or a subscription's number in the recording
#: (1-based, in the order they were made).
Ref = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Call:
    """A method call to make again; ``login``: with fresh credentials."""

    index: int
    t: float
    name: str
    params: list[Any]
    wait: bool = False
    no_retry: bool = False
    login: bool = False
    after: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscribe:
    index: int
    t: float
    name: str
    params: list[Any]
    after: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """The client stopped subscription ``index`` (``handle.stop()``)."""

    index: int
    t: float
    after: tuple[Ref, ...] = ()


Action = Call | Subscribe | Unsubscribe


@dataclass(frozen=True, slots=True)
class Skipped:
    """A call or subscription in the recording that is not compared, and why."""

    kind: str
    index: int
    name: str
    why: str


@dataclass
class Plan:
    """What to send, in order, and what the recording says came back."""

    actions: list[Action]
    answers: dict[Ref, Any]  # only what the recording has an answer for
    names: dict[Ref, str]
    documents: dict[str, dict[str, Any]]  # every collection at the end
    skipped: list[Skipped] = field(default_factory=list)
    #: the file starts mid-connection (the ring dropped items, or a span)
    partial: bool = False

    @property
    def logins(self) -> int:
        return sum(isinstance(a, Call) and a.login for a in self.actions)

    def count(self, kind: str) -> int:
        wanted = Call if kind == CALL else Subscribe
        return sum(isinstance(a, wanted) for a in self.actions)


class Answers:
    """Answers to calls and subscriptions, gathered from core events.

    The caller says which method and subscription ids to follow
    (``expect_call``, ``expect_subscription``) and which stops it made itself
    (``stopped_here``: not an answer); ``event`` takes every core event in
    order. Documents are rebuilt from the document events, so a
    subscription's answer holds the collections as the client had them when
    it became ready.
    """

    def __init__(self) -> None:
        self.answers: dict[Ref, Any] = {}
        #: called with each answer's ``Ref`` as it is stored (the runner's waits)
        self.on_answer: Callable[[Ref], None] | None = None
        self._calls: dict[str, int] = {}  # method id -> index
        self._subs: dict[str, int] = {}  # sub id -> index
        self._waiting: dict[str, set[str]] = {}  # sub id -> collections touched
        self._ours: set[str] = set()  # subs stopped by this side
        self._docs: dict[str, dict[str, dict[str, Any]]] = {}

    def expect_call(self, method_id: str, index: int) -> None:
        self._calls[method_id] = index

    def expect_subscription(self, sub_id: str, index: int) -> None:
        self._subs[sub_id] = index
        self._waiting[sub_id] = set()

    def stopped_here(self, sub_id: str) -> None:
        self._ours.add(sub_id)
        self._waiting.pop(sub_id, None)

    def documents(self, names: set[str] | None = None) -> dict[str, dict[str, Any]]:
        """The collections (all, or ``names``) as JSON values, masked as in a file."""
        return {
            name: {
                id_: mask_document(name, to_json_value(fields), [])
                for id_, fields in docs.items()
            }
            for name, docs in sorted(self._docs.items())
            if (names is None or name in names) and docs
        }

    def event(self, e: Event) -> None:
        if isinstance(e, DocumentAdded | DocumentChanged | DocumentRemoved):
            self._document(e)
        elif isinstance(e, MethodResultReceived | MethodCompleted):
            self._answered(e)
        elif isinstance(e, SubscriptionReady):
            self._ready(e.sub_id)
        elif isinstance(e, SubscriptionStopped):
            self._nosub(e)

    def _document(self, e: DocumentAdded | DocumentChanged | DocumentRemoved) -> None:
        for touched in self._waiting.values():
            touched.add(e.collection)
        docs = self._docs.setdefault(e.collection, {})
        if isinstance(e, DocumentAdded):
            docs[e.id] = e.fields  # the store never mutates a document it handed out
        elif isinstance(e, DocumentChanged):
            # A change to a document this file never added: the recording
            # starts mid-connection; keep what is known of it.
            doc = {**docs.get(e.id, {}), **e.fields}
            for name in e.cleared:
                doc.pop(name, None)
            docs[e.id] = doc
        else:
            docs.pop(e.id, None)

    def _answered(self, e: MethodResultReceived | MethodCompleted) -> None:
        index = self._calls.pop(e.method_id, None)
        if index is None:
            return
        answer = _answer(e.result, e.error)
        if answer is not None:
            self._store((CALL, index), answer)

    def _store(self, ref: Ref, answer: Any) -> None:
        self.answers[ref] = answer
        if self.on_answer is not None:
            self.on_answer(ref)

    def _ready(self, sub_id: str) -> None:
        index = self._subs.pop(sub_id, None)
        touched = self._waiting.pop(sub_id, None)
        if index is not None and touched is not None:
            answer = {"outcome": "ready", "documents": self.documents(touched)}
            self._store((SUBSCRIPTION, index), answer)

    def _nosub(self, e: SubscriptionStopped) -> None:
        if e.sub_id in self._ours:
            self._subs.pop(e.sub_id, None)
            return
        index = self._subs.pop(e.sub_id, None)
        self._waiting.pop(e.sub_id, None)
        if index is not None:
            error = None if e.error is None else _error(e.error)
            self._store((SUBSCRIPTION, index), {"outcome": "nosub", "error": error})


def _error(error: MethodError) -> Any:
    return error.wire if error.wire is not None else error.to_wire()


def _answer(result: Any, error: DDPError | None) -> Any:
    """A call's answer as JSON, or None when no server answered (closed here)."""
    if error is None:
        return {"result": mask_result(to_json_value(result), [])}
    if isinstance(error, MethodError):
        return {"error": _error(error)}
    return None  # ConnectionLost: this side closed first


class _Planner:
    """One pass over a recording's items: the actions and their recorded answers."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.skipped: list[Skipped] = []
        self.names: dict[Ref, str] = {}
        self.answers = Answers()
        self._subs: dict[str, int] = {}  # sub id -> index
        self._calls = 0
        self._nosub_in: str | None = None  # the sub id of the last frame, if nosub
        self._reconnecting = False  # a drop seen, no handshake yet
        self._new: list[Ref] = []  # answers no action has waited for yet
        self.answers.on_answer = self._new.append

    def after(self) -> tuple[Ref, ...]:
        """The answers that came since the last action: the next one waits for them."""
        new = tuple(self._new)
        self._new.clear()
        return new

    def item(self, t: float, item: Any, masked: tuple[str, ...]) -> None:
        if isinstance(item, RecordedFrame):
            self._nosub_in = _nosub_id(item)
            return
        if isinstance(item, MethodCalled):
            self._called(t, item, masked)
        elif isinstance(item, SubscriptionRequested):
            index = len(self._subs) + 1
            self._subs[item.sub_id] = index
            self.names[(SUBSCRIPTION, index)] = item.name
            self.answers.expect_subscription(item.sub_id, index)
            self.actions.append(
                Subscribe(index, t, item.name, list(item.params), self.after())
            )
        elif isinstance(item, SubscriptionStopped):
            stopped = self._subs.get(item.sub_id)
            if (
                stopped is not None
                and item.error is None
                and self._nosub_in != item.sub_id
            ):
                self.answers.stopped_here(item.sub_id)
                self.actions.append(Unsubscribe(stopped, t, self.after()))
        elif isinstance(item, TransportLost):
            self._reconnecting = True
        elif isinstance(item, HandshakeCompleted):
            self._reconnecting = False
        self.answers.event(item)

    def _called(self, t: float, e: MethodCalled, masked: tuple[str, ...]) -> None:
        if not e.method_id:  # made inside a stub: Meteor never sends it
            return
        self._calls += 1
        index = self._calls
        self.names[(CALL, index)] = e.name
        if e.name == "login" and masked and self._reconnecting:
            why = "a re-login Meteor's client makes after a reconnect"
            self.skipped.append(Skipped(CALL, index, e.name, why))
            return
        if masked and e.name != "login":
            why = (
                f"its parameters held secrets, masked in the file ({', '.join(masked)})"
            )
            self.skipped.append(Skipped(CALL, index, e.name, why))
            return
        self.answers.expect_call(e.method_id, index)
        self.actions.append(
            Call(
                index,
                t,
                e.name,
                list(e.params),
                e.wait,
                e.no_retry,
                login=e.name == "login" and bool(masked),
                after=self.after(),
            )
        )


def _nosub_id(frame: RecordedFrame) -> str | None:
    data = frame.data
    if not frame.inbound or not isinstance(data, str) or '"nosub"' not in data:
        return None
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if isinstance(message, Mapping) and message.get("msg") == "nosub":
        return str(message.get("id"))
    return None


def plan(recording: Recording) -> Plan:
    """The replay plan of ``recording``: its actions and recorded answers."""
    planner = _Planner()
    for recorded in recording.items:
        planner.item(recorded.t, recorded.item, recorded.masked)
    answers = planner.answers.answers
    skipped = list(planner.skipped)
    for action in planner.actions:
        if isinstance(action, Unsubscribe):
            continue
        kind = CALL if isinstance(action, Call) else SUBSCRIPTION
        if (kind, action.index) not in answers:
            why = "the recording holds no answer from the server"
            skipped.append(Skipped(kind, action.index, action.name, why))
    skipped.sort(key=lambda s: (s.kind, s.index))
    header = recording.header
    return Plan(
        planner.actions,
        dict(answers),
        planner.names,
        planner.answers.documents(),
        skipped,
        partial=header.dropped > 0 or header.span is not None,
    )
