"""Method parameters typed in the console: checked before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ddp_monitor.qt.params import ParamsError, describe_params, parse_params


def test_params_are_a_json_array_of_ejson_values() -> None:
    """An array with EJSON dates and binaries becomes Python values; empty text is no parameters."""
    assert parse_params("") == []
    assert parse_params('["a", {"$date": 0}, {"$binary": "AAE="}]') == [
        "a",
        datetime(1970, 1, 1, tzinfo=UTC),
        b"\x00\x01",
    ]
    assert (
        describe_params(parse_params('["a", {"$date": 0}]'))
        == "2 parameters: string, Date"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('["a", ]', "Line 1, column 7"),
        ('{"a": 1}', "Parameters are a JSON array"),
        ('[{"$type": "nope", "$value": 1}]', "Bad EJSON"),
    ],
)
def test_bad_params_say_where_and_why(text: str, message: str) -> None:
    """Broken JSON, a non-array and unknown EJSON types each get a clear message."""
    with pytest.raises(ParamsError, match=message):
        parse_params(text)
