"""Frames for fuzzing a DDP server: random text and structured messages with hostile values.

Owns two seeded generators; imports only the standard library (none of the
project's code, so a bug there cannot shape its own test input):

- ``structured(rng)``: one DDP message as JSON text, well-formed or a little
  off (wrong types, missing fields), whose values come from the edges that
  broke sessions before: lone surrogates, 30-digit integers, lenient EJSON
  (``$date`` text, forgiving ``$binary``, odd ``$InfNaN``, ``$escape`` of
  anything), patterns, nesting thousands deep.
- ``garbage(rng)``: text that is not a DDP message at all (truncated JSON,
  NaN, random characters, scalars, arrays).

With ``meteor_safe=True`` the structured values stay away from what ours does
differently on purpose (nesting past 2,000 levels, the dates V8's legacy parser
guesses, ``add`` on objects), so the same frames can be sent to Meteor and the
answers compared.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

__all__ = ["garbage", "structured"]

_KEYS = ["a", "b", "_id", "é", "$x", "$date", "$binary", "$escape", "$type", "$value"]
_METHODS = ["echo", "describe", "add", "nope", "", "slow"]
_PUBLICATIONS = ["items", "nope", ""]
_PATTERNS = [
    ("a+", "g"),
    ("(?<=a)b", ""),
    ("[^]", "i"),
    ("a{", ""),
    ("(", ""),
    ("a", "xyzgg"),
]


def _scalar(rng: random.Random) -> Any:
    return rng.choice(
        [
            0,
            -1,
            2**53 + 1,
            12345678901234567890123,
            1.5,
            1.0,
            -0.0,
            1e-7,
            1e300,
            "",
            "text",
            "é😀",
            "\ud800 lone",
            "x\udc00",
            True,
            False,
            None,
        ]
    )


def _special(rng: random.Random, meteor_safe: bool) -> Any:
    dates: list[Any] = [
        0,
        1700000000123,
        -1.9,
        None,
        "2024-03-01T12:00:00Z",
        "2024-03-01",
        "garbage",
        8.64e15 + 1,
        True,
    ]
    if not meteor_safe:
        dates += ["5", [5], "Tue Mar 01 2022"]
    source, flags = rng.choice(_PATTERNS)
    return rng.choice(
        [
            {"$date": rng.choice(dates)},
            {
                "$binary": rng.choice(
                    ["", "AAFoZWxsb/8=", "!!", "QQ", "QUJD!EFG", "=AAA", 5]
                )
            },
            {"$InfNaN": rng.choice([0, 1, -1, "x", "1", None])},
            {"$escape": rng.choice([{"$date": 1}, 5, "ab", [1, {"$date": 0}], None])},
            {"$type": "oid", "$value": rng.choice(["0123456789abcdef01234567", "zz"])},
            {"$type": "nope", "$value": 1},
            {"$regexp": source, "$flags": flags},
            {"$date": 1, "$other": 2},
        ]
    )


def _value(rng: random.Random, depth: int, meteor_safe: bool) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return _scalar(rng)
    if roll < 0.6:
        return _special(rng, meteor_safe)
    if roll < 0.75:
        return [_value(rng, depth + 1, meteor_safe) for _ in range(rng.randrange(4))]
    if roll < 0.9:
        return {
            rng.choice(_KEYS): _value(rng, depth + 1, meteor_safe)
            for _ in range(rng.randrange(4))
        }
    deep = rng.choice(
        [100, 480, 1_200, 2_000] if meteor_safe else [480, 2_000, 5_000, 20_000]
    )
    # Built as text: json.dumps itself recurses, and a test's stack is deep.
    leaf = json.dumps(_scalar(rng))
    return _Raw('{"$n":[' * (deep // 2) + leaf + "]}" * (deep // 2))


class _Raw(str):
    """JSON text to put in a frame as it is (nesting too deep to build as values)."""

    __slots__ = ()


def _dumps(message: Any) -> str:
    raws: list[str] = []

    def hide(value: Any) -> Any:
        if isinstance(value, _Raw):
            raws.append(value)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(value, list):
            return [hide(v) for v in value]
        if isinstance(value, dict):
            return {k: hide(v) for k, v in value.items()}
        return value

    text = json.dumps(hide(message), ensure_ascii=True)
    for n, raw in enumerate(raws):
        text = text.replace(f'"\\u0000raw{n}\\u0000"', raw)
    return text


def structured(rng: random.Random, *, meteor_safe: bool = False) -> str:
    """One DDP message as JSON text; ids are ``f<n>`` so answers can be matched."""
    n = rng.randrange(10**6)
    kind = rng.choice(
        ["method", "method", "method", "sub", "unsub", "ping", "pong", "odd"]
    )
    if kind == "method":
        name = rng.choice(_METHODS)
        params = [_value(rng, 0, meteor_safe) for _ in range(rng.randrange(3))]
        if name == "add" and meteor_safe:
            params = [_scalar(rng) for _ in range(2)]
        if name == "slow":
            params = [rng.choice([1e300, -5, "x", None, 1])]
        message: dict[str, Any] = {
            "msg": "method",
            "id": f"f{n}",
            "method": name,
            "params": params,
        }
        mutation = rng.random()
        if mutation < 0.05:
            message["id"] = n
        elif mutation < 0.1:
            message["params"] = {"a": 1}
        elif mutation < 0.15:
            message["randomSeed"] = rng.choice([5, None, "seed"])
        elif mutation < 0.2:
            del message["method"]
    elif kind == "sub":
        params = [rng.choice([0, 1, 3, "2", None, [2], {"$date": 0}])]
        message = {
            "msg": "sub",
            "id": f"f{n}",
            "name": rng.choice(_PUBLICATIONS),
            "params": params,
        }
        if rng.random() < 0.1:
            message["params"] = "p"
    elif kind == "unsub":
        # An unsub whose id is a number stalls Meteor's queue for good.
        ids: list[Any] = [f"f{n}", None, "", 0] + ([] if meteor_safe else [5])
        message = {"msg": "unsub", "id": rng.choice(ids)}
    elif kind == "ping":
        message = {"msg": "ping"}
        if rng.random() < 0.7:
            message["id"] = rng.choice([f"f{n}", None, "", 0, "\ud800"])
    elif kind == "pong":
        message = {"msg": "pong", "id": f"f{n}"}
    else:
        message = {
            "msg": rng.choice(["bogus", "connect", "added", "result", 5, None]),
            "id": f"f{n}",
        }
    return _dumps(message)


def garbage(rng: random.Random) -> str:
    """Text that is not a DDP message: broken JSON, NaN, scalars, arrays, noise."""
    pick = rng.random()
    if pick < 0.2:
        text = structured(rng)
        return text[: rng.randrange(len(text))]  # truncated
    if pick < 0.3:
        return rng.choice(
            ["NaN", "[Infinity]", '{"msg":"method","params":[NaN]}', "-0"]
        )
    if pick < 0.5:
        return json.dumps(rng.choice([5, "text", None, [1, 2], [], {}, {"msg": ""}]))
    alphabet = string.printable + 'é\u2028{}[]"\\'
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
