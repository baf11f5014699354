"""JavaScript's coercions, for the demo methods that copy ``tests/peers/meteor/app.js``.

Owns ``typeof``, ``Number(x)``, ``String(x)`` and ``a + b`` for the values
DDP carries, so ``add('a', 2)`` answers ``"a2"`` as Meteor's does; imports
``ddp.ejson`` (its value types and ``UNDEFINED``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ddp_monitor.ddp.ejson import UNDEFINED, ObjectID, RegExp, js_number

__all__ = ["js_add", "js_number_of", "js_string", "js_typeof"]


def js_typeof(x: Any) -> str:
    """app.js's type names: null, Date, binary, array, or JavaScript's typeof."""
    if x is None:
        return "null"
    if isinstance(x, datetime):
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
    if isinstance(x, dict | RegExp | ObjectID):
        return "object"
    return "object"


def js_number_of(x: Any) -> float:
    """JavaScript's ``Number(x)`` for the values DDP can carry."""
    if x is UNDEFINED:
        return math.nan
    if x is None:
        return 0
    if isinstance(x, bool):
        return 1 if x else 0
    if isinstance(x, int | float):
        return x
    if isinstance(x, str):
        text = x.strip()
        if not text:
            return 0
        try:
            return (
                float(int(text, 0))
                if text[:2].lower() in ("0x", "0o", "0b")
                else float(text)
            )
        except ValueError:
            return math.nan
    if isinstance(x, list):
        return js_number_of(js_string(x))
    return math.nan


def js_string(x: Any) -> str:
    """JavaScript's ``String(x)`` for the values DDP can carry."""
    if x is UNDEFINED:
        return "undefined"
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return js_number(x)
    if isinstance(x, str):
        return x
    if isinstance(x, list):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in x)
    if isinstance(x, datetime):
        return x.isoformat()
    return "[object Object]"


def js_add(a: Any, b: Any) -> Any:
    """JavaScript's ``a + b``: strings (and objects) concatenate, the rest add as numbers."""
    concat = (str, list, dict, datetime, bytes, RegExp, ObjectID)
    if isinstance(a, concat) or isinstance(b, concat):
        return js_string(a) + js_string(b)
    total = js_number_of(a) + js_number_of(b)
    if (
        isinstance(total, float)
        and total.is_integer()
        and not (isinstance(a, float) or isinstance(b, float))
    ):
        return int(total)
    return total
