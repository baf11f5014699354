"""EJSON values survive the wire exactly as Meteor's ejson.js writes and reads them."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.errors import ProtocolError
from ddp_monitor.ddp.jsontext import dumps

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


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("AAFoZWxsb/8=", b"\x00\x01hello\xff"),
        ("!!", b"\x00"),  # Meteor's decoder reads an unknown character as 0
        ("QQ", b"A"),  # no padding
        ("QUJD!EFG", b"ABC\x00AF"),
    ],
)
def test_binary_is_read_as_leniently_as_meteors_base64(text: str, data: bytes) -> None:
    """$binary text Meteor's own base64 decoder accepts decodes to the same bytes."""
    assert ejson.from_json_value({"$binary": text}) == data


@pytest.mark.parametrize("wire", [{"$binary": "=AAA"}, {"$binary": 5}])
def test_binary_meteor_refuses_is_a_parse_error(wire: Any) -> None:
    """An '=' where data must be, or a $binary that is not text, is Meteor's Parse error."""
    with pytest.raises(ProtocolError) as info:
        ejson.from_json_value(wire)
    assert info.value.reason == "Parse error"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            "2024-03-01T12:00:00.123Z",
            datetime(2024, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
        ),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 12:00:00 GMT", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        (None, datetime(1970, 1, 1, tzinfo=UTC)),
        (True, datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)),
        (1.9, datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)),
        (-1.9, datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
    ],
)
def test_date_is_whatever_new_date_makes_of_it(date: Any, expected: datetime) -> None:
    """{"$date": x} is JavaScript's new Date(x): ISO and HTTP text, null, booleans, fractions."""
    assert ejson.from_json_value({"$date": date}) == expected


def test_dates_python_cannot_hold_keep_their_milliseconds() -> None:
    """Year 20000 and an Invalid Date survive a round trip as JSDate."""
    far = ejson.from_json_value({"$date": 568971820800000})
    assert far == ejson.JSDate(568971820800000)
    assert ejson.to_json_value(far) == {"$date": 568971820800000}
    for nonsense in ("garbage", {}, 8.64e15 + 1):
        invalid = ejson.from_json_value({"$date": nonsense})
        assert isinstance(invalid, ejson.JSDate)
        assert not invalid.valid
        assert ejson.to_json_value(invalid) == {"$date": None}


def test_microseconds_are_dropped_as_a_javascript_date_would() -> None:
    """A datetime goes out in whole milliseconds, never a fractional $date."""
    moment = datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)
    assert ejson.to_json_value(moment) == {"$date": 1700000000123}


@pytest.mark.parametrize(
    ("sign", "expected"),
    [("x", math.nan), ("1", math.inf), (None, math.nan), (-2, -math.inf)],
)
def test_infnan_is_sign_divided_by_zero(sign: Any, expected: float) -> None:
    """{"$InfNaN": x} is JavaScript's x / 0, whatever x is."""
    decoded = ejson.from_json_value({"$InfNaN": sign})
    assert decoded == expected or (math.isnan(decoded) and math.isnan(expected))


def test_regexp_flags_are_cleaned_as_meteor_does() -> None:
    """Only gimuy flags are kept, once each, in RegExp#flags order."""
    assert ejson.from_json_value({"$regexp": "a", "$flags": "ggxi"}) == ejson.RegExp(
        "a", "gi"
    )
    assert ejson.from_json_value({"$regexp": "a", "$flags": "xyzgg"}).flags == "gy"


@pytest.mark.parametrize(
    "source", ["(?<=a+)b", "(?<year>\\d+)-\\k<year>", "[^]", "a{", "]", "\\c"]
)
def test_patterns_javascript_accepts_are_kept(source: str) -> None:
    """Lookbehind, named groups, [^] and Annex B's literal braces are valid patterns."""
    assert ejson.from_json_value({"$regexp": source, "$flags": ""}).source == source


@pytest.mark.parametrize(
    "wire",
    [
        {"$regexp": "(", "$flags": ""},
        {"$regexp": "*a", "$flags": ""},
        {"$regexp": "[z-a]", "$flags": ""},
        {"$regexp": "(?i)a", "$flags": ""},
        {"$regexp": "a", "$flags": 1},
    ],
)
def test_patterns_new_regexp_refuses_are_a_parse_error(wire: Any) -> None:
    """What new RegExp throws on is Meteor's Parse error."""
    with pytest.raises(ProtocolError) as info:
        ejson.from_json_value(wire)
    assert info.value.reason == "Parse error"


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        (5, {}),
        ([1, {"$date": 0}], {"0": 1, "1": datetime(1970, 1, 1, tzinfo=UTC)}),
        ("ab", {"0": "a", "1": "b"}),
    ],
)
def test_escape_of_something_else_reads_its_keys(inner: Any, expected: Any) -> None:
    """$escape of a non-object takes Object.keys of it, as Meteor does."""
    assert ejson.from_json_value({"$escape": inner}) == expected


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (1.0, 1),
        (-0.0, 0),
        (2**53 + 1, 2**53),
        (10**30, 1e30),
        (123456789012345678901234567890, 1.2345678901234568e29),
    ],
)
def test_numbers_go_out_as_javascript_numbers(value: Any, wire: Any) -> None:
    """Integral floats are written as integers, integers past 2**53 as the double JavaScript holds."""
    encoded = ejson.to_json_value(value)
    assert encoded == wire
    assert type(encoded) is type(wire)


def _nested(depth: int, leaf: Any) -> Any:
    """``depth`` levels of lists and $-keyed objects in turn around ``leaf``."""
    wire = leaf
    for level in range(depth):
        wire = [wire] if level % 2 else {"$a": wire}
    return wire


@pytest.mark.parametrize("depth", [480, 5_000, ejson.MAX_DEPTH])
def test_deep_values_round_trip_at_any_depth_meteor_reads(depth: int) -> None:
    """Nesting far past Python's recursion limit decodes, encodes, clones and compares."""
    wire = _nested(depth, {"$date": 0})
    value = ejson.from_json_value(wire)
    # Compared as text: Python's own == recurses in C.
    assert dumps(ejson.to_json_value(value)) == dumps(wire)
    assert ejson.equals(ejson.clone(value), value)
    assert not ejson.equals(value, ejson.from_json_value(_nested(depth, {"$date": 1})))
    assert ejson.stringify(value, canonical=True).count("[") == depth // 2


def test_nesting_past_the_limit_is_a_parse_error() -> None:
    """A value nested deeper than MAX_DEPTH is refused with Meteor's Parse error."""
    wire: Any = 1
    for _ in range(ejson.MAX_DEPTH + 1):
        wire = [wire]
    with pytest.raises(ProtocolError) as info:
        ejson.from_json_value(wire)
    assert info.value.reason == "Parse error"


def test_clone_copies_a_mutable_custom_type() -> None:
    """Editing the clone of a custom EJSON value leaves the original alone."""

    class Box:
        def __init__(self, items: list[int]) -> None:
            self.items = items

    ejson.add_type("test.box", Box, lambda b: list(b.items), lambda v: Box(list(v)))
    original = Box([1, 2])
    copy = ejson.clone({"box": original})["box"]
    copy.items.append(3)
    assert original.items == [1, 2]


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
