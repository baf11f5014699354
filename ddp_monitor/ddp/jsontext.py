"""JSON text as JavaScript reads and writes it: ``JSON.parse`` and ``JSON.stringify``.

Owns ``loads`` and ``dumps``; imports only the standard library. Both sides of
a DDP connection meet JavaScript, so the text must be what V8 accepts and
writes, whatever a peer sends:

- ``loads`` refuses what ``JSON.parse`` refuses (``NaN``, ``Infinity``), and
  reads any depth: CPython's C scanner gives up near a thousand levels
  (``RecursionError``), so deeper text takes a slower loop with its own stack.
- ``dumps`` always gives text that encodes as UTF-8: a lone UTF-16 surrogate
  (valid in a JSON string, and in a JavaScript one) is written ``\\udXXX`` as
  ``JSON.stringify`` writes it (ES2019), and two halves of a pair are joined.
  A float with an exponent Python writes differently (``1e-07``) is written as
  JavaScript does (``1e-7``, ``0.00001``). Any depth encodes.

Numbers are not changed here: ``ejson.to_json_value`` turns integral floats and
integers past 2**53 into what a JavaScript number is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "js_number", "loads"]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (JSON.parse refuses it)")


_decoder = json.JSONDecoder(parse_constant=_refuse_constant)
# scan_once is set in JSONDecoder.__init__ but missing from typeshed's stub.
_scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]
_WHITESPACE = " \t\n\r"


def loads(text: str) -> Any:
    """``JSON.parse(text)``.

    Raises:
        ValueError: the text is not one JSON value (``json.JSONDecodeError``
            says where), or holds ``NaN``/``Infinity``.
    """
    try:
        return _loads_shallow(text)
    except RecursionError:
        return _loads_deep(text)


def _loads_shallow(text: str) -> Any:
    try:
        # The scanner alone, without json.loads's whitespace regexes and
        # wrapper calls, is almost twice as fast: this is every frame's cost.
        value, end = _scan(text, 0)
    except StopIteration:  # leading whitespace, or no JSON value at all
        return _decoder.decode(text)  # says exactly what is wrong
    if end != len(text) and text[end:].strip(_WHITESPACE):
        return _decoder.decode(text)
    return value


# -- any depth -----------------------------------------------------------------

_NUMBER = json.scanner.NUMBER_RE  # type: ignore[attr-defined]
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_SKIP = re.compile(r"[ \t\n\r]*")
_LITERALS = {"true": True, "false": False, "null": None}


def _loads_deep(text: str) -> Any:
    """``loads`` with an explicit stack of open containers instead of recursion."""
    stack: list[tuple[Any, str | None]] = []  # (container, key waiting for a value)
    pos = _SKIP.match(text, 0).end()  # type: ignore[union-attr]
    while True:
        # A value starts at pos.
        char = text[pos : pos + 1]
        if char == "{" or char == "[":
            pos = _SKIP.match(text, pos + 1).end()  # type: ignore[union-attr]
            container: Any = {} if char == "{" else []
            closing = "}" if char == "{" else "]"
            if text[pos : pos + 1] == closing:
                value: Any = container
                pos += 1
            else:
                key = None
                if char == "{":
                    key, pos = _object_key(text, pos)
                stack.append((container, key))
                continue
        elif char == '"':
            value, pos = _scanstring(text, pos + 1, True)
        else:
            value, pos = _scalar(text, pos)
        # A value ended at pos: store it, then close what ends here.
        while True:
            if not stack:
                if _SKIP.match(text, pos).end() != len(text):  # type: ignore[union-attr]
                    raise json.JSONDecodeError("Extra data", text, pos)
                return value
            container, key = stack[-1]
            if key is None:
                container.append(value)
            else:
                container[key] = value
            pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos : pos + 1]
            if char == ",":
                pos = _SKIP.match(text, pos + 1).end()  # type: ignore[union-attr]
                if key is not None:
                    key, pos = _object_key(text, pos)
                    stack[-1] = (container, key)
                break
            if char != ("]" if key is None else "}"):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            stack.pop()
            value, pos = container, pos + 1


def _object_key(text: str, pos: int) -> tuple[str, int]:
    if text[pos : pos + 1] != '"':
        raise json.JSONDecodeError("Expecting property name", text, pos)
    key, pos = _scanstring(text, pos + 1, True)
    pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] != ":":
        raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
    return key, _SKIP.match(text, pos + 1).end()  # type: ignore[union-attr]


def _scalar(text: str, pos: int) -> tuple[Any, int]:
    for word, value in _LITERALS.items():
        if text.startswith(word, pos):
            return value, pos + len(word)
    match = _NUMBER.match(text, pos)
    if match is None:
        raise json.JSONDecodeError("Expecting value", text, pos)
    integer, fraction, exponent = match.groups()
    if fraction or exponent:
        return float(integer + (fraction or "") + (exponent or "")), match.end()
    return int(integer), match.end()


# -- writing -------------------------------------------------------------------


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON, non-ASCII kept, as JSON.stringify writes it.

    ``JSONEncoder.encode`` builds a new C encoder on every call; on the hot
    path (one ``added`` per document) building it once saves a third.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # not CPython's accelerated json
        return encoder.encode

    def default(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    iterencode = make(
        None,
        default,
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


_encode = _make_dumps()
_SURROGATE = re.compile("[\ud800-\udfff]")
# A string (kept as it is) or a number with a negative exponent.
_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?e-\d+)')


def dumps(value: Any) -> str:
    """``JSON.stringify(value)`` for a JSON-compatible value: compact, non-ASCII kept.

    Raises:
        TypeError: a value JSON has no form for.
    """
    try:
        text = _encode(value)
    except RecursionError:
        text = _dumps_deep(value)
    if not text.isascii() and _SURROGATE.search(text) is not None:
        text = _well_formed(text)
    if "e-" in text:
        text = _EXPONENT.sub(_js_exponent, text)
    return text


def _well_formed(text: str) -> str:
    # Join pairs that were split into two code points, then escape what is
    # left alone, as JSON.stringify does (lower-case hex).
    joined = text.encode("utf-16-le", "surrogatepass").decode(
        "utf-16-le", "surrogatepass"
    )
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", joined)


def _js_exponent(match: re.Match[str]) -> str:
    number = match.group(1)
    return match.group(0) if number is None else js_number(float(number))


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


class _Text(str):
    """Text the deep encoder writes as it is (punctuation, keys)."""

    __slots__ = ()


def _dumps_deep(value: Any) -> str:
    """``dumps`` with an explicit stack instead of recursion (any depth)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if type(item) is _Text:
            out.append(item)
        elif isinstance(item, dict):
            out.append("{")
            stack.append(_Text("}"))
            pairs = list(item.items())
            for index in range(len(pairs) - 1, -1, -1):
                key, member = pairs[index]
                if not isinstance(key, str):
                    raise TypeError(f"keys must be str, not {type(key).__name__}")
                stack.append(member)
                stack.append(_Text(("," if index else "") + _encode(key) + ":"))
        elif isinstance(item, list | tuple):
            out.append("[")
            stack.append(_Text("]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_Text(","))
        else:
            out.append(_encode(item))
    return "".join(out)
