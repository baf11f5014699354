"""Command line: ``ddp-monitor [URL]`` opens the app; ``watch`` and ``serve`` run headless.

Owns argument parsing only. Each command's module is imported when it runs,
so ``watch`` and ``serve`` start without loading Qt.
"""

from __future__ import annotations

import argparse
import importlib
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(f"ddp_monitor.{args.command}")
    result: int = module.run(args)
    return result
