"""DDP messages as values: one frozen dataclass per ``msg``, parsing and serialising.

Owns the wire format (DDP.md and ``packages/ddp-common/utils.js``); imports
``ddp.errors``, ``ddp.ejson`` and ``ddp.jsontext`` (the JSON text itself). Parsing happens in two steps, as Meteor's
server needs them apart:

- ``decode(text)`` is Meteor's ``parseDDP``: JSON, ``cleared`` folded in, and
  EJSON decoding of exactly ``fields``, ``params`` and ``result``. It returns
  the raw dict and raises ``ProtocolError`` ("Bad request" without an
  offending message for a frame that is not a JSON object, "Parse error" for
  bad EJSON).
- ``from_dict(raw)`` checks one message's fields and builds its value, raising
  ``ProtocolError`` with the reason Meteor's server gives ("Bad request",
  "Malformed subscription", "Malformed method invocation").

``parse(text)`` does both. ``serialize(msg)`` writes Meteor's key order, leaves
an empty ``fields`` off the wire and EJSON-encodes ``fields``/``params``/``result``.

Over 400 lines on purpose: the nineteen message values, their readers and their
writers change together whenever the wire does, so they stay side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ddp_monitor.ddp.ejson import from_json_value, to_json_value
from ddp_monitor.ddp.errors import ProtocolError
from ddp_monitor.ddp.jsontext import dumps, loads

__all__ = [
    "SUPPORTED_VERSIONS",
    "Added",
    "AddedBefore",
    "Changed",
    "Connect",
    "Connected",
    "ErrorMessage",
    "Failed",
    "Message",
    "Method",
    "MovedBefore",
    "NoSub",
    "Ping",
    "Pong",
    "Ready",
    "Removed",
    "Result",
    "ServerId",
    "Sub",
    "Unsub",
    "Updated",
    "decode",
    "from_dict",
    "parse",
    "serialize",
]

#: DDPCommon.SUPPORTED_DDP_VERSIONS, most preferred first.
SUPPORTED_VERSIONS: tuple[str, ...] = ("1", "pre2", "pre1")


@dataclass(frozen=True, slots=True)
class Connect:
    """C→S. ``version``/``support`` stay as sent: the server answers odd ones with ``failed``."""

    version: Any
    support: Any
    session: str | None = None


@dataclass(frozen=True, slots=True)
class Connected:
    session: str


@dataclass(frozen=True, slots=True)
class Failed:
    version: str


@dataclass(frozen=True, slots=True)
class Ping:
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Pong:
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Sub:
    id: str
    name: str
    params: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Unsub:
    id: str


@dataclass(frozen=True, slots=True)
class NoSub:
    """``error`` is the raw Meteor.Error object: Meteor never EJSON-decodes it."""

    id: str
    error: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Ready:
    subs: list[str]


@dataclass(frozen=True, slots=True)
class Added:
    collection: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Changed:
    collection: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Removed:
    collection: str
    id: str


@dataclass(frozen=True, slots=True)
class AddedBefore:
    """Ordered publications (DDP.md); ``before`` None means at the end."""

    collection: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    before: str | None = None


@dataclass(frozen=True, slots=True)
class MovedBefore:
    collection: str
    id: str
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Method:
    id: str
    method: str
    params: list[Any] = field(default_factory=list)
    random_seed: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """A method's answer: ``error`` (raw Meteor.Error object) or ``result``.

    Python has no ``undefined``: a method that returns None answers
    ``"result": null``, which every DDP client reads as no value.
    """

    id: str
    result: Any = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Updated:
    methods: list[str]


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """``msg: "error"``: the server could not handle a message."""

    reason: str
    offending_message: Any = None


@dataclass(frozen=True, slots=True)
class ServerId:
    """``{"server_id": "0"}``, first frame of servers before Meteor 2.3; ignored."""

    server_id: str


Message = (
    Connect
    | Connected
    | Failed
    | Ping
    | Pong
    | Sub
    | Unsub
    | NoSub
    | Ready
    | Added
    | Changed
    | Removed
    | AddedBefore
    | MovedBefore
    | Method
    | Result
    | Updated
    | ErrorMessage
    | ServerId
)

_EJSON_KEYS = ("fields", "params", "result")


def decode(text: str | bytes) -> Any:
    """Meteor's ``parseDDP``: JSON text -> raw message (a dict, or a list).

    Raises:
        ProtocolError: "Bad request" (no offending message) for text that is
            not a JSON object or array; "Parse error" for bad EJSON.
    """
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace")
    try:
        raw = loads(text)
    except ValueError as exc:
        raise ProtocolError("Bad request", detail=f"invalid JSON: {exc}") from None
    if isinstance(raw, dict):
        if "cleared" in raw:
            _fold_cleared(raw)
        # EJSON objects always contain `"$`, so most frames skip the walk.
        if '"$' in text if isinstance(text, str) else b'"$' in text:
            try:
                for key in _EJSON_KEYS:
                    if key in raw:
                        raw[key] = from_json_value(raw[key])
            except ProtocolError as exc:  # say which message it was
                raise ProtocolError(exc.reason, raw, exc.detail) from None
        return raw
    if isinstance(raw, list):  # Meteor's object check lets arrays through
        return raw
    raise ProtocolError("Bad request", detail="not a JSON object")


def _fold_cleared(raw: dict[str, Any]) -> None:
    cleared = raw["cleared"]
    if not isinstance(cleared, list) or not all(isinstance(k, str) for k in cleared):
        raise ProtocolError(
            "Parse error", detail="'cleared' is not a list of field names"
        )
    if not isinstance(raw.get("fields", {}), dict):
        raise ProtocolError("Parse error", detail="'fields' is not an object")


def parse(text: str | bytes) -> Message:
    """Text -> message value; raises ``ProtocolError`` for anything DDP does not allow."""
    return from_dict(decode(text))


def from_dict(raw: Any) -> Message:
    """Raw message (as ``decode`` returns it) -> message value."""
    kind = raw.get("msg") if isinstance(raw, dict) else None
    if not kind:
        if isinstance(raw, dict) and raw.keys() == {"server_id"}:
            return ServerId(str(raw["server_id"]))
        raise ProtocolError("Bad request", raw, "message has no 'msg'")
    build = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if build is None:
        raise ProtocolError("Bad request", raw, f"unknown message type {kind!r}")
    try:
        return build(raw)
    except _Malformed as exc:
        reason = _MALFORMED_REASON.get(kind, "Bad request")
        raise ProtocolError(reason, raw, f"malformed {kind!r}: {exc}") from None


class _Malformed(Exception):
    pass


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise _Malformed(f"{key!r} must be a string")
    return value


def _opt_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise _Malformed(f"{key!r} must be a string")
    return value


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise _Malformed(f"{key!r} must be an array")
    return value


def _str_list(raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Malformed(f"{key!r} must be an array of strings")
    return value


def _fields(raw: dict[str, Any]) -> dict[str, Any]:
    value = raw.get("fields", {})
    if not isinstance(value, dict):
        raise _Malformed("'fields' must be an object")
    return value


def _error(raw: dict[str, Any]) -> dict[str, Any] | None:
    value = raw.get("error")
    if value is not None and not isinstance(value, dict):
        raise _Malformed("'error' must be an object")
    return value


def _changed(raw: dict[str, Any]) -> Changed:
    fields = _fields(raw)
    cleared = raw.get("cleared", [])  # checked by decode(); a cleared field wins
    if cleared:
        fields = {k: v for k, v in fields.items() if k not in cleared}
    return Changed(_str(raw, "collection"), _str(raw, "id"), fields, cleared)


_BUILDERS: dict[str, Callable[[dict[str, Any]], Message]] = {
    "connect": lambda r: Connect(r.get("version"), r.get("support"), r.get("session")),
    "connected": lambda r: Connected(_str(r, "session")),
    "failed": lambda r: Failed(_str(r, "version")),
    "ping": lambda r: Ping(_opt_str(r, "id")),
    "pong": lambda r: Pong(_opt_str(r, "id")),
    "sub": lambda r: Sub(_str(r, "id"), _str(r, "name"), _list(r, "params")),
    "unsub": lambda r: Unsub(_str(r, "id")),
    "nosub": lambda r: NoSub(_str(r, "id"), _error(r)),
    "ready": lambda r: Ready(_str_list(r, "subs")),
    "added": lambda r: Added(_str(r, "collection"), _str(r, "id"), _fields(r)),
    "changed": _changed,
    "removed": lambda r: Removed(_str(r, "collection"), _str(r, "id")),
    "addedBefore": lambda r: AddedBefore(
        _str(r, "collection"), _str(r, "id"), _fields(r), _opt_str(r, "before")
    ),
    "movedBefore": lambda r: MovedBefore(
        _str(r, "collection"), _str(r, "id"), _opt_str(r, "before")
    ),
    "method": lambda r: Method(
        _str(r, "id"), _str(r, "method"), _list(r, "params"), _opt_str(r, "randomSeed")
    ),
    "result": lambda r: Result(_str(r, "id"), r.get("result"), _error(r)),
    "updated": lambda r: Updated(_str_list(r, "methods")),
    "error": lambda r: ErrorMessage(
        str(r.get("reason", "")), r.get("offendingMessage")
    ),
}

_MALFORMED_REASON = {
    "sub": "Malformed subscription",
    "method": "Malformed method invocation",
}


def serialize(msg: Message) -> str:
    """Message value -> JSON text in Meteor's key order."""
    return dumps(to_wire(msg))


def to_wire(msg: Message) -> dict[str, Any]:
    """Message value -> the JSON-compatible dict that goes on the wire."""
    # The client's hot frame first: each case is an isinstance check.
    match msg:
        case Method(id_, method, params, random_seed):
            wire: dict[str, Any] = {
                "msg": "method",
                "id": id_,
                "method": method,
                "params": to_json_value(params),
            }
            if random_seed is not None:
                wire["randomSeed"] = random_seed
            return wire
        case Added(collection, id_, fields):
            wire = {"msg": "added", "collection": collection, "id": id_}
            if fields:
                wire["fields"] = to_json_value(fields)
            return wire
        case Changed(collection, id_, fields, cleared):
            wire = {"msg": "changed", "collection": collection, "id": id_}
            if fields:
                wire["fields"] = to_json_value(fields)
            if cleared:
                wire["cleared"] = list(cleared)
            return wire
        case Removed(collection, id_):
            return {"msg": "removed", "collection": collection, "id": id_}
        case Ready(subs):
            return {"msg": "ready", "subs": list(subs)}
        case Updated(methods):
            return {"msg": "updated", "methods": list(methods)}
        case Result(id_, result, error):
            if error is not None:
                return {"msg": "result", "id": id_, "error": error}
            return {"msg": "result", "id": id_, "result": to_json_value(result)}
        case Sub(id_, name, params):
            return {
                "msg": "sub",
                "id": id_,
                "name": name,
                "params": to_json_value(params),
            }
        case Unsub(id_):
            return {"msg": "unsub", "id": id_}
        case NoSub(id_, error):
            wire = {"msg": "nosub", "id": id_}
            if error is not None:
                wire["error"] = error
            return wire
        case Ping(id_) | Pong(id_):
            wire = {"msg": "ping" if isinstance(msg, Ping) else "pong"}
            if id_ is not None:
                wire["id"] = id_
            return wire
        case Connect(version, support, session):
            wire = {"msg": "connect"}
            if session is not None:
                wire["session"] = session
            wire["version"] = version
            wire["support"] = support
            return wire
        case Connected(session):
            return {"msg": "connected", "session": session}
        case Failed(version):
            return {"msg": "failed", "version": version}
        case ErrorMessage(reason, offending):
            wire = {"msg": "error", "reason": reason}
            if offending is not None:
                wire["offendingMessage"] = offending
            return wire
        case AddedBefore(collection, id_, fields, before):
            wire = {"msg": "addedBefore", "collection": collection, "id": id_}
            if fields:
                wire["fields"] = to_json_value(fields)
            wire["before"] = before
            return wire
        case MovedBefore(collection, id_, before):
            return {
                "msg": "movedBefore",
                "collection": collection,
                "id": id_,
                "before": before,
            }
        case ServerId(server_id):
            return {"server_id": server_id}
    raise TypeError(f"not a DDP message: {msg!r}")
