"""``ddp-monitor run-scenario PROFILE SCENARIO``: a saved scenario, headless, as JSON lines.

Owns the ``run-scenario`` sub-command (``add_arguments``/``run`` for ``cli``)
and its output. Imports the standard library, ``steps``, ``profiles`` and
``scenarios.sequence`` at the top; ``scenarios.runner``,
``recording.credentials`` and the transport (websockets) only when it runs. Nothing here loads Qt.

Every line is a JSON object with ``"event"`` and ``"t"`` (epoch
milliseconds): one ``scenario`` line, then a ``step`` line when each step
starts and one when it ends (``passed``, ``failed`` or ``skipped``, with
``ms``, ``detail`` and the result, error, subscription or user id), then one
``done`` line. Exit status 0 when every step passed, 1 when one failed (an
expectation included) or the server could not be reached, 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ddp_monitor.ddp.ejson import to_json_value
from ddp_monitor.profiles import (
    Profile,
    ProfileError,
    ProfileStore,
    client_options,
)
from ddp_monitor.scenarios.sequence import (
    ScenarioError,
    ScenarioRun,
    StepOutcome,
    StepState,
)
from ddp_monitor.steps import (
    SavedCall,
    Scenario,
    Unreadable,
    describe,
    saved_calls_from_json,
    scenarios_from_json,
)

__all__ = ["PASSWORD_VARIABLE", "add_arguments", "run"]

#: With --file, a login step's password comes from this environment variable
#: (never from the command line, where other users' `ps` would see it).
PASSWORD_VARIABLE = "DDP_MONITOR_PASSWORD"

_EPILOG = f"""\
output (one JSON object per line, "t" = epoch ms):
  {{"event": "scenario", "scenario": ..., "profile": ..., "url": ..., "steps": N, "t": ...}}
  {{"event": "step", "index": N, "step": "login" | "subscribe" | "call" | "wait" | "unsubscribe",
   "what": ..., "state": "started", "t": ...}}
  {{"event": "step", ..., "state": "passed" | "failed" | "skipped", "ms": ..., "detail": ...,
   ["result": ... | "error": {{...}} | "id": ...,] ["diff": [LINES],] "t": ...}}
  {{"event": "done", "ok": true | false, "passed": N, "failed": N, "skipped": N, "t": ...}}

A scenario file (--file) holds one scenario, or a profile's "saved_calls" and
"scenarios" (then name the SCENARIO), and may hold the "url":
  {{"name": "smoke", "steps": [
     {{"step": "subscribe", "name": "tasks", "params": [], "wait_ready": true}},
     {{"step": "call", "method": "add", "params": [1, 2], "expect": {{"result": 3}}}},
     {{"step": "call", "method": "fail", "expect": {{"error": "boom"}}}},
     {{"step": "wait", "seconds": 0.5}},
     {{"step": "unsubscribe", "name": "tasks"}}]}}
A login step logs in as the profile does (its password from the keyring); with
--file, as --user with the password in ${PASSWORD_VARIABLE}.

examples:
  ddp-monitor run-scenario staging "smoke test"
  ddp-monitor run-scenario staging "smoke test" --url http://localhost:3000 --keep-going
  ddp-monitor run-scenario --file smoke.json --url localhost:3000

exit status: 0 every step passed, 1 a step failed or an expectation did not hold
(or the server could not be reached), 2 bad input (no such profile or scenario,
an unreadable file or step)."""


class BadInput(Exception):
    """Exit status 2, with this message."""


def add_arguments(subparsers: Any) -> None:
    """Add ``run-scenario`` to ``cli``'s sub-commands."""
    parser = subparsers.add_parser(
        "run-scenario",
        help="run a profile's saved scenario headless, one JSON line per step",
        description=(
            "Connect as a saved profile does and run one of its scenarios (login, "
            "subscriptions, calls with expected answers, waits) step by step, "
            "printing a JSON object per line as each step starts and ends."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="PROFILE SCENARIO",
        help="a saved profile's name and one of its scenarios' (with --file: "
        "the scenario's name, when the file holds several)",
    )
    parser.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="run a scenario from this JSON file instead of a saved profile",
    )
    parser.add_argument(
        "--url",
        help="connect here instead of the profile's URL "
        "(http(s)://, ws(s):// or host:port)",
    )
    parser.add_argument(
        "--user", default="", help="with --file: who a login step logs in as"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="run every step even after one failed (the exit status is still 1)",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a step that takes longer fails (a wait step excepted; default 30)",
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=10.0, metavar="SECONDS"
    )
    parser.add_argument(
        "--profiles",
        type=Path,
        metavar="FILE",
        help="the profiles file to read PROFILE from (default: the window's, "
        "in the user's config directory; an exported file works too)",
    )
    parser.set_defaults(command="run-scenario")


def run(args: argparse.Namespace) -> int:
    try:
        plan = _Plan.from_args(args)
    except BadInput as exc:
        print(f"ddp-monitor run-scenario: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(plan.run(args))
    except BrokenPipeError:
        return 1


class _Plan:
    """What to run, where, and as whom."""

    def __init__(
        self,
        scenario: Scenario,
        saved_calls: tuple[SavedCall | Unreadable, ...],
        url: str,
        profile: Profile | None,
        run: ScenarioRun,
    ) -> None:
        self.scenario = scenario
        self.saved_calls = saved_calls
        self.url = url
        self.profile = profile
        self.scenario_run = run

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> _Plan:
        if args.step_timeout <= 0 or args.connect_timeout <= 0:
            raise BadInput("timeouts must be more than 0 seconds")
        profile: Profile | None = None
        if args.file is not None:
            if len(args.names) > 1:
                raise BadInput("with --file, give at most the SCENARIO's name")
            scenarios, calls, url = _read_file(args.file)
            wanted = args.names[0] if args.names else None
            source = str(args.file)
        else:
            if len(args.names) != 2:
                raise BadInput(
                    "give a saved PROFILE and one of its SCENARIOs, or --file FILE"
                )
            profile = _find_profile(args.names[0], args.profiles)
            scenarios, calls, url = profile.scenarios, profile.saved_calls, profile.url
            wanted = args.names[1]
            source = f"profile {profile.name!r}"
        scenario = _pick(scenarios, wanted, source)
        url = args.url or url
        if not url:
            raise BadInput(f"{source} names no server: give --url")
        try:
            run = ScenarioRun(scenario, calls, keep_going=args.keep_going)
        except ScenarioError as exc:
            raise BadInput(str(exc)) from None
        from ddp_monitor.transport.client.urls import InvalidURL, to_websocket_url

        try:
            to_websocket_url(url)
        except InvalidURL as exc:
            raise BadInput(f"{exc} (e.g. http://localhost:3000)") from None
        return cls(scenario, calls, url, profile, run)

    async def run(self, args: argparse.Namespace) -> int:
        from ddp_monitor.ddp.client.status import ConnectionStatus
        from ddp_monitor.recording.credentials import Credentials, CredentialsError
        from ddp_monitor.scenarios.runner import (
            ClientConnection,
            ScenarioRunner,
            profile_credentials,
        )
        from ddp_monitor.transport.client.ddp_client import DDPClient

        options = client_options(self.profile) if self.profile else {}
        client = DDPClient(self.url, connect_timeout=args.connect_timeout, **options)
        run = self.scenario_run
        _emit(
            {
                "event": "scenario",
                "scenario": self.scenario.name,
                "profile": None if self.profile is None else self.profile.name,
                "url": client.url,
                "steps": len(run.steps),
            }
        )
        if self.profile is not None:
            store = ProfileStore(args.profiles)
            credentials = profile_credentials(self.profile, store.secrets)
        else:
            user = args.user

            def credentials() -> Credentials:
                password = os.environ.get(PASSWORD_VARIABLE)
                if not user or password is None:
                    raise CredentialsError(
                        f"give --user and the password in ${PASSWORD_VARIABLE}"
                    )
                return Credentials(user, password)

        await client.start()
        try:
            try:
                await client.wait_for_status(
                    ConnectionStatus.CONNECTED, timeout=args.connect_timeout
                )
            except TimeoutError:
                reason = client.status.reason or "no answer"
                _emit(
                    {
                        "event": "unreachable",
                        "url": client.url,
                        "status": str(client.status.status),
                        "reason": f"not connected within {args.connect_timeout:g} s "
                        f"({reason})",
                    }
                )
                for outcome in run.skip_rest():
                    _emit(_step_line(outcome))
                return self._done(run)
            runner = ScenarioRunner(
                run,
                ClientConnection(client),
                credentials=credentials,
                step_timeout=args.step_timeout,
                on_outcome=lambda outcome: _emit(_step_line(outcome)),
            )
            await runner.run()
        finally:
            await client.close()
        return self._done(run)

    def _done(self, run: ScenarioRun) -> int:
        counts = run.counts()
        _emit(
            {
                "event": "done",
                "scenario": self.scenario.name,
                "ok": run.ok,
                "passed": counts["passed"],
                "failed": counts["failed"],
                "skipped": counts["skipped"],
            }
        )
        return 0 if run.ok else 1


def _emit(line: dict[str, Any]) -> None:
    line["t"] = time.time() * 1000
    print(json.dumps(line, ensure_ascii=False), flush=True)


def _step_line(outcome: StepOutcome) -> dict[str, Any]:
    line: dict[str, Any] = {
        "event": "step",
        "index": outcome.index + 1,
        "step": str(outcome.step.kind),
        "what": describe(outcome.step),
        "state": str(outcome.state),
    }
    if outcome.state in (StepState.PASSED, StepState.FAILED):
        duration = outcome.duration
        line["ms"] = None if duration is None else round(duration * 1000, 3)
        line["detail"] = outcome.detail
        if isinstance(outcome.value, dict):
            line |= to_json_value(outcome.value)
        if outcome.diff:
            line["diff"] = list(outcome.diff)
    return line


def _find_profile(name: str, path: Path | None) -> Profile:
    store = ProfileStore(path)
    try:
        profiles = store.load()
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    for notice in store.notices:
        print(f"ddp-monitor run-scenario: {notice}", file=sys.stderr)
    for profile in profiles:
        if profile.name == name:
            return profile
    known = ", ".join(repr(p.name) for p in profiles) or "none"
    raise BadInput(f"no saved profile is named {name!r} (saved: {known})")


def _pick(
    scenarios: tuple[Scenario | Unreadable, ...], wanted: str | None, source: str
) -> Scenario:
    readable = [s for s in scenarios if isinstance(s, Scenario)]
    if wanted is None:
        if len(scenarios) == 1 and readable:
            return readable[0]
        names = ", ".join(repr(s.name) for s in readable) or "none"
        raise BadInput(f"{source} holds several scenarios: name one (it has: {names})")
    for scenario in readable:
        if scenario.name == wanted:
            return scenario
    names = ", ".join(repr(s.name) for s in readable) or "none"
    broken = len(scenarios) - len(readable)
    also = f"; {broken} more cannot be read" if broken else ""
    raise BadInput(f"{source} has no scenario named {wanted!r} (it has: {names}{also})")


def _read_file(
    path: Path,
) -> tuple[tuple[Scenario | Unreadable, ...], tuple[SavedCall | Unreadable, ...], str]:
    """A scenario file: one scenario, or ``saved_calls`` and ``scenarios``; and a URL."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BadInput(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: holds no JSON object")
    url = data.get("url", "")
    if not isinstance(url, str):
        raise BadInput(f"{path}: 'url' is not a string")
    problems: list[str] = []
    try:
        raw_scenarios = data.get("scenarios", [data])
        scenarios = scenarios_from_json(raw_scenarios, str(path), problems)
        calls = saved_calls_from_json(data.get("saved_calls"), str(path), problems)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if problems:
        raise BadInput("; ".join(problems))
    return scenarios, calls, url
