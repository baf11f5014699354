"""EJSON, Meteor's JSON extension, to and from plain Python values.

Owns the conversion between JSON-compatible values (what ``jsontext`` reads and
writes) and Python values, and EJSON's clone, equals and stringify; imports
``ddp.errors``, ``ddp.jsontext`` and ``ddp.javascript``.

==================  =============================  ====================
EJSON on the wire    Python value                   note
==================  =============================  ====================
``{"$date": ms}``    ``datetime`` (UTC, aware)      naive ones count as UTC;
                                                    whole milliseconds
``{"$date": ms}``    ``JSDate(ms)``                 a Date datetime cannot
                                                    hold (year < 1 or > 9999,
                                                    or invalid: NaN)
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
InfNaN, Binary, Escape, Custom; and it is as lenient as V8 is with what those
converters are given: ``new Date(x)`` for any x (an ISO string, ``null`` the
epoch, garbage an invalid Date), Meteor's own forgiving base64 decoder,
``x / 0`` for ``$InfNaN``. What V8 throws on (``new RegExp("(")``, an unknown
``$type``, a ``$binary`` that is not a string) is a ``ProtocolError("Parse
error")``, Meteor's answer. Numbers are written as a JavaScript number is:
``1.0`` as ``1``, integers past 2**53 rounded to the double they become.

Nothing here recurses without a way out: each walk first runs as plain
recursion (the fast path) and, should a value be nested deeper than Python's
recursion limit, again over an explicit stack (``_rebuild``). Decoding stops
at ``MAX_DEPTH`` levels with a Parse error, near where Meteor's V8 gives up.
Over 400 lines: the converters of both directions and the walks they share.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ddp_monitor.ddp.errors import ProtocolError
from ddp_monitor.ddp.javascript import (
    UNDEFINED,
    date_parse,
    regexp_error,
    time_clip,
    to_number,
    to_string,
)
from ddp_monitor.ddp.jsontext import dumps, js_number

__all__ = [
    "MAX_DEPTH",
    "UNDEFINED",
    "JSDate",
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

#: Levels of nesting a decoded value may have. Meteor 1.9.3's server decodes
#: 9,000 and answers "Parse error" at 10,000 (its V8 stack runs out).
MAX_DEPTH = 9_500

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_REGEXP_FLAGS = "gimuy"  # in the order RegExp#flags writes them
_SAFE_INTEGER = 2**53  # past it, a JavaScript number is no longer exact


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
        if not (len(self.hex) == 24 and all(c in "0123456789abcdef" for c in self.hex)):
            raise ValueError(
                f"an ObjectID is 24 lower-case hex digits, not {self.hex!r}"
            )


@dataclass(frozen=True, slots=True)
class JSDate:
    """A JavaScript Date that ``datetime`` cannot hold.

    ``ms`` is milliseconds since 1970 (up to +-8.64e15, years -271821 to
    275760), or NaN for an Invalid Date, which travels as ``{"$date": null}``.
    """

    ms: float

    @property
    def valid(self) -> bool:
        return not math.isnan(self.ms)


@dataclass(frozen=True, slots=True)
class _CustomType:
    name: str
    cls: type
    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]


_types_by_name: dict[str, _CustomType] = {}
_types_by_class: dict[type, _CustomType] = {}
# Values clone returns as they are: nothing in them can be edited.
_IMMUTABLE: set[type] = {
    str,
    int,
    float,
    bool,
    type(None),
    bytes,
    datetime,
    RegExp,
    ObjectID,
    JSDate,
    type(UNDEFINED),
}


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


# -- the walks: recursion first, an explicit stack when that runs out ----------

_LEAF, _DICT, _LIST = 0, 1, 2
_END = object()
Node = tuple[int, Any, Callable[[Any], Any] | None]
"""One level of a walk: ``(_LEAF, result, None)``, or ``(_DICT, pairs, finish)``
/ ``(_LIST, items, finish)``: the children are walked, then ``finish`` (when
given) turns the rebuilt container into the result."""


def _rebuild(root: Any, node: Callable[[Any], Node], max_depth: int = 0) -> Any:
    """Map a nested value bottom-up with an explicit stack, at any depth."""
    stack: list[list[Any]] = []  # open containers: [children, built, finish, key, kind]
    value = root
    while True:
        kind, payload, finish = node(value)
        if kind == _LEAF:
            result = payload
        else:
            children = iter(payload)
            built: Any = {} if kind == _DICT else []
            first: Any = next(children, _END)
            if first is not _END:
                if max_depth and len(stack) >= max_depth:
                    raise ProtocolError(
                        "Parse error", detail=f"nested deeper than {max_depth} levels"
                    )
                key, value = first if kind == _DICT else (None, first)
                stack.append([children, built, finish, key, kind])
                continue
            result = finish(built) if finish else built
        while stack:  # hand the result up until a container has more children
            frame = stack[-1]
            if frame[4] == _DICT:
                frame[1][frame[3]] = result
            else:
                frame[1].append(result)
            following: Any = next(frame[0], _END)
            if following is not _END:
                if frame[4] == _DICT:
                    frame[3], value = following
                else:
                    value = following
                break
            stack.pop()
            result = frame[2](frame[1]) if frame[2] else frame[1]
        else:
            return result


# -- Python -> JSON-compatible ------------------------------------------------


def to_json_value(value: Any) -> Any:
    """Python value -> JSON-compatible value with EJSON's ``$`` objects.

    Raises:
        TypeError: a value with no EJSON form (register it with ``add_type``).
    """
    try:
        return _to_json(value)
    except RecursionError:
        return _rebuild(value, _to_json_node)


def _to_json(value: Any) -> Any:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is int:
        return value if -_SAFE_INTEGER <= value <= _SAFE_INTEGER else _js_int(value)
    if kind is float:
        return _js_float(value)
    if kind is dict:
        encoded = {key: _to_json(item) for key, item in value.items()}
        return {"$escape": encoded} if _is_special(value) else encoded
    if kind is list or kind is tuple:
        return [_to_json(item) for item in value]
    if isinstance(value, dict | list | tuple):  # subclasses
        return _rebuild(value, _to_json_node)
    return _to_json_leaf(value)


def _to_json_node(value: Any) -> Node:
    if isinstance(value, dict):
        return _DICT, value.items(), _escape_if_special(value)
    if isinstance(value, list | tuple):
        return _LIST, value, None
    return _LEAF, _to_json_leaf(value), None


def _escape_if_special(original: Mapping[str, Any]) -> Callable[[Any], Any] | None:
    return (lambda encoded: {"$escape": encoded}) if _is_special(original) else None


def _is_special(obj: Mapping[str, Any]) -> bool:
    """Would Meteor read this object as an EJSON type? (one of the converters matches)"""
    n = len(obj)
    if n == 1:
        (key,) = obj
        return key in ("$date", "$InfNaN", "$binary", "$escape")
    if n == 2:
        return obj.keys() == {"$regexp", "$flags"} or obj.keys() == {"$type", "$value"}
    return False


def _to_json_leaf(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return _js_int(value)
    if isinstance(value, float):
        return _js_float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        # A Date holds whole milliseconds: the microseconds are dropped.
        return {"$date": (value - _EPOCH) // _MS}
    if isinstance(value, JSDate):
        clipped = time_clip(value.ms)
        return {"$date": None if math.isnan(clipped) else int(clipped)}
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


def _js_int(value: int) -> Any:
    # JavaScript has doubles only: 2**53 + 1 is 2**53 there.
    if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return int(value)
    return _js_float(float(value))


def _js_float(value: float) -> Any:
    if not math.isfinite(value):
        return {"$InfNaN": 0 if math.isnan(value) else (1 if value > 0 else -1)}
    if value.is_integer() and abs(value) < 1e21:
        return int(value)  # JavaScript writes 1.0 as 1, and -0 as 0
    return value


# -- JSON-compatible -> Python ------------------------------------------------


def from_json_value(value: Any) -> Any:
    """JSON-compatible value -> Python value (Meteor's ``_adjustTypesFromJSONValue``).

    Raises:
        ProtocolError: ("Parse error") where Meteor's converters throw: an
            unknown custom ``$type``, a pattern ``new RegExp`` refuses, a
            ``$binary`` that is not a string, nesting past ``MAX_DEPTH``.
    """
    try:
        return _from_json(value)
    except RecursionError:
        return _rebuild(value, _from_json_node, MAX_DEPTH)


def _from_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        if 0 < len(value) <= 2 and all(key[:1] == "$" for key in value):
            special = _from_special(value)
            if special is not _END:
                return special
            if len(value) == 1 and "$escape" in value:
                return {key: _from_json(item) for key, item in _escaped(value)}
        return {key: _from_json(item) for key, item in value.items()}
    if kind is list:
        return [_from_json(item) for item in value]
    return value


def _from_json_node(value: Any) -> Node:
    if isinstance(value, dict):
        if 0 < len(value) <= 2 and all(key[:1] == "$" for key in value):
            special = _from_special(value)
            if special is not _END:
                return _LEAF, special, None
            if len(value) == 1 and "$escape" in value:
                return _DICT, _escaped(value), None
        return _DICT, value.items(), None
    if isinstance(value, list):
        return _LIST, value, None
    return _LEAF, value, None


def _from_special(obj: dict[str, Any]) -> Any:
    """The converted value of a ``$`` object, or ``_END`` (``$escape`` or ordinary)."""
    if len(obj) == 1:
        (key,) = obj
        inner = obj[key]
        if key == "$date":
            return _date(_new_date_ms(inner))
        if key == "$InfNaN":
            sign = to_number(inner)  # obj.$InfNaN / 0
            if math.isnan(sign) or sign == 0:
                return math.nan
            return math.copysign(math.inf, sign)
        if key == "$binary":
            return _base64_decode(inner)
        return _END
    if obj.keys() == {"$regexp", "$flags"}:
        return _regexp(obj["$regexp"], obj["$flags"])
    if obj.keys() == {"$type", "$value"}:
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
    return _END


def _escaped(obj: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    # keysOf(obj.$escape): Object.keys, which also reads arrays and strings.
    inner = obj["$escape"]
    if isinstance(inner, dict):
        return inner.items()
    if isinstance(inner, list | str):
        return ((str(index), item) for index, item in enumerate(inner))
    if inner is None:
        raise ProtocolError("Parse error", detail="$escape of null")
    return ()


def _new_date_ms(x: Any) -> float:
    """``new Date(x).getTime()`` for a decoded JSON value."""
    if isinstance(x, str):
        return date_parse(x)
    if isinstance(x, dict):
        return math.nan  # "[object Object]"
    if isinstance(x, list):
        return date_parse(to_string(x))  # an array's primitive is its join
    return time_clip(to_number(x))


def _date(ms: float) -> datetime | JSDate:
    if math.isnan(ms):
        return JSDate(math.nan)
    try:
        return _EPOCH + ms * _MS
    except OverflowError:  # a year datetime cannot hold
        return JSDate(ms)


def _base64_decode(text: Any) -> bytes:
    """Meteor's ``Base64.decode`` (``packages/base64/base64.js``): lenient, as it is."""
    if not isinstance(text, str):
        raise ProtocolError("Parse error", detail="$binary is not a string")
    try:
        return base64.b64decode(text, validate=True)  # the usual, canonical case
    except (binascii.Error, ValueError):
        pass
    size = len(text) * 3 // 4 - (text[-1:] == "=") - (text[-2:] == "==")
    out = bytearray()
    one = two = three = 0
    for index, char in enumerate(text):
        # An unknown character reads as 0 (undefined in JavaScript), '=' as -1.
        value = -1 if char == "=" else _BASE64_VALUES.get(char)
        step = index % 4
        if step < 2 and value == -1:
            raise ProtocolError("Parse error", detail="invalid base64 string")
        v = value or 0
        if step == 0:
            one = v << 2
        elif step == 1:
            out.append((one | v >> 4) & 0xFF)
            two = (v & 0x0F) << 4
        elif step == 2 and value is not None and value >= 0:
            out.append((two | v >> 2) & 0xFF)
            three = (v & 0x03) << 6
        elif step == 3 and value is not None and value >= 0:
            out.append((three | v) & 0xFF)
    return bytes(out[: max(size, 0)])


_BASE64_VALUES = {
    c: i
    for i, c in enumerate(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    )
}


def _regexp(source: Any, flags: Any) -> RegExp:
    # new RegExp(obj.$regexp, obj.$flags.slice(0, 50).replace(...)): the flags
    # must be a string; duplicates and unknown letters are dropped, and
    # RegExp#flags writes the rest in its own order.
    if not isinstance(flags, str):
        raise ProtocolError("Parse error", detail="$flags is not a string")
    kept = set(flags[:50])
    clean = "".join(c for c in _REGEXP_FLAGS if c in kept)
    pattern = to_string(source)
    error = regexp_error(pattern, clean)
    if error is not None:
        raise ProtocolError("Parse error", detail=f"invalid $regexp: {error}")
    return RegExp(pattern, clean)


# -- clone, equals, stringify ---------------------------------------------------


def clone(value: Any) -> Any:
    """A deep copy that shares nothing mutable (EJSON.clone)."""
    try:
        return _clone(value)
    except RecursionError:
        return _rebuild(value, _clone_node)


def _clone(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _clone(item) for key, item in value.items()}
    if kind is list:
        return [_clone(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return _rebuild(value, _clone_node)


def _clone_node(value: Any) -> Node:
    if isinstance(value, dict):
        return _DICT, value.items(), None
    if isinstance(value, list):
        return _LIST, value, None
    if isinstance(value, tuple):
        return _LIST, value, tuple
    if type(value) in _IMMUTABLE:
        return _LEAF, value, None
    if isinstance(value, bytearray | memoryview):
        return _LEAF, bytes(value), None
    custom = _types_by_class.get(type(value))
    if custom is not None:  # a copy through its JSON form, as Meteor does
        return _LEAF, custom.from_json(clone(custom.to_json(value))), None
    return _LEAF, value, None


def equals(a: Any, b: Any) -> bool:
    """EJSON.equals: NaN equals NaN, key order does not matter, bool is not a number."""
    try:
        return _equals(a, b)
    except RecursionError:
        pending = [(a, b)]
        while pending:
            x, y = pending.pop()
            verdict = _compare(x, y)
            if verdict is False:
                return False
            if verdict is not True:
                pending += verdict
        return True


def _equals(a: Any, b: Any) -> bool:
    # The common containers inline: no list of pairs to build.
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(_equals(a[key], b[key]) for key in a)
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(map(_equals, a, b))
    verdict = _compare(a, b)
    if verdict is True or verdict is False:
        return verdict
    return all(_equals(x, y) for x, y in verdict)


def _compare(a: Any, b: Any) -> bool | list[tuple[Any, Any]]:
    """True or False, or the pairs of children whose equality decides it."""
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
        if a.keys() != b.keys():
            return False
        return [(a[key], b[key]) for key in a]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and list(zip(a, b, strict=True))
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
    encoded = to_json_value(value)
    if canonical:
        encoded = _rebuild(encoded, _sorted_node)
    return dumps(encoded)


def _sorted_node(value: Any) -> Node:
    if isinstance(value, dict):
        return _DICT, sorted(value.items()), None
    if isinstance(value, list):
        return _LIST, value, None
    return _LEAF, value, None
