"""Light DDP receivers for the fan-out benchmark: plain sockets, one selector, a byte search.

Owns ``RawClient`` and ``wait_all``; imports the standard library only. A
thousand ``websockets`` clients in the benchmark's own loop each woke a task,
parsed frames and json-decoded them, so timing "every subscriber has the
change" measured mostly the receivers (bench_server's fan-out reference and
our server came out alike). These do the WebSocket handshake by hand, send
masked text frames, and on reading only look for a marker such as
``"added"`` in the bytes: a few microseconds per socket, so what is
left to time is the server.
"""

from __future__ import annotations

import base64
import os
import selectors
import socket
import struct
import time
from urllib.parse import urlsplit

__all__ = ["RawClient", "wait_all"]

_MASK = b"\x01\x02\x03\x04"


class RawClient:
    """One WebSocket connection, blocking until its handshake is done, then non-blocking."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        where = urlsplit(url)
        self.sock = socket.create_connection(
            (where.hostname or "127.0.0.1", where.port or 80), timeout=timeout
        )
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {where.path or '/'} HTTP/1.1\r\nHost: {where.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
        self.seen = head.split(b"\r\n\r\n", 1)[1]  # what followed the handshake
        self.sock.setblocking(False)

    def send_text(self, text: str) -> None:
        """One masked text frame (clients must mask)."""
        data = text.encode()
        size = len(data)
        if size < 126:
            header = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(b ^ _MASK[i % 4] for i, b in enumerate(data))
        self.sock.setblocking(True)
        self.sock.sendall(header + _MASK + masked)
        self.sock.setblocking(False)

    def forget(self) -> None:
        """Drop what was read so far (the next marker must be a new one)."""
        self.seen = b""

    def close(self) -> None:
        self.sock.close()


def wait_all(clients: list[RawClient], marker: bytes, timeout: float = 60.0) -> float:
    """Read until every client has seen ``marker``; the ``perf_counter`` time of the last."""
    selector = selectors.DefaultSelector()
    waiting = 0
    for client in clients:
        if marker not in client.seen:
            selector.register(client.sock, selectors.EVENT_READ, client)
            waiting += 1
    last = time.perf_counter()
    deadline = last + timeout
    while waiting:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{waiting} clients never saw {marker!r}")
        for key, _ in selector.select(1.0):
            client: RawClient = key.data
            try:
                data = client.sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                raise ConnectionError("a client's connection closed")
            # Keep a tail: a marker may straddle two reads.
            client.seen = client.seen[-len(marker) :] + data
            if marker in client.seen:
                selector.unregister(client.sock)
                waiting -= 1
                last = time.perf_counter()
    selector.close()
    return last
