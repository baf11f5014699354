"""Whether a call answered what its step expects, and the diff when not.

Owns ``Verdict`` and ``check``; imports the standard library, ``steps`` and
``ddp`` values (EJSON, a Meteor.Error's fields). Pure: a result and an error in, a
verdict out.

Values compare as ``EJSON.equals`` does (``ejson.equals``: ``3 == 3.0``, key
order ignored, a boolean is no number). The diff is a unified diff of both values as indented
canonical EJSON, so a reader sees the field that differs.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from ddp_monitor.ddp.ejson import equals, to_json_value
from ddp_monitor.ddp.errors import error_fields
from ddp_monitor.steps import Expect, ExpectKind

__all__ = ["Verdict", "check"]


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    detail: str
    diff: tuple[str, ...] = ()


def _text(value: Any) -> list[str]:
    return json.dumps(
        to_json_value(value), indent=2, sort_keys=True, ensure_ascii=False
    ).splitlines()


def _diff(expected: Any, got: Any) -> tuple[str, ...]:
    return tuple(
        difflib.unified_diff(
            _text(expected), _text(got), "expected", "got", lineterm="", n=2
        )
    )


def check(expect: Expect | None, result: Any, error: BaseException | None) -> Verdict:
    """The verdict on one answer (``error`` None: ``result`` came back).

    Without an expectation any result passes and any error fails: a scenario
    is a check, and an error nobody expected is news.
    """
    if expect is None:
        if error is None:
            return Verdict(True, "answered")
        return Verdict(False, f"failed: {error}")
    if expect.kind is ExpectKind.RESULT:
        if error is not None:
            return Verdict(False, f"expected a result, got the error {error}")
        if equals(expect.value, result):
            return Verdict(True, "the result is the one expected")
        return Verdict(
            False, "the result is not the one expected", _diff(expect.value, result)
        )
    wanted = {"error": expect.value}
    if expect.reason is not None:
        wanted["reason"] = expect.reason
    if error is None:
        return Verdict(
            False,
            f"expected the error {expect.value!r}, got a result",
            _diff(wanted, {"result": result}),
        )
    fields = error_fields(error)
    got = {key: fields[key] for key in wanted}
    if equals(wanted, got):
        return Verdict(True, f"failed as expected: {error}")
    return Verdict(False, "not the error expected", _diff(wanted, got))
