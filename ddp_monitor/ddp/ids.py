"""Meteor-style random ids (``packages/random``); imports nothing.

Callers inject ``random_id``-shaped functions so tests can use fixed ids.
"""

from __future__ import annotations

import secrets

__all__ = ["UNMISTAKABLE_CHARS", "random_hex", "random_id"]

#: Random.id()'s alphabet: no 0/O, 1/l/I lookalikes.
UNMISTAKABLE_CHARS = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"


def random_id(length: int = 17) -> str:
    """A Random.id(): 17 characters by default, as Meteor's session and sub ids."""
    return "".join(secrets.choice(UNMISTAKABLE_CHARS) for _ in range(length))


def random_hex(length: int = 20) -> str:
    """Random.hexString(): what a method's ``randomSeed`` looks like."""
    return secrets.token_hex((length + 1) // 2)[:length]
