"""What a resumable session keeps of its output: ``SentFrames``.

Session resumption (Meteor's newest ``ddp-server``, pull request #14051):
the server counts the frames it sends other than ping/pong and the handshake
answers, as the client counts what it receives. It keeps the last
``max_message_queue_length`` frames written to a socket (the history) and,
while no socket is attached, the frames made meanwhile (the gap, of at most
that many; one more ends the session). A client that reconnects saying it
received ``receivedCount`` frames gets the history after that count, then
the gap, in order; a count the history cannot serve is an invalid handoff.
Imports nothing; ``session.ServerSession`` owns one.
"""

from __future__ import annotations

from collections import deque

__all__ = [
    "DEFAULT_DISCONNECT_GRACE_PERIOD",
    "DEFAULT_MAX_MESSAGE_QUEUE_LENGTH",
    "SentFrames",
]

#: Meteor.server.options.disconnectGracePeriod (15000 ms), in seconds.
DEFAULT_DISCONNECT_GRACE_PERIOD = 15.0
#: Meteor.server.options.maxMessageQueueLength.
DEFAULT_MAX_MESSAGE_QUEUE_LENGTH = 100

# Every frame the session makes starts with its `msg` (Meteor's key order).
_UNCOUNTED = ('{"msg":"ping"', '{"msg":"pong"', '{"msg":"connected"', '{"msg":"failed"')


def counted(frames: list[str]) -> list[str]:
    """The frames a client counts: all but ping/pong, ``connected`` and ``failed``."""
    return [text for text in frames if not text.startswith(_UNCOUNTED)]


class SentFrames:
    """The count, the history and the gap of one session's output."""

    __slots__ = ("gap", "history", "limit", "written")

    def __init__(self, limit: int = DEFAULT_MAX_MESSAGE_QUEUE_LENGTH) -> None:
        self.limit = limit
        #: counted frames handed to a socket so far
        self.written = 0
        self.history: deque[str] = deque(maxlen=limit)
        self.gap: list[str] = []

    @property
    def count(self) -> int:
        """Counted frames made so far (written or waiting in the gap)."""
        return self.written + len(self.gap)

    def sent(self, frames: list[str]) -> None:
        """Frames going to the socket now (uncounted ones are skipped here)."""
        kept = counted(frames)
        self.written += len(kept)
        self.history.extend(kept[-self.limit :])

    def held(self, frames: list[str]) -> bool:
        """Frames made while detached; False once the gap is over its limit."""
        self.gap.extend(counted(frames))
        return len(self.gap) <= self.limit

    def can_resume(self, received_count: int) -> bool:
        """The history still holds every written frame after ``received_count``."""
        return self.written - len(self.history) <= received_count <= self.written

    def replay(self, received_count: int) -> list[str]:
        """The frames after ``received_count``: history tail, then the gap.

        The gap joins the history as it goes out, so a replay cut short by
        the next socket's failure can be served again.
        """
        start = received_count - (self.written - len(self.history))
        frames = list(self.history)[start:] + self.gap
        self.sent(self.gap)
        self.gap = []
        return frames
