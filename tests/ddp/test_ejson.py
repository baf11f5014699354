"""EJSON values survive the wire exactly as Meteor's ejson.js writes and reads them."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.errors import ProtocolError

ROUND_TRIPS: list[tuple[Any, Any]] = [
    (datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), {"$date": 1704164645678}),
    (b"\x00\x01hello\xff", {"$binary": "AAFoZWxsb/8="}),
    (math.inf, {"$InfNaN": 1}),
    (-math.inf, {"$InfNaN": -1}),
    ({"$date": 5}, {"$escape": {"$date": 5}}),
    ({"$type": "x", "$value": 1}, {"$escape": {"$type": "x", "$value": 1}}),
    ({"$escape": {"a": 1}}, {"$escape": {"$escape": {"a": 1}}}),
    ({"$date": 5, "$x": 1}, {"$date": 5, "$x": 1}),
    ({"a": [1, {"b": b"\x01"}]}, {"a": [1, {"b": {"$binary": "AQ=="}}]}),
    (
        ejson.ObjectID("0123456789abcdef01234567"),
        {"$type": "oid", "$value": "0123456789abcdef01234567"},
    ),
    (ejson.RegExp("^a+", "gi"), {"$regexp": "^a+", "$flags": "gi"}),
]


@pytest.mark.parametrize(("value", "wire"), ROUND_TRIPS)
def test_round_trip(value: Any, wire: Any) -> None:
    """A value is written as Meteor writes it and read back unchanged."""
    assert ejson.to_json_value(value) == wire
    assert ejson.from_json_value(json.loads(json.dumps(wire))) == value


def test_nan_round_trips() -> None:
    """NaN goes out as $InfNaN 0 and comes back as NaN."""
    assert ejson.to_json_value(math.nan) == {"$InfNaN": 0}
    assert math.isnan(ejson.from_json_value({"$InfNaN": 0}))


def test_escape_keeps_inner_keys_but_decodes_values() -> None:
    """$escape takes one level of keys literally; the values are still EJSON."""
    decoded = ejson.from_json_value({"$escape": {"$date": {"$date": 0}}})
    assert decoded == {"$date": datetime(1970, 1, 1, tzinfo=UTC)}


def test_unknown_custom_type_is_a_parse_error() -> None:
    """An unregistered $type is reported with Meteor's words, not a crash."""
    with pytest.raises(
        ProtocolError, match="Custom EJSON type nope is not defined"
    ) as info:
        ejson.from_json_value({"$type": "nope", "$value": 1})
    assert info.value.reason == "Parse error"


def test_added_custom_type_round_trips() -> None:
    """A type registered with add_type is written as $type/$value and read back."""

    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    ejson.add_type("test.point", Point, lambda p: [p.x, p.y], lambda v: Point(*v))
    wire = ejson.to_json_value({"p": Point(1, 2)})
    assert wire == {"p": {"$type": "test.point", "$value": [1, 2]}}
    assert ejson.from_json_value(wire) == {"p": Point(1, 2)}


def test_naive_datetime_counts_as_utc() -> None:
    """A naive datetime is sent as UTC rather than local time."""
    assert ejson.to_json_value(datetime(1970, 1, 1, 0, 0, 1)) == {"$date": 1000}


def test_bad_binary_is_a_parse_error() -> None:
    """Broken base64 in $binary is reported, not raised as a crash."""
    with pytest.raises(ProtocolError):
        ejson.from_json_value({"$binary": "not base64!"})


def test_regexp_flags_are_cleaned_as_meteor_does() -> None:
    """Only gimuy flags are kept, once each."""
    assert ejson.from_json_value({"$regexp": "a", "$flags": "ggxi"}) == ejson.RegExp(
        "a", "gi"
    )


def test_unencodable_value_names_its_type() -> None:
    """Sending a value EJSON cannot carry says which type it was."""
    with pytest.raises(TypeError, match="set has no EJSON form"):
        ejson.to_json_value({1, 2})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1.0, "a": [2.5, None, True]}, '{"a":[2.5,null,true],"b":1}'),
        ({"z": {"y": 1, "x": 2}}, '{"z":{"x":2,"y":1}}'),
        (datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), '{"$date":1000}'),
        (1.5e-7, "1.5e-7"),
        (1e21, "1e+21"),
        (1e-5, "0.00001"),
        ('é"', '"é\\""'),
    ],
)
def test_canonical_stringify_matches_javascript(value: Any, text: str) -> None:
    """Canonical text sorts keys and writes numbers as JavaScript does."""
    assert ejson.stringify(value, canonical=True) == text


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (math.nan, math.nan, True),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ([1, 2], [2, 1], False),
        (1, 1.0, True),
        (True, 1, False),
        (b"a", b"a", True),
        ({"a": [math.nan]}, {"a": [math.nan]}, True),
        ("1", 1, False),
    ],
)
def test_equals_follows_ejson_equals(a: Any, b: Any, equal: bool) -> None:
    """EJSON.equals: NaN equals NaN, key order is ignored, bool is not a number."""
    assert ejson.equals(a, b) is equal


def test_clone_shares_nothing_mutable() -> None:
    """Changing a clone never changes the original document."""
    original = {"a": [1, {"b": 2}]}
    copy = ejson.clone(original)
    copy["a"][1]["b"] = 3
    assert original == {"a": [1, {"b": 2}]}
