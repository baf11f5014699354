"""Messages over the socket between the window and its hosted server: length, then pickle.

Owns ``encode`` and ``Receiver``; imports the standard library only. The
window never blocks on this socket: ``Receiver.receive`` takes what the
socket has now (it is non-blocking) and hands back only whole messages,
keeping a partial one for next time. (``multiprocessing``'s ``Connection.recv``
blocks until a whole message has arrived: a 300 KB batch from a server busy
with 1,000 clients kept the window waiting 100 ms and more.)
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

__all__ = ["Receiver", "encode"]

_HEADER = struct.Struct("!I")
_CHUNK = 256 * 1024


def encode(message: Any) -> bytes:
    """One message as its length and its pickle, ready for ``sendall``."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class Receiver:
    """Whole messages from a non-blocking socket, as they complete."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._buffer = bytearray()
        self.ended = False  # the other side closed (or died)

    def receive(self) -> list[Any]:
        """The messages that are complete now (reads until the socket is empty)."""
        while not self.ended:
            try:
                data = self._sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.ended = True
                break
            if not data:
                self.ended = True
                break
            self._buffer += data
        return self._messages()

    def _messages(self) -> list[Any]:
        messages, buffer, at = [], self._buffer, 0
        while len(buffer) - at >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, at)
            end = at + _HEADER.size + size
            if len(buffer) < end:
                break
            messages.append(pickle.loads(memoryview(buffer)[at + _HEADER.size : end]))
            at = end
        del buffer[:at]
        return messages
