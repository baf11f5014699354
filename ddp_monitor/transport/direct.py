"""Messages handed over as websockets parses them, for both wings' connections.

Owns ``DirectMessages``, a mixin for websockets' asyncio connections
(``ClientConnection`` in ``transport.client.link``, ``ServerConnection`` in
the proxy's front door); imports websockets only.

websockets queues messages for ``recv()``, so a reader task wakes for them
and then wakes the task awaiting a result: one loop iteration more than a
bare client per message, plus the queue's cost per message (a third of a
bare client's time, measured). Here ``process_event`` (run from
``data_received``) assembles each data message and calls
``on_message(conn, data)`` at once: text as ``str``, binary as ``bytes``;
``on_read(conn)``, if set, runs once after each read, so a relay writes all
the messages of one read at once. Messages parsed before ``attach`` wait for
it. A connection whose ``direct`` is False (the default on the server side)
keeps websockets' queue: ``async for`` works as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.frames import CloseCode, Frame, Opcode

__all__ = ["DirectMessages"]


class DirectMessages:
    """Mixin: put it before websockets' connection class."""

    direct = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every attribute set here, none later: instances then share one
        # key table (PEP 412), which a thousand idle sockets notice.
        self.on_message: Callable[[Any, str | bytes], None] | None = None
        self.on_read: Callable[[Any], None] | None = None
        self._early: list[str | bytes] = []
        self._fragments: list[bytes] = []
        self._fragmented_text = False

    def attach(self, on_message: Callable[[Any, str | bytes], None]) -> None:
        """Start delivering messages (first the ones that came early)."""
        self.on_message = on_message
        early, self._early = self._early, []
        for data in early:
            on_message(self, data)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.on_read is not None:
            self.on_read(self)

    def process_event(self, event: Any) -> None:
        if not self.direct or not isinstance(event, Frame):
            super().process_event(event)  # type: ignore[misc]  # handshake, pings, pongs
            return
        opcode = event.opcode
        if opcode is Opcode.CONT:
            self._fragments.append(bytes(event.data))
            if not event.fin:
                return
            data: bytes | bytearray | memoryview = b"".join(self._fragments)
            text = self._fragmented_text
            self._fragments = []
        elif opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if not event.fin:
                self._fragments = [bytes(event.data)]
                self._fragmented_text = opcode is Opcode.TEXT
                return
            data, text = event.data, opcode is Opcode.TEXT
        else:
            super().process_event(event)  # type: ignore[misc]  # ping, pong, close
            return
        if text:
            try:
                message: str | bytes = str(data, "utf-8")
            except UnicodeDecodeError:
                protocol: Any = getattr(self, "protocol")  # noqa: B009 (a mixin)
                protocol.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text frame")
                self.send_data()  # type: ignore[attr-defined]
                return
        else:
            message = bytes(data)
        if self.on_message is None:
            self._early.append(message)
        else:
            self.on_message(self, message)
