"""Saved calls and scenarios: the values a profile keeps, and their JSON shape.

Owns ``SavedCall``, ``Scenario``, the step values (``LoginStep``,
``SubscribeStep``, ``CallStep``, ``WaitStep``, ``UnsubscribeStep``),
``Expect`` and ``Unreadable``; imports the standard library and ``ddp.ejson``
(parameters and expected results are EJSON values). ``profiles`` writes and
reads them inside each profile (issue 16); running them is ``scenarios``'.

Nothing here holds a secret: a login step says "log in as the profile does",
and the password or token stays in the keyring.

A part of the file that cannot be read (a step without its seconds, a call
without a method) does not cost the rest: it becomes an ``Unreadable`` that
keeps the JSON exactly as written, so the next save writes it back unchanged,
and a problem naming the profile, the scenario and the step is reported. A
scenario holding one cannot run until it is fixed.

Over 400 lines: each value, its JSON and its reading rules are one contract
with the profiles file; split, a new kind of step would touch three modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ddp_monitor.ddp.ejson import from_json_value, stringify, to_json_value

__all__ = [
    "CallStep",
    "Expect",
    "ExpectKind",
    "LoginStep",
    "SavedCall",
    "Scenario",
    "Step",
    "StepKind",
    "SubscribeStep",
    "Unreadable",
    "UnsubscribeStep",
    "WaitStep",
    "describe",
    "saved_calls_from_json",
    "saved_calls_to_json",
    "scenarios_from_json",
    "scenarios_to_json",
    "step_from_json",
    "step_to_json",
]


class StepKind(StrEnum):
    LOGIN = "login"
    SUBSCRIBE = "subscribe"
    CALL = "call"
    WAIT = "wait"
    UNSUBSCRIBE = "unsubscribe"


class ExpectKind(StrEnum):
    RESULT = "result"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Expect:
    """What a call must answer: a result equal to ``value`` (EJSON), or a
    Meteor.Error whose ``error`` is ``value`` (and ``reason``, when given)."""

    kind: ExpectKind
    value: Any = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SavedCall:
    """A named method call (Meteor.apply's name, params, wait and noRetry)."""

    name: str
    method: str
    params: tuple[Any, ...] = ()
    wait: bool = False
    no_retry: bool = False


@dataclass(frozen=True, slots=True)
class LoginStep:
    """Log in with the profile's own login (its secret from the keyring)."""

    kind = StepKind.LOGIN


@dataclass(frozen=True, slots=True)
class SubscribeStep:
    """Subscribe; with ``wait_ready`` the step ends at ``ready`` (or fails at ``nosub``)."""

    name: str
    params: tuple[Any, ...] = ()
    wait_ready: bool = True
    kind = StepKind.SUBSCRIBE


@dataclass(frozen=True, slots=True)
class CallStep:
    """A call written in the step (``method``) or a saved call by its name (``saved``)."""

    method: str = ""
    params: tuple[Any, ...] = ()
    wait: bool = False
    no_retry: bool = False
    saved: str | None = None
    expect: Expect | None = None
    kind = StepKind.CALL


@dataclass(frozen=True, slots=True)
class WaitStep:
    seconds: float
    kind = StepKind.WAIT


@dataclass(frozen=True, slots=True)
class UnsubscribeStep:
    """Stop the latest subscription an earlier step made to publication ``name``."""

    name: str
    kind = StepKind.UNSUBSCRIBE


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A step, saved call or scenario the file holds but that cannot be read:
    kept as written (``raw``), with what is wrong with it."""

    raw: Any
    problem: str
    kind = None


Step = LoginStep | SubscribeStep | CallStep | WaitStep | UnsubscribeStep | Unreadable


@dataclass(frozen=True, slots=True)
class Scenario:
    """Ordered steps under a name."""

    name: str
    steps: tuple[Step, ...] = ()

    @property
    def unreadable(self) -> list[tuple[int, Unreadable]]:
        """The steps that cannot run, with their positions (0-based)."""
        return [(n, s) for n, s in enumerate(self.steps) if isinstance(s, Unreadable)]


class _Bad(ValueError):
    """A field is wrong; the message names it."""


# -- to JSON ------------------------------------------------------------------------


def _params(params: tuple[Any, ...]) -> Any:
    return to_json_value(list(params))


def step_to_json(step: Step) -> Any:
    """One step as the file holds it (an unreadable one exactly as it was read)."""
    if isinstance(step, Unreadable):
        return step.raw
    if isinstance(step, LoginStep):
        return {"step": "login"}
    if isinstance(step, SubscribeStep):
        return {
            "step": "subscribe",
            "name": step.name,
            "params": _params(step.params),
            "wait_ready": step.wait_ready,
        }
    if isinstance(step, CallStep):
        out: dict[str, Any] = {"step": "call"}
        if step.saved is not None:
            out["saved"] = step.saved
        else:
            out |= {"method": step.method, "params": _params(step.params)}
            out |= {"wait": step.wait, "no_retry": step.no_retry}
        if step.expect is not None:
            expect: dict[str, Any] = {
                str(step.expect.kind): to_json_value(step.expect.value)
            }
            if step.expect.reason is not None:
                expect["reason"] = step.expect.reason
            out["expect"] = expect
        return out
    if isinstance(step, WaitStep):
        return {"step": "wait", "seconds": step.seconds}
    return {"step": "unsubscribe", "name": step.name}


def saved_calls_to_json(calls: tuple[SavedCall | Unreadable, ...]) -> list[Any]:
    return [
        call.raw
        if isinstance(call, Unreadable)
        else {
            "name": call.name,
            "method": call.method,
            "params": _params(call.params),
            "wait": call.wait,
            "no_retry": call.no_retry,
        }
        for call in calls
    ]


def scenarios_to_json(scenarios: tuple[Scenario | Unreadable, ...]) -> list[Any]:
    return [
        s.raw
        if isinstance(s, Unreadable)
        else {"name": s.name, "steps": [step_to_json(step) for step in s.steps]}
        for s in scenarios
    ]


# -- from JSON ----------------------------------------------------------------------


def _field(
    obj: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ...
) -> Any:
    if key not in obj:
        if default is ...:
            raise _Bad(f"'{key}' is missing")
        return default
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _Bad(f"'{key}': {value!r} has the wrong type")
    return value


def _params_from(obj: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return tuple(from_json_value(_field(obj, "params", list, [])))
    except ValueError as exc:
        if isinstance(exc, _Bad):
            raise
        raise _Bad(f"'params' is not EJSON ({exc})") from None


def _expect_from(raw: Any) -> Expect | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Bad(f"'expect': {raw!r} is not an object")
    kinds = [k for k in ExpectKind if str(k) in raw]
    if len(kinds) != 1:
        raise _Bad("'expect' needs exactly one of 'result' or 'error'")
    kind = kinds[0]
    reason = _field(raw, "reason", (str, type(None)), None)
    try:
        value = from_json_value(raw[str(kind)])
    except ValueError as exc:
        raise _Bad(f"'expect.{kind}' is not EJSON ({exc})") from None
    if kind is ExpectKind.ERROR and not isinstance(value, str | int | float):
        raise _Bad(f"'expect.error': {value!r} is not an error code")
    if kind is ExpectKind.RESULT and reason is not None:
        raise _Bad("'expect.reason' goes with 'error', not 'result'")
    return Expect(kind, value, reason)


def step_from_json(raw: Any) -> Step:
    """One step; raises ``ValueError`` naming the field that is wrong."""
    if not isinstance(raw, dict):
        raise _Bad(f"{raw!r} is not an object")
    try:
        kind = StepKind(_field(raw, "step", str))
    except ValueError as exc:
        if isinstance(exc, _Bad):
            raise
        known = ", ".join(str(k) for k in StepKind)
        raise _Bad(f"'step': {raw['step']!r} is unknown (known: {known})") from None
    if kind is StepKind.LOGIN:
        return LoginStep()
    if kind is StepKind.SUBSCRIBE:
        return SubscribeStep(
            _name(raw, "name"), _params_from(raw), _field(raw, "wait_ready", bool, True)
        )
    if kind is StepKind.CALL:
        expect = _expect_from(raw.get("expect"))
        saved = _field(raw, "saved", (str, type(None)), None)
        if saved is not None:
            if "method" in raw:
                raise _Bad("give 'method' or 'saved', not both")
            return CallStep(saved=saved, expect=expect)
        return CallStep(
            _name(raw, "method"),
            _params_from(raw),
            _field(raw, "wait", bool, False),
            _field(raw, "no_retry", bool, False),
            expect=expect,
        )
    if kind is StepKind.WAIT:
        seconds = float(_field(raw, "seconds", (int, float)))
        if not 0 <= seconds <= 24 * 3600:
            raise _Bad(f"'seconds': {seconds} is not between 0 and a day")
        return WaitStep(seconds)
    return UnsubscribeStep(_name(raw, "name"))


def _name(raw: dict[str, Any], key: str) -> str:
    name: str = _field(raw, key, str)
    if not name.strip():
        raise _Bad(f"'{key}' is empty")
    return name


def _label(raw: Any, fallback: str) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return repr(name) if isinstance(name, str) else fallback


def saved_calls_from_json(
    raw: Any, where: str, problems: list[str]
) -> tuple[SavedCall | Unreadable, ...]:
    """The saved calls of a profile; each one that cannot be read is kept as
    written, and ``problems`` gets a sentence naming it (``where``: the profile)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Bad(f"{where}: 'saved_calls' is not a list")
    calls: list[SavedCall | Unreadable] = []
    for n, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise _Bad(f"{item!r} is not an object")
            calls.append(
                SavedCall(
                    _name(item, "name"),
                    _name(item, "method"),
                    _params_from(item),
                    _field(item, "wait", bool, False),
                    _field(item, "no_retry", bool, False),
                )
            )
        except ValueError as exc:
            label = _label(item, f"number {n + 1}")
            problems.append(f"{where}, saved call {label}: {exc}")
            calls.append(Unreadable(item, str(exc)))
    return tuple(calls)


def scenarios_from_json(
    raw: Any, where: str, problems: list[str]
) -> tuple[Scenario | Unreadable, ...]:
    """The scenarios of a profile; see ``saved_calls_from_json`` for what is kept."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Bad(f"{where}: 'scenarios' is not a list")
    scenarios: list[Scenario | Unreadable] = []
    for n, item in enumerate(raw):
        label = _label(item, f"number {n + 1}")
        try:
            if not isinstance(item, dict):
                raise _Bad(f"{item!r} is not an object")
            name = _name(item, "name")
            raw_steps = _field(item, "steps", list)
        except ValueError as exc:
            problems.append(f"{where}, scenario {label}: {exc}")
            scenarios.append(Unreadable(item, str(exc)))
            continue
        steps: list[Step] = []
        for k, raw_step in enumerate(raw_steps):
            try:
                steps.append(step_from_json(raw_step))
            except ValueError as exc:
                problems.append(
                    f"{where}, scenario {label}, step {k + 1}: {exc} "
                    "(kept as written; the scenario cannot run until it is fixed)"
                )
                steps.append(Unreadable(raw_step, str(exc)))
        scenarios.append(Scenario(name, tuple(steps)))
    return tuple(scenarios)


# -- words ----------------------------------------------------------------------------


def describe(step: Step) -> str:
    """The step in a few words, for lists and progress lines."""
    if isinstance(step, Unreadable):
        return f"unreadable: {step.problem}"
    if isinstance(step, LoginStep):
        return "log in as the profile does"
    if isinstance(step, SubscribeStep):
        ready = "" if step.wait_ready else ", not waiting for ready"
        return f"subscribe {step.name}{_args(step.params)}{ready}"
    if isinstance(step, CallStep):
        what = (
            f"saved call \u201c{step.saved}\u201d"
            if step.saved is not None
            else f"call {step.method}{_args(step.params)}"
        )
        options = [
            o for o, on in (("wait", step.wait), ("noRetry", step.no_retry)) if on
        ]
        if options:
            what += f" ({', '.join(options)})"
        if step.expect is not None:
            what += f", expect {step.expect.kind} {stringify(step.expect.value)}"
        return what
    if isinstance(step, WaitStep):
        return f"wait {step.seconds:g} s"
    return f"unsubscribe {step.name}"


def _args(params: tuple[Any, ...]) -> str:
    return f" {stringify(list(params))}" if params else ""
