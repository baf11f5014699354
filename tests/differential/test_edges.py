"""The edges of the data: what Meteor answers there, ours answers too, to the character.

Each case sends one hand-written frame (text, so ``NaN``, 30-digit integers and
lone surrogates go out exactly) to the real Meteor 1.9.3 server and to ours,
and compares the TEXT of every answer up to the sentinel: numbers must be
written as JavaScript writes them (``1``, not ``1.0``), not only be equal. The
short ``expected`` summaries were recorded from Meteor.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.differential.frames import SENTINEL, summary
from tests.timeouts import TIMEOUT
from tests.wire import WireClient, parse_frame

pytestmark = [pytest.mark.meteor, pytest.mark.asyncio]


def echo(argument: str, method: str = "echo") -> str:
    """A method frame whose one parameter is ``argument``, as raw JSON text."""
    return f'{{"msg":"method","id":"m","method":"{method}","params":[{argument}]}}'


def nested(depth: int) -> str:
    """JSON text ``depth`` levels deep: $-keyed objects and arrays in turn."""
    return '{"$a":[' * (depth // 2) + '{"$date":0}' + "]}" * (depth // 2)


async def texts(url: str, frame: str, *, sockjs: bool = False) -> list[str]:
    """The text of every answer to ``frame``, through the sentinel's result."""
    async with await WireClient.open(url, sockjs=sockjs) as client:
        await client.handshake()
        before = len(client.texts)
        await client.send(frame, SENTINEL)
        await client.collect_until(
            lambda f: f.get("msg") == "result" and f.get("id") == "sentinel"
        )
        got = client.texts[before:]
    if sockjs:  # how SockJS batches messages into a[...] frames is timing
        return [message for text in got for message in json.loads(text[1:])]
    return got


async def same_text(servers: dict[str, str], frame: str, **kw: Any) -> list[str]:
    """Assert ours writes exactly Meteor's answers; return Meteor's ``msg`` summary."""
    meteor = await texts(servers["meteor"], frame, **kw)
    ours = await texts(servers["ours"], frame, **kw)
    assert ours == meteor
    return summary([_head(text) for text in meteor])


def _head(text: str) -> dict[str, Any]:
    frame = parse_frame(text)
    return frame if isinstance(frame, dict) else {"msg": "text"}


ANSWERED = ["updated", "result", "updated", "result"]
PARSE_ERROR = ["error:Parse error", "updated", "result"]
BAD_REQUEST = ["error:Bad request", "updated", "result"]

EDGE_CASES: list[Any] = [
    # Numbers: JSON.parse reads doubles; JSON.stringify writes them its way.
    pytest.param(
        echo("123456789012345678901234567890"), ANSWERED, id="30-digit-integer"
    ),
    pytest.param(echo("9007199254740993"), ANSWERED, id="2**53+1"),
    pytest.param(echo("1.0"), ANSWERED, id="integral-float"),
    pytest.param(echo("-0.0"), ANSWERED, id="minus-zero"),
    pytest.param(echo("[1e-7,0.00001,2.5e-5,1e21,1e400]"), ANSWERED, id="exponents"),
    pytest.param(echo("NaN"), BAD_REQUEST, id="NaN-is-not-json"),
    pytest.param(echo("-Infinity"), BAD_REQUEST, id="Infinity-is-not-json"),
    # Dates: new Date(x), whatever x is.
    *(
        pytest.param(echo(f'{{"$date":{value}}}'), ANSWERED, id=f"date-{name}")
        for name, value in [
            ("iso", '"2024-03-01T12:00:00.123Z"'),
            ("date-only", '"2024-03-01"'),
            ("local", '"2024-03-01T12:00:00"'),
            ("space-lower-case", '"2024-03-01 12:00:00z"'),
            ("offset", '"2024-03-01T12:00:00+02:00"'),
            ("feb-30", '"2024-02-30"'),
            ("expanded-year", '"+020000-01-01T00:00:00Z"'),
            ("http", '"Fri, 01 Mar 2024 12:00:00 GMT"'),
            ("null", "null"),
            ("garbage", '"garbage"'),
            ("true", "true"),
            ("fraction", "1.9"),
            ("negative-fraction", "-1.9"),
            ("largest", "8.64e15"),
            ("past-largest", "8640000000000001"),
            ("year-20000", "568971820800000"),
            ("object", "{}"),
        ]
    ),
    pytest.param(
        echo('{"$date":"2024-03-01T12:00:00Z"}', "describe"),
        ANSWERED,
        id="date-described",
    ),
    # Binary: Meteor's own forgiving base64.
    *(
        pytest.param(echo(f'{{"$binary":{value}}}'), ANSWERED, id=f"binary-{name}")
        for name, value in [
            ("bangs", '"!!"'),
            ("unpadded", '"QQ"'),
            ("junk-inside", '"QUJD!EFG"'),
        ]
    ),
    pytest.param(echo('{"$binary":"!!"}', "describe"), ANSWERED, id="binary-described"),
    pytest.param(echo('{"$binary":"=AAA"}'), PARSE_ERROR, id="binary-leading-pad"),
    pytest.param(echo('{"$binary":5}'), PARSE_ERROR, id="binary-not-text"),
    # $InfNaN is x / 0.
    *(
        pytest.param(echo(f'{{"$InfNaN":{value}}}'), ANSWERED, id=f"infnan-{name}")
        for name, value in [
            ("text", '"x"'),
            ("numeric-text", '"1"'),
            ("null", "null"),
            ("two", "2"),
        ]
    ),
    # RegExp: what new RegExp accepts and refuses.
    *(
        pytest.param(
            echo(json.dumps({"$regexp": s, "$flags": f})), ANSWERED, id=f"regexp-{name}"
        )
        for name, s, f in [
            ("lookbehind", "(?<=a+)b", "g"),
            ("named-group", "(?<y>\\d+)", ""),
            ("any-char-class", "[^]", ""),
            ("literal-brace", "a{", ""),
            ("flags-cleaned", "a", "xyzgg"),
        ]
    ),
    pytest.param(
        echo('{"$regexp":"(","$flags":""}'), PARSE_ERROR, id="regexp-unclosed"
    ),
    pytest.param(
        echo('{"$regexp":"a","$flags":1}'), PARSE_ERROR, id="regexp-flags-not-text"
    ),
    pytest.param(
        echo('{"$regexp":5,"$flags":"g"}'), ANSWERED, id="regexp-number-source"
    ),
    # $escape of something else reads its Object.keys.
    *(
        pytest.param(echo(f'{{"$escape":{value}}}'), ANSWERED, id=f"escape-{name}")
        for name, value in [
            ("number", "5"),
            ("text", '"ab"'),
            ("list", '[1,{"$date":0}]'),
        ]
    ),
    pytest.param(echo('{"$escape":null}'), PARSE_ERROR, id="escape-null"),
    pytest.param(
        echo('{"$escape":{"a":1},"$b":2}'), ANSWERED, id="escape-with-company"
    ),
    # Lone UTF-16 surrogates are valid JSON strings; JSON.stringify escapes them.
    pytest.param(echo('"\\ud800 evil"'), ANSWERED, id="lone-high-surrogate"),
    pytest.param(echo('"a\\udc00b"'), ANSWERED, id="lone-low-surrogate"),
    pytest.param(echo('"\\ud83d\\ude00"'), ANSWERED, id="surrogate-pair"),
    # Node clamps a timer outside 1..2**31-1 ms to 1 ms: slow() answers at once.
    *(
        pytest.param(echo(value, "slow"), ANSWERED, id=f"slow-{name}")
        for name, value in [("1e300", "1e300"), ("negative", "-5"), ("text", '"x"')]
    ),
    pytest.param(
        '{"msg":"ping","id":null}', ["pong", "updated", "result"], id="ping-null-id"
    ),
]


@pytest.mark.parametrize(("frame", "expected"), EDGE_CASES)
async def test_edge_values_get_meteors_answer_to_the_character(
    servers: dict[str, str], frame: str, expected: list[str]
) -> None:
    """Odd numbers, dates, binary, patterns, surrogates and timers: ours writes exactly what Meteor writes."""
    assert await same_text(servers, frame) == expected


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param(echo(nested(480)), ANSWERED, id="echo-480-levels"),
        pytest.param(echo(nested(2_000)), ANSWERED, id="echo-2000-levels"),
        pytest.param(
            f'{{"msg":"sub","id":"s","name":"items","params":[{nested(2_000)}]}}',
            ["ready", "updated", "result"],
            id="sub-params-2000-levels",
        ),
        pytest.param(echo(nested(20_000)), PARSE_ERROR, id="echo-20000-levels"),
    ],
)
async def test_deep_frames_get_meteors_answers(
    servers: dict[str, str], frame: str, expected: list[str]
) -> None:
    """Nesting past Python's recursion limit is answered as Meteor answers it, and the session lives on."""
    assert await same_text(servers, frame) == expected


async def test_deep_frames_over_sockjs_get_meteors_answers(
    servers: dict[str, str],
) -> None:
    """A deep frame inside a SockJS envelope is answered, not a broken session."""
    assert await same_text(servers, echo(nested(2_000)), sockjs=True) == ANSWERED


async def test_deeper_than_meteor_answers_we_still_answer(
    servers: dict[str, str], our_server: Any
) -> None:
    """Deliberate: at 5,000 levels Meteor's V8 runs out of stack and never sends the result; ours answers."""
    meteor = await texts(servers["meteor"], echo(nested(5_000)))
    ours = await texts(servers["ours"], echo(nested(5_000)))
    assert [_head(t)["msg"] for t in meteor] == ["updated", "updated", "result"]
    assert [_head(t)["msg"] for t in ours] == ["updated", "result", "updated", "result"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            {
                "Origin": "http://app.example",
                "Access-Control-Request-Headers": "x-user-id, content-type",
                "Access-Control-Request-Method": "GET",
            },
            id="preflight-with-origin",
        ),
        pytest.param({}, id="preflight-bare"),
    ],
)
async def test_sockjs_info_preflight_is_answered_as_meteor(
    servers: dict[str, str], headers: dict[str, str]
) -> None:
    """OPTIONS /sockjs/info (a browser's CORS preflight) gets Meteor's 204 and headers, so the real GET follows."""
    answers = [
        await _http("OPTIONS", servers[name], headers) for name in ("meteor", "ours")
    ]
    assert answers[1] == answers[0]
    assert answers[0][0] == 204


async def _http(
    method: str, url: str, headers: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """Status and the CORS and caching headers of one request to /sockjs/info."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await asyncio.open_connection(host, int(port))
        lines = [f"{method} /sockjs/info HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        writer.close()
    status_line, *header_lines = head.strip().split("\r\n")
    kept = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.lower().startswith("access-control") or name.lower() in (
            "vary",
            "cache-control",
            "allow",
        ):
            kept[name.lower()] = value.strip()
    return int(status_line.split()[1]), kept
