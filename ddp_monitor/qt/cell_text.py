"""The text of a value in a table cell: compact EJSON, written fast for plain JSON.

Owns ``cell_text`` (strings as they are, everything else as
``EJSON.stringify`` writes it), ``short_json`` (the same, cut to a readable
length) and ``duration_text`` (a time as every table writes it); imports
``ddp.ejson`` only.

Why not ``ejson.stringify`` alone: it converts the whole value, then walks it
again calling ``json.dumps`` per string, ~7 us for a two-tag list. The
collection view makes this text for every document it filters or sorts by
a list column (100,000 of them in one go), so plain JSON (strings, integers,
booleans, null, lists and objects of them) is written here by a shorter walk
with the C string encoder; the rest (floats, dates, binary, ``$``-keyed
objects, custom types) still goes through ``ejson.stringify``, so the text is
the same either way (tests/qt/test_cell_text.py compares them).
"""

from __future__ import annotations

from json.encoder import encode_basestring  # the C encoder, JSON.stringify's escapes
from typing import Any, cast

from ddp_monitor.ddp import ejson

__all__ = ["cell_text", "duration_text", "short_json"]

#: Table cells are cut here; the detail panes show the whole value.
PREVIEW = 200


def duration_text(seconds: float | None) -> str:
    """``12.3 ms`` under a second, ``1.20 s`` from there; "-" for no time."""
    if seconds is None:
        return "-"
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def short_json(value: Any) -> str:
    """Compact EJSON text for a table cell, cut at a readable length."""
    text = _json(value)
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "\u2026"


def cell_text(value: Any) -> str:
    """Strings as they are; everything else as compact EJSON (``short_json``)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int and -(10**15) < value < 10**15:  # the common case, in short
        return str(value)
    return short_json(value)


def _json(value: Any) -> str:
    plain = _plain(value)
    if plain is not None:
        return plain
    try:
        return ejson.stringify(value)
    except TypeError:  # a value EJSON cannot write (a set, an object)
        return repr(value)


def _plain(value: Any) -> str | None:
    """JSON text of plain JSON values (exact ``type`` checks: bool is not int), else None."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        # Past 2**53 an integer is JavaScript's nearest double: ejson's path.
        return str(value) if -(2**53) <= value <= 2**53 else None
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is list:
        items = list(map(_plain, value))
        if None in items:
            return None
        return "[" + ",".join(cast("list[str]", items)) + "]"
    if kind is dict and not _looks_special(value):
        items = list(map(_plain, value.values()))
        if None in items or not all(type(key) is str for key in value):
            return None
        pairs = zip(
            map(encode_basestring, value), cast("list[str]", items), strict=True
        )
        return "{" + ",".join(map(":".join, pairs)) + "}"
    return None  # floats (JavaScript's number format), dates, binary, custom types


def _looks_special(value: dict[Any, Any]) -> bool:
    # An object EJSON would wrap in $escape (one or two keys, all `$`-prefixed).
    return 0 < len(value) <= 2 and all(str(key)[:1] == "$" for key in value)
