"""Ending a test client's TCP connection as a network would: ``reset`` (RST, no close frame).

Owns ``reset``; imports the standard library and the client's type.
"""

from __future__ import annotations

import socket
import struct

from ddp_monitor.transport.client import DDPClient

__all__ = ["reset"]


def reset(client: DDPClient) -> None:
    """Cut the client's TCP connection with a reset: no close frame, no FIN."""
    link = client._link
    assert link is not None, "the client has no socket to reset"
    sock = link.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    link.transport.abort()
