"""``ddp-monitor replay FILE URL``: a recording's client side sent again, answers compared.

Owns the ``replay`` sub-command (``add_arguments``/``run`` for ``cli``) and its
exit statuses: 0 every answer the same, 1 any different or missing, 2 bad
input (a file that is not a recording, a bad URL, no credentials for a login,
a server out of reach), with one line on stderr saying why. Imports the
standard library at the top; ``recording`` (and through it websockets) only
when it runs, so ``ddp-monitor --help`` stays fast. Nothing here loads Qt.

The report is JSON lines on stdout (``recording.replay_report``): a header,
one line per recorded answer, a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["PASSWORD_VARIABLE", "add_arguments", "run"]

#: Where a password may come from instead of the command line (which ``ps`` shows).
PASSWORD_VARIABLE = "DDP_MONITOR_PASSWORD"

_EPILOG = f"""\
output (one JSON object per line):
  {{"kind": "replay", "recording": FILE, "url": URL, "calls": N, "subscriptions": N,
   "logins": N, "pacing": ..., "ignore": [...], "notCompared": [{{"kind", "index", "name", "why"}}]}}
  {{"kind": "call" | "subscription", "index": N, "name": ..., "outcome": "same" | "different" | "missing",
   "diff": [{{"path": "result.total", "change": "changed", "recorded": 5, "replayed": 6}}, ...]}}
  {{"kind": "collections", "outcome": ..., "diff": [...]}}     (every document at the end)
  {{"kind": "summary", "same": N, "different": N, "missing": N, "seconds": S, "status": 0 | 1}}
Calls and subscriptions are numbered from 1 in the order the recording made them
(method ids differ between runs). A subscription is the same when it ended the same
way (ready, or nosub with the same error) and the collections that changed while it
waited held the same documents when it became ready.

examples:
  ddp-monitor replay session.ddprec localhost:3000
  ddp-monitor replay session.ddprec https://staging.example.com --user ada \\
      --ignore 'tasks.add:result' --ignore 'documents.tasks.*.createdAt'
  {PASSWORD_VARIABLE}=secret ddp-monitor replay login.ddprec localhost:3000 --user ada

exit status: 0 every answer the same, 1 any different or missing, 2 bad input
(not a recording, bad URL, no credentials for a login, server out of reach)."""


def add_arguments(subparsers: Any) -> None:
    """Add ``replay`` to ``cli``'s sub-commands."""
    parser = subparsers.add_parser(
        "replay",
        help="send a recording's calls and subscriptions to a server, compare the answers",
        description=(
            "Send what the client of a recording did (its login with fresh credentials, "
            "subscriptions and calls, in the recorded order) to the DDP server at URL and "
            "report as JSON lines how each answer compares with the recorded one: a "
            "regression check of a Meteor app's methods and publications between builds."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="a .ddprec recording")
    parser.add_argument(
        "url",
        metavar="URL",
        help="server URL as DDP.connect takes it: http(s)://, ws(s):// or host:port",
    )
    parser.add_argument(
        "--user",
        help=f"log in as USER (username or email) where the recording logged in; "
        f"the password from --password or ${PASSWORD_VARIABLE}",
    )
    parser.add_argument("--password", help="the password for --user")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="log in with the saved profile NAME's login (its secret from the keyring)",
    )
    parser.add_argument(
        "--pacing",
        choices=("none", "recorded"),
        default="none",
        help="none: each action as soon as the answers before it came (default); "
        "recorded: also keep the recorded times between actions",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="an answer not there this long after its action is missing (default 10)",
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=10.0, metavar="SECONDS"
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="[NAME:]PATH",
        help="leave out differences at PATH (shell pattern: 'result.*At', "
        "'documents.presence'), for calls and subscriptions named NAME only when "
        "given; repeatable. 'login:result.tokenExpires' is always ignored",
    )
    parser.set_defaults(command="replay")


def _fail(message: str) -> int:
    print(f"ddp-monitor replay: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Replay and print the report; the exit status says how it compared."""
    from ddp_monitor.recording.credentials import (
        Credentials,
        CredentialsError,
        from_profile,
    )
    from ddp_monitor.recording.format import RecordingError
    from ddp_monitor.recording.recorder import load
    from ddp_monitor.recording.replay import plan
    from ddp_monitor.recording.replay_report import DEFAULT_IGNORE, Ignore
    from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url

    if args.timeout <= 0 or args.connect_timeout <= 0:
        return _fail("--timeout and --connect-timeout must be more than 0 seconds")
    try:
        url = to_websocket_url(args.url)
    except InvalidURL as exc:
        return _fail(f"{exc} (e.g. http://localhost:3000)")
    try:
        ignore = [Ignore.parse(p) for p in (*DEFAULT_IGNORE, *args.ignore)]
    except ValueError as exc:
        return _fail(str(exc))
    try:
        recording = load(args.file)
    except (OSError, RecordingError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return _fail(f"{args.file}: {why}")
    password = args.password or os.environ.get(PASSWORD_VARIABLE)
    try:
        if args.profile is not None and args.user is not None:
            return _fail("give --user or --profile, not both")
        if args.profile is not None:
            credentials: Credentials | None = from_profile(args.profile)
        elif args.user is not None:
            if password is None:
                return _fail(f"--user needs --password or ${PASSWORD_VARIABLE}")
            credentials = Credentials(args.user, password)
        else:
            credentials = None
    except CredentialsError as exc:
        return _fail(str(exc))
    the_plan = plan(recording)
    try:
        return asyncio.run(
            _replay(args, url, recording.header.url, the_plan, credentials, ignore)
        )
    except BrokenPipeError:  # `ddp-monitor replay ... | head`: the reader left
        return 1


async def _replay(
    args: argparse.Namespace,
    url: str,
    recorded_url: str,
    the_plan: Any,
    credentials: Any,
    ignore: Any,
) -> int:
    from ddp_monitor.recording.replay_run import ReplayError, report

    try:
        done = await report(
            the_plan,
            url,
            source=str(args.file),
            recorded_url=recorded_url,
            ignore=ignore,
            credentials=credentials,
            pacing=args.pacing,
            timeout=args.timeout,
            connect_timeout=args.connect_timeout,
        )
    except ReplayError as exc:
        return _fail(str(exc))
    print("\n".join(done.json_lines()), flush=True)
    return done.status
