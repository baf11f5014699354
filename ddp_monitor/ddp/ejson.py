"""EJSON, Meteor's JSON extension, to and from plain Python values.

Owns the conversion between JSON-compatible values (what ``json`` reads and
writes) and Python values; imports only ``ddp.errors``.

==================  =============================  ====================
EJSON on the wire    Python value                   note
==================  =============================  ====================
``{"$date": ms}``    ``datetime`` (UTC, aware)      naive ones count as UTC
``{"$binary": b64}`` ``bytes``                      standard alphabet, padded
``{"$InfNaN": n}``   ``float`` inf, -inf, nan
``{"$regexp", "$flags"}`` ``RegExp``                JS syntax is kept as text
``{"$escape": {}}``  a ``dict`` whose keys look     one level, as Meteor does
                     like EJSON
``{"$type", "$value"}`` a registered custom type    ``add_type``; ``ObjectID``
                                                    (``oid``) is built in
==================  =============================  ====================

Decoding follows ``packages/ejson/ejson.js``: an object is special only when it
has one or two keys, all starting with ``$``, in the order Date, RegExp,
InfNaN, Binary, Escape, Custom.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ddp_monitor.ddp.errors import ProtocolError

__all__ = [
    "UNDEFINED",
    "ObjectID",
    "RegExp",
    "add_type",
    "clone",
    "equals",
    "from_json_value",
    "js_number",
    "stringify",
    "to_json_value",
]


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


#: JavaScript's ``undefined``, which Python lacks: a method result of UNDEFINED
#: leaves ``result`` off the wire, a missing parameter reads as UNDEFINED, and an
#: ``unsub`` without an id stops the universal subscription.
UNDEFINED: Any = _Undefined()

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_REGEXP_FLAGS = "gimuy"


@dataclass(frozen=True, slots=True)
class RegExp:
    """A JavaScript regular expression: Python's ``re`` syntax differs, so keep text."""

    source: str
    flags: str = ""


@dataclass(frozen=True, slots=True)
class ObjectID:
    """A Mongo ObjectID (EJSON custom type ``oid``)."""

    hex: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{24}", self.hex):
            raise ValueError(
                f"an ObjectID is 24 lower-case hex digits, not {self.hex!r}"
            )


@dataclass(frozen=True, slots=True)
class _CustomType:
    name: str
    cls: type
    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]


_types_by_name: dict[str, _CustomType] = {}
_types_by_class: dict[type, _CustomType] = {}


def add_type(
    name: str,
    cls: type,
    to_json: Callable[[Any], Any],
    from_json: Callable[[Any], Any],
) -> None:
    """Register a custom type, as ``EJSON.addType`` does.

    Args:
        name: the ``$type`` name on the wire.
        cls: instances of this class are encoded as this type.
        to_json: instance -> JSON-compatible ``$value``.
        from_json: ``$value`` -> instance.
    """
    custom = _CustomType(name, cls, to_json, from_json)
    _types_by_name[name] = custom
    _types_by_class[cls] = custom


add_type("oid", ObjectID, lambda oid: oid.hex, ObjectID)


def _is_special(obj: Mapping[str, Any]) -> bool:
    """Would Meteor read this object as an EJSON type? (one of the converters matches)"""
    n = len(obj)
    if n == 1:
        (key,) = obj
        return key in ("$date", "$InfNaN", "$binary", "$escape")
    if n == 2:
        return obj.keys() == {"$regexp", "$flags"} or obj.keys() == {"$type", "$value"}
    return False


def to_json_value(value: Any) -> Any:
    """Python value -> JSON-compatible value with EJSON's ``$`` objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$InfNaN": 0 if math.isnan(value) else (1 if value > 0 else -1)}
    if isinstance(value, dict):
        encoded = {key: to_json_value(item) for key, item in value.items()}
        return {"$escape": encoded} if _is_special(value) else encoded
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        ms = (value - _EPOCH) / _MS
        return {"$date": int(ms) if ms.is_integer() else ms}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$binary": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, RegExp):
        return {"$regexp": value.source, "$flags": value.flags}
    custom = _types_by_class.get(type(value))
    if custom is not None:
        return {"$type": custom.name, "$value": custom.to_json(value)}
    raise TypeError(
        f"{type(value).__name__} has no EJSON form; register it with add_type"
    )


def from_json_value(value: Any) -> Any:
    """JSON-compatible value -> Python value.

    Raises:
        ProtocolError: ("Parse error") for an unknown custom ``$type``, as
            Meteor's server answers it.
    """
    if isinstance(value, dict):
        if 0 < len(value) <= 2 and all(key[:1] == "$" for key in value):
            return _decode_special(value)
        return {key: from_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json_value(item) for item in value]
    return value


def _decode_special(obj: dict[str, Any]) -> Any:
    keys = obj.keys()
    if len(obj) == 1:
        if "$date" in keys:
            ms = obj["$date"]
            if isinstance(ms, int | float) and not isinstance(ms, bool):
                try:
                    return _EPOCH + ms * _MS
                except OverflowError:
                    pass
            raise ProtocolError("Parse error", detail=f"invalid $date {ms!r}")
        if "$InfNaN" in keys:
            sign = obj["$InfNaN"]
            return math.nan if not sign else math.copysign(math.inf, sign)
        if "$binary" in keys:
            try:
                return base64.b64decode(obj["$binary"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise ProtocolError(
                    "Parse error", detail=f"invalid $binary: {exc}"
                ) from None
        if "$escape" in keys:
            inner = obj["$escape"]
            if isinstance(inner, dict):
                return {key: from_json_value(item) for key, item in inner.items()}
    elif keys == {"$regexp", "$flags"}:
        flags = "".join(
            dict.fromkeys(c for c in str(obj["$flags"])[:50] if c in _REGEXP_FLAGS)
        )
        return RegExp(str(obj["$regexp"]), flags)
    elif keys == {"$type", "$value"}:
        custom = _types_by_name.get(obj["$type"])
        if custom is None:
            raise ProtocolError(
                "Parse error", detail=f"Custom EJSON type {obj['$type']} is not defined"
            )
        try:
            return custom.from_json(obj["$value"])
        except (TypeError, ValueError) as exc:
            raise ProtocolError(
                "Parse error", detail=f"bad $value for {obj['$type']}: {exc}"
            ) from None
    # `$`-keyed but no converter matches: an ordinary object.
    return {key: from_json_value(item) for key, item in obj.items()}


def clone(value: Any) -> Any:
    """A deep copy that shares nothing mutable (EJSON.clone)."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def equals(a: Any, b: Any) -> bool:
    """EJSON.equals: NaN equals NaN, key order does not matter, bool is not a number."""
    if (
        isinstance(a, float)
        and isinstance(b, float)
        and math.isnan(a)
        and math.isnan(b)
    ):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equals(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b) and not (
        isinstance(a, int | float) and isinstance(b, int | float)
    ):
        return False
    return bool(a == b)


def stringify(value: Any, *, canonical: bool = False) -> str:
    """EJSON.stringify: compact JSON written as JavaScript writes it (``1`` not ``1.0``).

    With ``canonical`` object keys are sorted at every level, as Meteor's
    ``{canonical: true}`` does, so equal values give equal text.
    """
    return _js_json(to_json_value(value), canonical)


def _js_json(value: Any, sort: bool) -> str:
    if isinstance(value, dict):
        items = sorted(value.items()) if sort else value.items()
        body = ",".join(
            f"{_js_json(key, sort)}:{_js_json(item, sort)}" for key, item in items
        )
        return "{" + body + "}"
    if isinstance(value, list):
        return "[" + ",".join(_js_json(item, sort) for item in value) + "]"
    if isinstance(value, float):
        return js_number(value)
    return json.dumps(value, ensure_ascii=False)


def js_number(x: float) -> str:
    """A finite float as JavaScript's Number#toString writes it."""
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    mantissa, _, exponent = repr(x).partition("e")
    if not exponent:
        return mantissa
    exp = int(exponent)
    if -7 < exp < 21:  # JS writes these positionally; repr gave an exponent
        return format(x, ".20f").rstrip("0")
    return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"
