"""Accounts over DDP, the pure part: password digests, login params, resume tokens.

Owns the values Meteor's accounts packages put on the wire and keep on the
server (docs/meteor-ddp.md section 9); imports the standard library only (hashlib,
base64, secrets), so both the client (``ddp_monitor.transport.client.accounts``) and the demo
server (``ddp_monitor.demo.accounts``) share one copy.

The digest subtlety: Meteor's ``SHA256()`` (``packages/sha/sha256.js``
``Utf8Encode``) walks the string with ``charCodeAt``, i.e. UTF-16 code units
one at a time, and encodes each as UTF-8 on its own. A character outside the
BMP is two surrogate code units and so becomes two 3-byte sequences (CESU-8),
not the 4 bytes of real UTF-8. Python's ``surrogatepass`` error handler encodes
a lone surrogate exactly that way, so splitting into UTF-16 units first gives
Meteor's bytes. (The ``\\r\\n`` -> ``\\n`` replacement of the original webtoolkit
code is commented out in Meteor, so line breaks are hashed as they are.)
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

__all__ = [
    "BASE64_CHARS",
    "login_password_params",
    "login_resume_params",
    "meteor_sha256",
    "random_secret",
    "token_hash",
    "user_selector",
]

#: Random.secret()'s alphabet (``packages/random/AbstractRandomGenerator.js``).
BASE64_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _meteor_utf8(text: str) -> bytes:
    """``Utf8Encode`` of sha256.js: each UTF-16 code unit encoded on its own."""
    if text.isascii():
        return text.encode("ascii")
    units = text.encode("utf-16-le", "surrogatepass")
    return b"".join(
        chr(int.from_bytes(units[at : at + 2], "little")).encode(
            "utf-8", "surrogatepass"
        )
        for at in range(0, len(units), 2)
    )


def meteor_sha256(text: str) -> str:
    """Meteor's ``SHA256(text)``: lower-case hex, 64 characters.

    Equal to ``hashlib.sha256(text.encode()).hexdigest()`` except for text with
    characters outside the BMP (emoji, many CJK extensions): see the module
    docstring.
    """
    return hashlib.sha256(_meteor_utf8(text)).hexdigest()


def user_selector(user: str) -> dict[str, str]:
    """``{"email": user}`` when it contains ``@``, else ``{"username": user}``.

    ``accounts-password/password_client.js`` ``loginWithPassword`` makes this
    choice for a string selector.
    """
    return {"email": user} if "@" in user else {"username": user}


def login_password_params(user: str, password: str) -> list[dict[str, Any]]:
    """The params of ``login`` as ``Meteor.loginWithPassword`` sends them.

    ``password_client.js`` ``internalLoginWithPassword`` with
    ``Accounts._hashPassword``: the digest, never the password itself.
    """
    digest = {"digest": meteor_sha256(password), "algorithm": "sha-256"}
    return [{"user": user_selector(user), "password": digest}]


def login_resume_params(token: str) -> list[dict[str, str]]:
    """The params of ``login`` with a resume token (``loginWithToken``)."""
    return [{"resume": token}]


def random_secret(length: int = 43) -> str:
    """``Random.secret()``: 43 characters of ``BASE64_CHARS`` (about 256 bits)."""
    return "".join(secrets.choice(BASE64_CHARS) for _ in range(length))


def token_hash(token: str) -> str:
    """``Accounts._hashLoginToken``: base64 of SHA-256 (Node's ``digest('base64')``).

    The server keeps only this, never the token (``accounts_server.js``).
    """
    return base64.b64encode(hashlib.sha256(token.encode("utf-8")).digest()).decode(
        "ascii"
    )
