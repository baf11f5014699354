"""What a recording never holds: passwords and tokens, replaced by ``MASK``.

Owns the masking rules, for a recording's lines and for a frame's text (an
agent's log); imports ``ddp.jsontext`` (a masked frame's text). A recording is made
to be attached to a bug report, so a login's password digest, a resume token
and a password reset token must not reach the file. The rules, documented in
``docs/recording-format.md``:

- in the parameters of any method, and in any method's result, the value of a
  key in ``SECRET_KEYS`` (``{"password": {"digest": ...}}``,
  ``{"resume": token}``, ``{"token": ...}`` in login's answer);
- every parameter of the methods in ``SECRET_POSITIONAL`` (Meteor's
  ``changePassword(oldDigest, newDigest)``, ``resetPassword(token, digest)``,
  ``verifyEmail(token)``), whose secrets have no key;
- the same keys in documents of the ``users`` collection
  (``services.resume.loginTokens[].hashedToken``, should an app publish it).

Each masked value leaves its path (``params.0.password``) in the line's
``masked`` list, so a reader knows what was there.
"""

from __future__ import annotations

import json
from typing import Any

from ddp_monitor.ddp.jsontext import dumps

__all__ = [
    "MASK",
    "SECRET_KEYS",
    "SECRET_POSITIONAL",
    "mask_document",
    "mask_frame",
    "mask_message",
    "mask_params",
    "mask_result",
    "rules",
]

MASK = "***"
SECRET_KEYS = frozenset({"password", "resume", "token", "hashedToken", "newPassword"})
SECRET_POSITIONAL = frozenset({"changePassword", "resetPassword", "verifyEmail"})


def rules() -> dict[str, Any]:
    """The rules, as a recording's header states them."""
    return {
        "replacement": MASK,
        "keys": sorted(SECRET_KEYS),
        "every_parameter_of": sorted(SECRET_POSITIONAL),
        "documents_of": ["users"],
    }


def mask_params(method: str, params: Any, masked: list[str]) -> Any:
    """``params`` with secrets replaced; their paths appended to ``masked``."""
    if method in SECRET_POSITIONAL and isinstance(params, list):
        masked.extend(f"params.{i}" for i in range(len(params)))
        return [MASK] * len(params)
    return _mask(params, "params", masked)


def mask_result(result: Any, masked: list[str]) -> Any:
    return _mask(result, "result", masked)


def mask_document(collection: str, fields: Any, masked: list[str]) -> Any:
    return _mask(fields, "fields", masked) if collection == "users" else fields


def mask_message(message: dict[str, Any], masked: list[str]) -> dict[str, Any]:
    """A DDP message with its secrets masked (itself when it holds none)."""
    msg = message.get("msg")
    if msg == "method" and "params" in message:
        params = mask_params(str(message.get("method")), message["params"], masked)
        return message if params is message["params"] else {**message, "params": params}
    if msg == "result" and "result" in message:
        result = mask_result(message["result"], masked)
        return message if result is message["result"] else {**message, "result": result}
    if msg in ("added", "changed", "addedBefore") and "fields" in message:
        fields = mask_document(
            str(message.get("collection")), message["fields"], masked
        )
        return message if fields is message["fields"] else {**message, "fields": fields}
    return message


def mask_frame(text: str) -> str:
    """A DDP frame's text with its secrets masked (the same text when none)."""
    try:
        message = json.loads(text)
    except ValueError:
        return text
    if not isinstance(message, dict):
        return text
    masked: list[str] = []
    clean = mask_message(message, masked)
    return dumps(clean) if masked else text


def _mask(value: Any, path: str, masked: list[str]) -> Any:
    """A copy of ``value`` with secret keys masked, or ``value`` itself when none.

    Recursive: parameters and results are shallow in practice, and a deep one
    was already decoded by a recursive-safe parser (ejson's depth limit).
    """
    if isinstance(value, dict):
        copy: dict[str, Any] | None = None
        for key, item in value.items():
            if key in SECRET_KEYS and item is not None:
                new: Any = MASK
                masked.append(f"{path}.{key}")
            else:
                new = _mask(item, f"{path}.{key}", masked)
            if new is not item:
                if copy is None:
                    copy = dict(value)
                copy[key] = new
        return value if copy is None else copy
    if isinstance(value, list):
        items: list[Any] | None = None
        for index, item in enumerate(value):
            new = _mask(item, f"{path}.{index}", masked)
            if new is not item:
                if items is None:
                    items = list(value)
                items[index] = new
        return value if items is None else items
    return value
