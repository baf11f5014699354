"""Meteor's own DDP client running a plan, as a child process: what a Meteor app would see.

Owns launching ``tests/peers/meteor/serve --scenario client`` (the real 1.9.3
``DDP.connect`` in Meteor's server runtime, see ``meteor/client_app.js`` for the
plan and the lines it prints) and collecting its JSON lines. Imports the
standard library and tests.timeouts; ``tests.peers.plan_client`` runs the same
plan with ddp-monitor's client and prints the same lines.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from typing import Any

from tests.peers.meteor_server import SERVE
from tests.timeouts import TIMEOUT

__all__ = ["MeteorClientError", "Plan", "run_meteor_client"]

Plan = dict[str, Any]
"""``{"options": {DDP.connect options}, "timeout_ms": N, "steps": [...]}``."""


class MeteorClientError(RuntimeError):
    """The harness did not finish its plan; the message carries its output."""


async def run_meteor_client(plan: Plan, target: str) -> list[dict[str, Any]]:
    """Every line Meteor's client printed for ``plan`` against ``target``, ending in ``done``.

    Raises:
        MeteorClientError: the plan timed out or the process failed.
    """
    with (
        tempfile.NamedTemporaryFile("w", suffix=".json") as plan_file,
        tempfile.TemporaryFile() as stderr,
    ):
        json.dump(plan, plan_file)
        plan_file.flush()
        process = await asyncio.create_subprocess_exec(
            str(SERVE),
            "--scenario",
            "client",
            "--plan",
            plan_file.name,
            "--target",
            target,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        assert process.stdout is not None
        lines: list[dict[str, Any]] = []
        try:
            # The plan's own timeout ends the process first; this one is the backstop.
            async with asyncio.timeout(plan.get("timeout_ms", 20000) / 1000 + TIMEOUT):
                async for raw in process.stdout:
                    lines.append(json.loads(raw))
                code = await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
            code = None
        if code != 0 or not lines or lines[-1].get("event") != "done":
            stderr.seek(0)
            log = stderr.read().decode("utf-8", "replace")[-3000:]
            raise MeteorClientError(
                f"Meteor's client did not finish its plan (exit {code}):\n"
                + "\n".join(json.dumps(line) for line in lines[-20:])
                + f"\n--- stderr ---\n{log}"
            )
        return lines
