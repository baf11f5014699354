"""``typeof`` and ``a + b`` as JavaScript has them, for the demo methods that copy ``app.js``.

Owns ``js_typeof`` and ``js_add`` for the values DDP carries, so
``add('a', 2)`` answers ``"a2"`` as Meteor's does; imports ``ddp.ejson`` (its
value types) and ``ddp.javascript`` (``Number(x)``, ``String(x)``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ddp_monitor.ddp.ejson import JSDate, ObjectID, RegExp
from ddp_monitor.ddp.javascript import to_number, to_string

__all__ = ["js_add", "js_typeof"]


def js_typeof(x: Any) -> str:
    """app.js's type names: null, Date, binary, array, or JavaScript's typeof."""
    if x is None:
        return "null"
    if isinstance(x, datetime | JSDate):
        return "Date"
    if isinstance(x, bytes | bytearray):
        return "binary"
    if isinstance(x, list):
        return "array"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int | float):
        return "number"
    if isinstance(x, str):
        return "string"
    return "object"


def js_add(a: Any, b: Any) -> Any:
    """JavaScript's ``a + b``: strings (and objects) concatenate, the rest add as numbers."""
    concat = (str, list, dict, datetime, JSDate, bytes, RegExp, ObjectID)
    if isinstance(a, concat) or isinstance(b, concat):
        return to_string(a) + to_string(b)
    total = to_number(a) + to_number(b)
    if (
        isinstance(total, float)
        and total.is_integer()
        and not (isinstance(a, float) or isinstance(b, float))
    ):
        return int(total)
    return total
