"""JSON text as V8 reads and writes it: what a JavaScript peer sends and expects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ddp_monitor.ddp.jsontext import dumps, loads


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("\ud800 evil", '"\\ud800 evil"'),
        ("a\udc00b", '"a\\udc00b"'),
        ({"\udfff": 1}, '{"\\udfff":1}'),
        ("\ud83d\ude00", '"\U0001f600"'),  # two halves of a pair are one character
        ("é😀", '"é😀"'),
    ],
)
def test_lone_surrogates_are_escaped_as_json_stringify_does(
    value: Any, text: str
) -> None:
    """Text with a lone UTF-16 surrogate is written \\udXXX, so every frame encodes as UTF-8."""
    written = dumps(value)
    assert written == text
    written.encode("utf-8")


@pytest.mark.parametrize(
    ("value", "text"),
    [(1e-7, "1e-7"), (2.5e-5, "0.000025"), ([1.5e-10, "1e-05"], '[1.5e-10,"1e-05"]')],
)
def test_small_numbers_are_written_as_javascript_writes_them(
    value: Any, text: str
) -> None:
    """Python's 1e-07 is JavaScript's 1e-7; text that looks like a number is left alone."""
    assert dumps(value) == text


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a":-Infinity}'])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    """JSON.parse refuses NaN and Infinity; so does loads."""
    with pytest.raises(ValueError, match="not JSON"):
        loads(text)


@pytest.mark.parametrize("text", ["[1,]", '{"a" 1}', "[1 2]", "[1]x", '{"a":1,}'])
def test_broken_json_is_refused_at_every_depth(text: str) -> None:
    """Broken text fails the same way shallow or deep."""
    with pytest.raises(json.JSONDecodeError):
        loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads("[" * 3000 + text + "]" * 3000)


@pytest.mark.parametrize("text", ["", "  ", "[" * 3000])
def test_no_value_is_refused(text: str) -> None:
    """Empty text, or text that never closes, is no JSON value."""
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_any_depth_reads_and_writes() -> None:
    """Nesting far past CPython's recursion limit parses and writes back the same text."""
    depth = 200_000
    text = '{"a":' * depth + '[1,"x",{"b":null,"c":[]},2.5,true]' + "}" * depth
    value = loads(text)
    assert dumps(value) == text
    shallow = '  {"a": [1, "x", {"b": null, "c": []}, 2.5e3, false], "d": "\\u00e9"} '
    assert loads(shallow) == json.loads(shallow)
