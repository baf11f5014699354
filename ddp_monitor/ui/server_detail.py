"""The Server tab's detail pane: one connection's addresses, headers, subscriptions and last frames.

Owns ``ConnectionDetail``, ``describe`` and ``describe_frames``; imports QtWidgets/QtCore,
``ddp.server.forwarding`` and the ``qt.server_model`` record (the connection it
carries, as the hosted server's process reported it, is read, never imported).
Plain monospace text, so any part copies with the mouse or Ctrl+C.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from ddp_monitor.ddp.server.forwarding import ForwardedRule, client_address
from ddp_monitor.qt.server_model import ConnectionRecord
from ddp_monitor.ui.json_view import JsonView

__all__ = ["ConnectionDetail", "describe", "describe_frames"]

_EMPTY = "Select a connection to see its HTTP headers, subscriptions and last frames."
#: A frame line is cut here (the ring already keeps at most 2,000 characters).
_FRAME_CHARS = 400


def _wall(monotonic: float) -> str:
    """A loop-clock time as local wall-clock time, to the millisecond."""
    wall = time.time() - (time.monotonic() - monotonic)
    return (
        time.strftime("%H:%M:%S", time.localtime(wall))
        + f".{int(wall * 1000) % 1000:03d}"
    )


def _age(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def describe(record: ConnectionRecord, count: int, rule: ForwardedRule) -> str:
    """The detail text of one connection, for ``count`` proxies by ``rule``."""
    connection = record.connection
    chain = connection.forwarded_for
    lines = [
        f"Connection {record.connection_id}  ({record.transport}, DDP "
        f"{record.version or '-'}, user {record.user_id or '-'})"
        + ("  CLOSED" if record.closed else ""),
        "",
        f"  client address   {record.client_address or '(none)'}",
        f"  peer address     {record.peer_address or '-'}",
        f"  forwarded chain  {' > '.join(chain) if chain else '(no X-Forwarded-For)'}",
    ]
    if count:
        # Both rules side by side: where they differ, the header was tampered
        # with or the proxy count is wrong (forwarding.py's docstring).
        for other in ForwardedRule:
            address = client_address(
                record.peer_address, record.forwarded_for, count, other
            )
            label = f"{other.value} rule"
            lines.append(f"  {label:<16} {address or '(none)'} (behind {count})")
    else:
        lines.append(
            "  no proxies       (HTTP_FORWARDED_COUNT 0: the peer is the client)"
        )
    lines.append(
        f"  connected        {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(record.connected_at))}"
        f" ({_age(time.time() - record.connected_at)} ago)"
    )
    if record.session_words:  # session resumption: waiting, or resumed
        lines.append(f"  session          {record.session_words}")
    headers = connection.headers
    lines += ["", f"HTTP headers ({len(headers)}; sockjs's whitelist, never cookies)"]
    width = max((len(name) for name in headers), default=0)
    lines += [f"  {name:<{width}}  {value}" for name, value in sorted(headers.items())]
    subscriptions = record.subscription_names
    lines += ["", f"Subscriptions ({len(subscriptions)})"]
    lines += [f"  {sub_id}  {name}" for sub_id, name in subscriptions.items()]
    if not subscriptions:
        lines.append("  none")
    return "\n".join(lines)


def describe_frames(record: ConnectionRecord) -> str:
    """The connection's last frames, oldest first, one line each."""
    frames = record.recent_frames
    lines = [
        f"Recent frames (last {len(frames)}; {record.messages_in:,} in and "
        f"{record.messages_out:,} out so far)"
    ]
    for frame in frames:
        arrow = "C\u2192S" if frame.direction == "in" else "S\u2192C"
        text = frame.data if isinstance(frame.data, str) else repr(frame.data)
        if len(text) > _FRAME_CHARS:
            text = text[:_FRAME_CHARS] + "\u2026"
        lines.append(f"  {_wall(frame.time)} {arrow} {text}")
    if not frames:
        lines.append("  none yet")
    return "\n".join(lines)


class ConnectionDetail(QSplitter):
    """Addresses, headers and subscriptions on the left; the last frames on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("serverDetailSplitter")
        self.summary = JsonView(_EMPTY, wrap=False)
        self.frames = JsonView("", wrap=False)
        self.addWidget(self.summary)
        self.addWidget(self.frames)
        self.setSizes([460, 600])
        self.connection_id: str | None = None

    def show_record(
        self, record: ConnectionRecord | None, count: int, rule: ForwardedRule
    ) -> None:
        self.connection_id = record.connection_id if record is not None else None
        if record is None:
            self.summary.show_text("")
            self.frames.show_text("")
            return
        self.summary.show_text(describe(record, count, rule))
        self.frames.show_text(describe_frames(record))

    def text(self) -> str:
        """Everything shown, as one text."""
        return f"{self.summary.toPlainText()}\n\n{self.frames.toPlainText()}"
