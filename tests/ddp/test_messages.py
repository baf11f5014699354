"""DDP frames are read and written exactly as Meteor's parseDDP / stringifyDDP do."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ddp_monitor.ddp import messages as m
from ddp_monitor.ddp.errors import ProtocolError


@pytest.mark.parametrize(
    ("msg", "text"),
    [
        (m.Added("c", "x", {}), '{"msg":"added","collection":"c","id":"x"}'),
        (
            m.Changed("c", "x", {"a": 1}, ["b"]),
            '{"msg":"changed","collection":"c","id":"x","fields":{"a":1},"cleared":["b"]}',
        ),
        (
            m.Changed("c", "x", {}, ["b"]),
            '{"msg":"changed","collection":"c","id":"x","cleared":["b"]}',
        ),
        (m.Ping(), '{"msg":"ping"}'),
        (m.Pong("7"), '{"msg":"pong","id":"7"}'),
        (
            m.Sub("s1", "items", []),
            '{"msg":"sub","id":"s1","name":"items","params":[]}',
        ),
        (
            m.Connect("1", ["1", "pre2", "pre1"], "S"),
            '{"msg":"connect","session":"S","version":"1","support":["1","pre2","pre1"]}',
        ),
        (
            m.Method("1", "echo", [1]),
            '{"msg":"method","id":"1","method":"echo","params":[1]}',
        ),
        (
            m.Method("2", "x", [], "abc"),
            '{"msg":"method","id":"2","method":"x","params":[],"randomSeed":"abc"}',
        ),
        (m.Result("1", None), '{"msg":"result","id":"1","result":null}'),
        (m.ErrorMessage("Bad request"), '{"msg":"error","reason":"Bad request"}'),
        (m.NoSub("s1"), '{"msg":"nosub","id":"s1"}'),
    ],
)
def test_serialize_uses_meteors_key_order(msg: m.Message, text: str) -> None:
    """Frames go out byte-for-byte as Meteor writes them (empty fields dropped)."""
    assert m.serialize(msg) == text
    assert m.parse(text) == msg


def test_fields_params_and_result_are_ejson() -> None:
    """Dates inside fields, params and result arrive as datetime values."""
    date = {"$date": 0}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    added = m.parse(
        json.dumps(
            {"msg": "added", "collection": "c", "id": "x", "fields": {"d": date}}
        )
    )
    assert added == m.Added("c", "x", {"d": epoch})
    method = m.parse(
        json.dumps({"msg": "method", "id": "1", "method": "e", "params": [date]})
    )
    assert method == m.Method("1", "e", [epoch])
    assert m.parse(
        json.dumps({"msg": "result", "id": "1", "result": date})
    ) == m.Result("1", epoch)


def test_error_objects_stay_raw_json() -> None:
    """Meteor never EJSON-decodes error details, so neither do we."""
    text = json.dumps(
        {"msg": "result", "id": "1", "error": {"error": 1, "details": {"$date": 0}}}
    )
    assert m.parse(text) == m.Result("1", None, {"error": 1, "details": {"$date": 0}})


def test_cleared_wins_over_a_field_of_the_same_name() -> None:
    """A field both set and cleared is cleared, as parseDDP folds it."""
    text = '{"msg":"changed","collection":"c","id":"x","fields":{"a":1,"b":2},"cleared":["b"]}'
    assert m.parse(text) == m.Changed("c", "x", {"a": 1}, ["b"])


@pytest.mark.parametrize(
    ("text", "reason", "offending"),
    [
        ("{not json", "Bad request", None),
        ("42", "Bad request", None),
        ('"text"', "Bad request", None),
        ("null", "Bad request", None),
        ("[1,2]", "Bad request", [1, 2]),
        ('{"a":1}', "Bad request", {"a": 1}),
        ('{"msg":""}', "Bad request", {"msg": ""}),
        ('{"msg":"bogus"}', "Bad request", {"msg": "bogus"}),
        ('{"msg":"method","id":1,"method":"x"}', "Malformed method invocation", None),
        (
            '{"msg":"method","id":"1","method":"x","params":{}}',
            "Malformed method invocation",
            None,
        ),
        (
            '{"msg":"method","id":"1","method":"x","randomSeed":5}',
            "Malformed method invocation",
            None,
        ),
        ('{"msg":"sub","id":"1","name":7}', "Malformed subscription", None),
        (
            '{"msg":"sub","id":"1","name":"x","params":"p"}',
            "Malformed subscription",
            None,
        ),
        ('{"msg":"added","id":"1"}', "Bad request", None),
        ('{"msg":"params","params":{"$type":"nope","$value":1}}', "Parse error", None),
        (
            '{"msg":"changed","collection":"c","id":"x","cleared":"b"}',
            "Parse error",
            None,
        ),
    ],
)
def test_bad_frames_raise_protocol_error_with_meteors_reason(
    text: str, reason: str, offending: Any
) -> None:
    """Every bad frame becomes a ProtocolError carrying the reason Meteor's server replies."""
    with pytest.raises(ProtocolError) as info:
        m.parse(text)
    assert info.value.reason == reason
    if offending is not None:
        assert info.value.offending_message == offending
    assert info.value.detail


def test_server_id_frame_is_recognised() -> None:
    """Meteor 1.9's {"server_id": "0"} first frame is a known, ignorable message."""
    assert m.parse('{"server_id":"0"}') == m.ServerId("0")


def test_bytes_frames_parse_like_text() -> None:
    """A frame handed over as bytes parses the same as text."""
    assert m.parse(b'{"msg":"ping","id":"a"}') == m.Ping("a")


def test_ordered_messages_round_trip() -> None:
    """addedBefore / movedBefore (DDP.md's ordered publications) are parsed, not dropped."""
    added = m.AddedBefore("c", "x", {"a": 1}, "y")
    moved = m.MovedBefore("c", "x", None)
    assert m.parse(m.serialize(added)) == added
    assert m.parse(m.serialize(moved)) == moved


def test_whitespace_around_a_frame_is_allowed() -> None:
    """A frame padded with whitespace is still valid JSON and parses."""
    assert m.parse(' \n{"msg":"ping"}\t ') == m.Ping()


def test_trailing_garbage_is_reported_with_position() -> None:
    """Extra text after the JSON value is a clear 'invalid JSON' error."""
    with pytest.raises(ProtocolError, match="Extra data") as info:
        m.parse('{"msg":"ping"} x')
    assert info.value.reason == "Bad request"
