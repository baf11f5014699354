"""Command line: ``ddp-monitor [URL]`` opens the app; ``watch`` and ``serve`` run headless.

Owns argument parsing only. Each command's module is imported when it runs,
so ``watch`` and ``serve`` start without loading Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each sub-command module adds its own options."""
    parser = argparse.ArgumentParser(
        prog="ddp-monitor",
        description="Watch and steer live DDP connections to Meteor servers.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"ddp_monitor.{name}")
        module.add_arguments(commands)
    return parser


# Sub-command modules: each has add_arguments(subparsers) and run(args) -> int.
_COMMANDS = ("watch", "serve")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ddp-monitor`` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    # argparse cannot mix sub-commands with an optional positional URL, so a
    # first word that is not a command (or nothing at all) opens the app.
    if not words or (words[0] not in _COMMANDS and not words[0].startswith("-")):
        return _open_app(words)
    parser = build_parser()
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(f"ddp_monitor.{args.command}")
    result: int = module.run(args)
    return result


def _open_app(words: Sequence[str]) -> int:
    """``ddp-monitor [URL]``: the window, on the embedded demo server without a URL."""
    parser = argparse.ArgumentParser(
        prog="ddp-monitor",
        description="Open the monitor window (the embedded demo server when no URL).",
    )
    parser.add_argument("url", nargs="?", help="server URL, e.g. http://localhost:3000")
    args = parser.parse_args(words)
    app = importlib.import_module("ddp_monitor.app")
    result: int = app.run(args.url)
    return result
