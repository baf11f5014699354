"""A ``ClientConnection`` wired to a scripted fake server, in memory.

The test plays the server: ``feed(...)`` hands the client one frame,
``sent()`` returns what the client wrote (decoded), ``take(kind)`` its events
of one type. Time is a number the test moves; randomness is fixed.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from ddp_monitor.ddp.client.connection import ClientConnection
from ddp_monitor.ddp.client.events import Event

__all__ = ["SEED", "Pair"]

SEED = "0123456789abcdef0123"


class Pair:
    def __init__(self, now: float = 0.0, **options: Any) -> None:
        counter = itertools.count(1)
        options.setdefault("rng", lambda: 0.5)
        options.setdefault("new_id", lambda: f"id{next(counter)}")
        options.setdefault("new_seed", lambda: SEED)
        self.now = now
        self.client = ClientConnection(now, **options)
        self.log: list[Event] = []

    def open(self) -> list[dict[str, Any]]:
        """The transport opens; returns the frames the client sent."""
        self.client.transport_opened(self.now)
        return self.sent()

    def handshake(self, session: str = "S1") -> list[dict[str, Any]]:
        """Open and answer ``connect`` with ``connected``; returns the frames sent."""
        frames = self.open()
        self.feed(msg="connected", session=session)
        return frames + self.sent()

    def feed(self, **msg: Any) -> None:
        self.client.receive_text(json.dumps(msg), self.now)

    def feed_text(self, text: str) -> None:
        self.client.receive_text(text, self.now)

    def sent(self) -> list[dict[str, Any]]:
        return [json.loads(t) for t in self.client.messages_to_send()]

    def events(self) -> list[Event]:
        events = self.client.events()
        self.log.extend(events)
        return events

    def take(self, kind: type) -> list[Any]:
        """Events of one type since the last call to ``events``/``take``."""
        return [e for e in self.events() if isinstance(e, kind)]

    def advance(self, to: float) -> None:
        """Move the clock to ``to`` and fire the timer as the driver would."""
        while True:
            deadline = self.client.next_deadline()
            if deadline is None or deadline > to:
                break
            self.now = max(self.now, deadline)
            self.client.handle_timer(self.now)
        self.now = to
