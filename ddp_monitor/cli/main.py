"""Command line: ``ddp-monitor [URL]`` opens the app; ``watch``, ``serve``, ``proxy``, ``replay`` and ``run-scenario`` run headless.

Owns argument parsing, logging set-up (the one ``logging`` configuration of
the process) and exit statuses: 0 done, 1 a runtime failure, 2 a usage error
(argparse's own convention). Each command's module is imported when it runs,
so the headless commands start without loading Qt.

The window also takes Qt's own options (``-style Fusion``, ``-platform xcb``,
``-reverse``...: ``cli.qt_options``), passed on to its ``QApplication``;
the headless commands refuse them, having no window.

``--quit-after SECONDS`` (hidden from ``--help``) closes the window that many
seconds after it was shown, with exit status 0: packaging/smoke.sh uses it to
check a frozen build starts, shows its window (the log line ``window shown``
at ``-v``) and quits by itself.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ddp_monitor import __version__
from ddp_monitor.cli import qt_options

__all__ = ["build_parser", "configure_logging", "main"]

log = logging.getLogger("ddp_monitor")

# Sub-command modules: each has add_arguments(subparsers) and run(args) -> int.
_COMMANDS = ("watch", "serve", "proxy", "replay", "run-scenario")

_USAGE = "ddp-monitor [-h] [--version] [-v | -q] [URL | FILE.ddprec | COMMAND ...]"
_RECORDING_SUFFIX = ".ddprec"

_EPILOG = """\
examples:
  ddp-monitor                                 open the window on the embedded demo server
  ddp-monitor http://localhost:3000           open the window on a Meteor app
  ddp-monitor wss://app.example.com           ... over TLS (also ws://, host:port)
  ddp-monitor session.ddprec                  open a saved recording (File > Save recording)
  ddp-monitor serve --demo --port 4000        run the demo DDP server headless
  ddp-monitor proxy localhost:3000 --control-port 3101
                                              proxy a Meteor app's DDP clients, with faults
  ddp-monitor watch localhost:4000 --subscribe items '[10]' --call add '[1, 2]'
                                              print status changes and results as JSON lines
  ddp-monitor replay session.ddprec localhost:3000
                                              send a recording's calls and subscriptions again,
                                              compare the answers (exit 1 when any differs)
  ddp-monitor run-scenario staging "smoke test"
                                              run a profile's saved scenario, a JSON line per step
  ddp-monitor COMMAND --help                  a command's own options

The window also takes Qt's options, e.g. -style Fusion, -platform xcb, -reverse,
-stylesheet FILE (View > Theme chooses light or dark).

exit status: 0 success (and Ctrl-C), 1 runtime failure (e.g. the port is taken),
2 bad arguments."""


def _add_verbosity(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-v/-q; sub-commands take them too, without overwriting the top level's."""
    # A sub-parser's defaults would overwrite what the top level parsed, so
    # below the top level they default to "not given" (argparse.SUPPRESS).
    default = 0 if top else argparse.SUPPRESS
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="log more to stderr (-v info, -vv debug)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="log errors only",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each sub-command module adds its own options."""
    parser = argparse.ArgumentParser(
        prog="ddp-monitor",
        usage=_USAGE,
        description=(
            "Watch and steer live DDP connections to Meteor servers.\n\n"
            "ddp-monitor URL opens the monitor window on a Meteor app (URL: http(s)://,\n"
            "ws(s):// or host:port); with no URL, on an embedded demo server."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    _add_verbosity(parser, top=True)
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", prog="ddp-monitor"
    )
    for name in _COMMANDS:
        module = importlib.import_module(_module(name))
        module.add_arguments(commands)
    for sub in commands.choices.values():
        _add_verbosity(sub, top=False)
    return parser


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddp-monitor",
        usage=_USAGE,
        description="Open the monitor window (the embedded demo server when no URL).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "url",
        nargs="?",
        metavar="URL",
        help="server URL: http(s)://, ws(s):// or host:port, e.g. localhost:3000; "
        "or a recording file to open (FILE.ddprec)",
    )
    _add_verbosity(parser, top=True)
    parser.add_argument(
        "--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS
    )
    return parser


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is at each record, not as it was at set-up.

    ``main`` may run more than once in a process (tests, embedding), each time
    with ``sys.stderr`` possibly swapped; a stream kept from an earlier run
    could be closed by now.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_handler = _StderrHandler()
_handler.setFormatter(
    logging.Formatter("ddp-monitor %(levelname)s %(name)s: %(message)s")
)


def configure_logging(verbose: int, quiet: int) -> None:
    """Log records to stderr: warnings by default, -v info, -vv debug, -q errors.

    The one logging set-up of the process; calling it again only changes the level.
    """
    if quiet:
        level = logging.ERROR
    elif verbose >= 2:
        level = logging.DEBUG
    else:
        level = logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ddp-monitor`` console script; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(words)
    except SystemExit as exc:  # argparse: --help, --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2 if exc.code else 0


def _main(words: list[str]) -> int:
    qt, ours, missing = qt_options.split(words)
    first = next((w for w in ours if not w.startswith("-")), None)
    # argparse cannot mix sub-commands with an optional positional URL: the
    # first word that is not an option picks the parser. A sub-command gets
    # every word: it has no window, so Qt's options are unknown to it.
    if first in _COMMANDS or (
        first is None and any(w in ("-h", "--help", "--version") for w in ours)
    ):
        args = build_parser().parse_args(words)
    else:
        if missing is not None:
            return _usage(missing)
        args = _app_parser().parse_args(ours)
        args.command = None
    configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", 0))
    if args.command is None:
        return _open_app(args, qt)
    module = importlib.import_module(_module(args.command))
    return _run(lambda: module.run(args))


def _module(command: str) -> str:
    """``run-scenario`` is ``cli.run_scenario``."""
    return f"ddp_monitor.cli.{command.replace('-', '_')}"


def _open_app(args: argparse.Namespace, qt: list[str]) -> int:
    """``ddp-monitor [URL]``: the window, on the embedded demo server without a URL.

    ``qt``: Qt's own options, for the window's ``QApplication``.
    """
    recording = _recording(args.url)
    if isinstance(recording, str):
        return _usage(recording)
    if args.url is not None and recording is None:
        # Checked before Qt loads: a bad URL is a usage error with a message.
        from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url

        typo = difflib.get_close_matches(args.url, _COMMANDS, n=1)
        if typo:
            return _usage(f"unknown command {args.url!r}; did you mean {typo[0]!r}?")
        try:
            to_websocket_url(args.url)
        except InvalidURL as exc:
            return _usage(f"{exc} (e.g. http://localhost:3000)")
    if args.quit_after is not None and args.quit_after < 0:
        return _usage("--quit-after must be zero or more seconds")
    why = qt_options.problem(qt) if qt else None
    if why is not None:
        return _usage(why)
    # No collections while the window's modules load and it is built (passes
    # over objects that all live for the whole run, ~30 ms of the first
    # paint); app.collector freezes what was built and turns it back on.
    gc.disable()
    app = importlib.import_module("ddp_monitor.app.desktop")
    return _run(
        lambda: app.run(
            None if recording else args.url,
            quit_after=args.quit_after,
            qt_args=qt,
            recording=recording,
        )
    )


def _recording(word: str | None) -> Path | str | None:
    """A recording file to open (its header checked), why it cannot be, or None: a URL.

    An existing file is a recording, as is a word ending in ``.ddprec``.
    """
    if word is None:
        return None
    path = Path(word)
    if not (path.is_file() or path.suffix == _RECORDING_SUFFIX):
        return None
    from ddp_monitor.recording.format import RecordingError
    from ddp_monitor.recording.recorder import read_header

    try:
        read_header(path)
    except RecordingError as exc:
        return f"{word}: {exc}"
    except OSError as exc:
        return f"cannot open the recording {word}: {exc.strerror or exc}"
    return path


def _usage(message: str) -> int:
    _app_parser().print_usage(sys.stderr)
    print(f"ddp-monitor: error: {message}", file=sys.stderr)
    return 2


def _run(command: Callable[[], int]) -> int:
    """Run a command; an unexpected error is one line (a traceback at -vv), status 1."""
    try:
        code: int = command()
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how a user ends every command
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        log.error("%s: %s", type(exc).__name__, exc)
        return 1
    return code
