"""The ``ddp-monitor`` command line: ``main`` parses it and runs the window or a headless command.

``main`` (parsing, logging, exit statuses), ``watch`` and ``serve`` (headless,
never loading Qt) and ``signals`` (Ctrl-C ends them cleanly).
"""

from __future__ import annotations

from ddp_monitor.cli.main import main

__all__ = ["main"]
