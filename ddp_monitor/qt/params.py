"""EJSON parameters typed by a person: checked as they type, before anything is sent.

Owns ``parse_params`` and ``ParamsError``; imports ``ddp.ejson`` and
``ddp.errors`` only (no Qt, so it is tested with plain strings). The method
console and the subscribe form share it.
"""

from __future__ import annotations

import json
from typing import Any

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.errors import ProtocolError

__all__ = ["ParamsError", "describe_params", "parse_params", "value_kind"]


class ParamsError(ValueError):
    """Text that is not a JSON array of EJSON values; ``message`` says where and why."""

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse_params(text: str) -> list[Any]:
    """The parameters in ``text``: a JSON array (``[1, {"$date": 0}]``); empty means none.

    Raises:
        ParamsError: the text is not JSON, not an array, or has bad EJSON.
    """
    if not text.strip():
        return []
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParamsError(
            f"Line {exc.lineno}, column {exc.colno}: {exc.msg}", exc.lineno, exc.colno
        ) from None
    if not isinstance(raw, list):
        raise ParamsError(
            'Parameters are a JSON array, e.g. ["buy milk", {"$date": 1700000000000}]'
        )
    try:
        params: list[Any] = ejson.from_json_value(raw)
    except ProtocolError as exc:
        raise ParamsError(f"Bad EJSON: {exc.detail}") from None
    return params


def describe_params(params: list[Any]) -> str:
    """A short confirmation, e.g. ``2 parameters: string, Date``."""
    if not params:
        return "no parameters"
    kinds = ", ".join(value_kind(p) for p in params[:6]) + (
        ", ..." if len(params) > 6 else ""
    )
    noun = "parameter" if len(params) == 1 else "parameters"
    return f"{len(params)} {noun}: {kinds}"


def value_kind(value: Any) -> str:
    """The EJSON type name of a value, as Meteor's ``describe`` says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, bytes):
        return "Binary"
    return {"datetime": "Date"}.get(type(value).__name__, type(value).__name__)
