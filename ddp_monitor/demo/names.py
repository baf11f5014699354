"""What the demo application offers, by name: one list for the server and the window.

Owns the names only; imports nothing, so the window can offer them for
completion without loading the demo server. ``tests/demo/test_names.py``
checks them against what ``demo.server`` registers.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACCOUNT",
    "ACCOUNT_METHODS",
    "FIRST_SUBSCRIPTIONS",
    "METHODS",
    "PUBLICATIONS",
]

#: The demo's own methods, in registration order.
METHODS = (
    "echo",
    "describe",
    "add",
    "slow",
    "fail",
    "whoami",
    "tasks.add",
    "tasks.toggle",
    "tasks.remove",
)
#: Meteor's accounts methods, which ``demo.accounts`` adds.
ACCOUNT_METHODS = ("login", "logout")
#: The account a newcomer logs in with (username, password): the window's
#: login form offers it on the demo, and the README names it.
ACCOUNT = ("demo", "demo")
#: The named publications (the users publication is universal: it has none).
PUBLICATIONS = ("items", "ticker", "tasks", "presence")
#: What the window subscribes to when it opens on the demo, so every panel moves.
FIRST_SUBSCRIPTIONS: tuple[tuple[str, list[Any]], ...] = (
    ("tasks", []),
    ("presence", []),
    ("ticker", [1000]),
)
