"""Starting and ending the hosted server's process, from the window's side.

Owns ``bind`` and ``HostedProcess``; imports multiprocessing, socket and
``hosting.views`` only: the window's process never loads the server library
(``hosting.process`` is imported in the child, by name). The port is bound
here, so a taken port is reported at once and the URL is known before the
child has even started: clients wait in the listen queue meanwhile, and the
child serves the very socket (``DDPServer.start(sock=...)``).

The child is a ``spawn`` process (a fresh interpreter: forking a Qt
process is unsafe), a daemon, so it dies with the window; it also stops when
its pipe closes. A frozen build needs ``multiprocessing.freeze_support()`` in
its entry point (``ddp_monitor/__main__.py``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
from typing import Any

from ddp_monitor.ddp.server.forwarding import parse_forwarded_count
from ddp_monitor.hosting.views import Command, HostingPlan, Report
from ddp_monitor.hosting.wire import Receiver, encode

__all__ = ["BACKLOG", "HostedProcess", "bind", "forwarded_count_from_environment"]

#: Connections waiting to be accepted: 1,000 browsers may arrive at once.
BACKLOG = 1024


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (0: any free port).

    Raises:
        OSError: the port is taken, the address is not this machine's...
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


def forwarded_count_from_environment() -> int:
    """``HTTP_FORWARDED_COUNT`` as Meteor reads it (``parseInt(...) || 0``).

    The same reading as ``transport.server``'s, here because the window's
    process must not import the server library to learn the default.
    """
    return parse_forwarded_count(os.environ.get("HTTP_FORWARDED_COUNT"))


def _child(pipe: socket.socket, sock: socket.socket, plan: HostingPlan) -> None:
    # Runs in the child: only there is the server library imported.
    from ddp_monitor.hosting.process import main

    main(pipe, sock, plan)


class HostedProcess:
    """The child serving ``sock`` as ``plan`` says; reports and commands cross ``pipe``.

    ``pipe`` is one end of a socket pair, read without blocking (``wire``).
    """

    def __init__(self, sock: socket.socket, plan: HostingPlan) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child_end = socket.socketpair()
        self._receiver = Receiver(self.pipe)
        self.process: Any = context.Process(
            target=_child,
            args=(child_end, sock, plan),
            name="ddp-monitor hosted server",
            daemon=True,
        )
        self.process.start()
        child_end.close()  # the child has its own ends of the pipe and socket
        self.ended = False

    def fileno(self) -> int:
        return self.pipe.fileno()

    def send(self, command: Command) -> None:
        if self.ended:
            return
        # Commands are small: the child's buffer takes them at once.
        self.pipe.setblocking(True)
        with contextlib.suppress(OSError):  # the child is gone: reports() says so
            self.pipe.sendall(encode(command))
        self.pipe.setblocking(False)

    def reports(self) -> list[Report]:
        """Every whole report waiting now; sets ``ended`` when the child is gone."""
        if self.ended:
            return []
        got: list[Report] = self._receiver.receive()
        self.ended = self._receiver.ended
        return got

    def finish(self, within: float) -> None:
        """Wait up to ``within`` seconds for the child to exit, then end it."""
        self.process.join(within)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(within)
        self.ended = True
        self.pipe.close()
