"""``FastLink``: a ``Link`` that reads the server's plain text frames itself.

Owns the proxy's upstream socket parser; imports websockets (states, opcodes)
and the sibling ``link``. Relaying ``items(100000)`` the proxy spent most of
its time in websockets' frame parser (a generator per frame, in Python); a
server's frames are unmasked and a DDP server's are whole text frames, so
this reads each such frame's header and payload straight from the received
bytes and hands the text over (``transport.direct``). Everything else (the
handshake, any frame that is not a final text frame: control frames, close,
fragments, binary, reserved bits, a masked frame) goes to websockets
untouched, byte for byte and whole, so its protocol (the close handshake,
errors) is unchanged; a frame that is not UTF-8 goes there too, so it fails
the connection as websockets would.
"""

from __future__ import annotations

from typing import Any

from websockets.frames import Opcode
from websockets.protocol import State

from ddp_monitor.transport.client.link import Link

__all__ = ["FastLink"]

_TEXT_FIN = 0x80 | Opcode.TEXT.value  # FIN, no reserved bits, text


class FastLink(Link):
    """The proxy's upstream socket: plain text frames parsed here, the rest by websockets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending = b""  # the start of a frame the next read completes

    def data_received(self, data: bytes) -> None:
        protocol = self.protocol
        if (
            protocol.state is not State.OPEN
            or self.on_message is None
            or protocol.extensions
            or protocol.reader.buffer
        ):
            # The handshake, a socket being closed, messages before attach,
            # or websockets holding part of a frame: all websockets'.
            if self._pending:
                data, self._pending = self._pending + data, b""
            super().data_received(data)
            return
        buffer = self._pending + data if self._pending else data
        view = memoryview(buffer)
        end = len(buffer)
        at = 0
        deliver = self.on_message
        while end - at >= 2:
            head, second = buffer[at], buffer[at + 1]
            length = second & 0x7F
            start = at + 2
            if length == 126:
                if end - start < 2:
                    break
                length = int.from_bytes(buffer[start : start + 2], "big")
                start += 2
            elif length == 127:
                if end - start < 8:
                    break
                length = int.from_bytes(buffer[start : start + 8], "big")
                start += 8
            stop = start + length
            if second & 0x80:  # masked: a protocol error websockets reports
                stop = start + 4 + length
            if end < stop:
                break
            text: str | None = None
            if head == _TEXT_FIN and not second & 0x80:
                try:
                    text = str(view[start:stop], "utf-8")
                except UnicodeDecodeError:
                    text = None
            if text is not None:
                deliver(self, text)
            else:
                self._to_websockets(bytes(view[at:stop]))
                if self.protocol.state is not State.OPEN:
                    self._pending = b""
                    rest = bytes(view[stop:])
                    if rest:
                        super().data_received(rest)
                    return
            at = stop
        self._pending = bytes(view[at:]) if at < end else b""
        if self.on_read is not None:
            self.on_read(self)

    def _to_websockets(self, frame: bytes) -> None:
        # One whole frame: websockets' parser ends it with an empty buffer.
        on_read, self.on_read = self.on_read, None
        try:
            super().data_received(frame)
        finally:
            self.on_read = on_read
