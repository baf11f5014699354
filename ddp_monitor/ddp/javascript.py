"""What JavaScript makes of a value: ``Number(x)``, ``String(x)``, ``new Date(x)``, ``new RegExp``.

Owns ``UNDEFINED`` and the coercions EJSON decoding needs to read a frame as
Meteor's V8 reads it (``new Date("2024-03-01")``, ``"x" / 0``, a pattern
``new RegExp`` refuses); imports the standard library and ``ddp.jsontext``.
The demo's methods use the same ones.

What V8 does beyond the standard is not copied: ``Date.parse`` reads the ISO
format of ECMA-262 §21.4.3.2 and the RFC 2822 / HTTP dates V8 writes itself,
and gives NaN for the other strings V8's legacy parser would guess at.
Patterns are checked by translating JavaScript's syntax to Python's ``re``
where the two differ.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from typing import Any

from ddp_monitor.ddp.jsontext import js_number

__all__ = [
    "MAX_TIME_MS",
    "UNDEFINED",
    "date_parse",
    "regexp_error",
    "time_clip",
    "to_number",
    "to_string",
    "truthy_or",
]


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


#: JavaScript's ``undefined``, which Python lacks: a method result of UNDEFINED
#: leaves ``result`` off the wire, a missing parameter reads as UNDEFINED, and an
#: ``unsub`` without an id stops the universal subscription.
UNDEFINED: Any = _Undefined()

#: ECMA-262 §21.4.1.1: a Date holds at most 8.64e15 ms either side of 1970.
MAX_TIME_MS = 8.64e15


def to_number(x: Any) -> float:
    """``Number(x)`` for the values DDP carries."""
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
        if text.lstrip("+-") == "Infinity":
            return -math.inf if text[0] == "-" else math.inf
        if "_" in text or text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            return math.nan  # Python's spellings, not JavaScript's
        try:
            if text[:2].lower() in ("0x", "0o", "0b"):
                return float(int(text, 0))
            return float(text)
        except ValueError:
            return math.nan
    if isinstance(x, list):
        return to_number(to_string(x))
    return math.nan


def to_string(x: Any) -> str:
    """``String(x)`` for the values DDP carries."""
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
        return ",".join("" if v is None or v is UNDEFINED else to_string(v) for v in x)
    if isinstance(x, datetime):
        return x.isoformat()
    return "[object Object]"


def truthy_or(x: float, default: float) -> float:
    """JavaScript's ``x || default`` for a number (NaN and 0 are falsy)."""
    return x if x and not math.isnan(x) else default


def time_clip(ms: float) -> float:
    """ECMA-262 TimeClip: whole milliseconds toward zero, NaN out of range."""
    if not math.isfinite(ms) or abs(ms) > MAX_TIME_MS:
        return math.nan
    return float(math.trunc(ms)) + 0.0  # + 0.0: -0 becomes +0


# The Date Time String Format, as V8 reads it: T or a space, either case.
_ISO = re.compile(
    r"(?P<year>[+-]\d{6}|\d{4})"
    r"(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?)?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def date_parse(text: str) -> float:
    """``Date.parse(text)``: milliseconds since 1970, or NaN."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if match is not None:
        return _iso_ms(match)
    parts = parsedate_tz(text)
    if parts is None:
        return math.nan
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9]
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return math.nan
    if offset is None:  # no zone given: local time, as V8 reads it
        moment = moment.replace(tzinfo=None).astimezone(UTC)
    else:
        moment -= timedelta(seconds=offset)
    return time_clip((moment - _EPOCH) / timedelta(milliseconds=1))


def _iso_ms(match: re.Match[str]) -> float:
    g = match.groupdict()
    year = int(g["year"])
    if g["year"] == "-000000":
        return math.nan  # §21.4.1.32: minus zero is not a year
    month, day = int(g["month"] or 1), int(g["day"] or 1)
    hour, minute = int(g["hour"] or 0), int(g["minute"] or 0)
    second = int(g["second"] or 0)
    ms = int((g["fraction"] or "0")[:3].ljust(3, "0"))
    if not (1 <= month <= 12 and 1 <= day <= 31 and minute < 60 and second < 60):
        return math.nan
    if hour > 24 or (hour == 24 and (minute or second or ms)):
        return math.nan
    days = _days_from_civil(year, month, day)  # V8 rolls Feb 30 into March
    total = float(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms)
    zone = g["zone"]
    if zone is None and g["hour"] is not None:
        # A date-time without an offset is local time (ES2016 on); a date
        # alone is UTC.
        total -= _local_offset_ms(total)
    elif zone and zone not in "Zz":
        sign = -1 if zone[0] == "+" else 1
        total += sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60_000
    return time_clip(total)


def _days_from_civil(year: int, month: int, day: int) -> int:
    # Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic
    # Gregorian calendar, for any year (datetime stops at 1..9999).
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _local_offset_ms(utc_ms: float) -> float:
    try:
        moment = _EPOCH + timedelta(milliseconds=utc_ms)
    except OverflowError:
        return 0.0
    offset = moment.astimezone().utcoffset()
    return 0.0 if offset is None else offset / timedelta(milliseconds=1)


# -- new RegExp(source, flags) ---------------------------------------------------

# Groups JavaScript has: (...), (?:...), lookarounds, named (?<name>...).
_GROUP_OPENER = re.compile(r"\(\?(?!:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)")
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_$][\w$]*)>")
_BACKREF = re.compile(r"\\k<([A-Za-z_$][\w$]*)>")
_POSSESSIVE = re.compile(r"(?:[*+?]|\{\d+(?:,\d*)?\})\+")
# Python refuses these where JavaScript (without the u flag) accepts them.
_PYTHON_ONLY_ERRORS = ("look-behind requires fixed-width pattern", "bad escape")


def regexp_error(source: str, flags: str) -> str | None:
    """Why ``new RegExp(source, flags)`` throws a SyntaxError, or None when it does not.

    ``flags`` are the cleaned ones (``gimuy``, each once).
    """
    unescaped = re.sub(r"\\.", "", source)
    if _GROUP_OPENER.search(unescaped):
        return "Invalid group"
    if _POSSESSIVE.search(unescaped):
        return "Nothing to repeat"
    translated = _NAMED_GROUP.sub(r"(?P<\1>", source)
    translated = _BACKREF.sub(r"(?P=\1)", translated)
    translated = translated.replace("[^]", r"[\s\S]").replace("[]", "(?!)")
    try:
        re.compile(translated)
    except re.error as exc:
        if "u" not in flags and any(s in str(exc) for s in _PYTHON_ONLY_ERRORS):
            return None
        if "look-behind requires fixed-width pattern" in str(exc):
            return None
        return str(exc)
    except (RecursionError, OverflowError) as exc:
        return str(exc)
    return None
