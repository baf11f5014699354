"""``ddp-monitor run-scenario``: saved scenarios run headless against the real Meteor server and ours.

Each run is a real ``python -m ddp_monitor`` process; its profiles live in a
private XDG config directory, its secrets in the plain-text store beside it
(the process has no keyring: ``keyring.backends.fail``), written by the real
``SecretStore``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ddp_monitor.profiles import (
    LoginKind,
    LoginSpec,
    Profile,
    ProfileStore,
    SecretStore,
    default_path,
)
from ddp_monitor.steps import (
    CallStep,
    Expect,
    ExpectKind,
    LoginStep,
    SavedCall,
    Scenario,
    SubscribeStep,
    UnsubscribeStep,
    WaitStep,
)
from tests.timeouts import TIMEOUT


@dataclass
class Ran:
    code: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""

    def ended(self) -> list[dict[str, Any]]:
        """The step lines that say how a step ended."""
        return [
            line
            for line in self.lines
            if line["event"] == "step" and line["state"] != "started"
        ]


async def run_scenario(config: Path, *args: str, **env: str) -> Ran:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ddp_monitor",
        "run-scenario",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "XDG_CONFIG_HOME": str(config),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            **env,
        },
    )
    async with asyncio.timeout(TIMEOUT * 3):
        out, err = await process.communicate()
    assert process.returncode is not None
    lines = [json.loads(line) for line in out.decode().splitlines()]
    return Ran(process.returncode, lines, err.decode())


SMOKE = Scenario(
    "smoke",
    (
        SubscribeStep("items", (3,)),
        CallStep(saved="add two", expect=Expect(ExpectKind.RESULT, 3)),
        CallStep("fail", expect=Expect(ExpectKind.ERROR, "boom")),
        CallStep("echo", ({"a": [1, 2]},), wait=True),
        WaitStep(0.05),
        UnsubscribeStep("items"),
    ),
)
ADD_TWO = (SavedCall("add two", "add", (1, 2)),)
WRONG = Scenario(
    "wrong",
    (
        CallStep("add", (2, 2), expect=Expect(ExpectKind.RESULT, 5)),
        CallStep("add", (1, 1)),
    ),
)


def save_profiles(config: Path, *profiles: Profile) -> Path:
    path = config / default_path().relative_to(default_path().parents[1])
    ProfileStore(path).save(list(profiles))
    return path


@pytest.mark.asyncio
async def test_a_saved_scenario_passes_on_meteor_and_ours(
    ddp_server: str, tmp_path: Path
) -> None:
    """Subscribe, a saved call and inline ones with expectations, a wait, unsubscribe: all pass, exit 0."""
    profile = Profile(
        "app",
        "localhost:1",
        saved_calls=(SavedCall("add two", "add", (1, 2)),),
        scenarios=(SMOKE,),
    )
    save_profiles(tmp_path, profile)
    ran = await run_scenario(tmp_path, "app", "smoke", "--url", ddp_server)
    assert ran.code == 0, ran.stderr
    assert ran.lines[0]["event"] == "scenario"
    assert ran.lines[0]["steps"] == 6
    assert [(line["index"], line["state"]) for line in ran.ended()] == [
        (n, "passed") for n in range(1, 7)
    ]
    _items, add, fail, echo, wait, _ = ran.ended()
    assert add["result"] == 3
    assert add["what"] == "call add [1,2], expect result 3"
    assert fail["error"]["error"] == "boom"
    assert echo["result"] == {"a": [1, 2]}
    assert wait["ms"] >= 50
    assert ran.lines[-1] | {"t": 0} == {
        "event": "done",
        "scenario": "smoke",
        "ok": True,
        "passed": 6,
        "failed": 0,
        "skipped": 0,
        "t": 0,
    }
    starts = [line["t"] for line in ran.lines if line.get("state") == "started"]
    assert starts == sorted(starts)


@pytest.mark.asyncio
async def test_an_expectation_that_fails_exits_1_with_the_diff(
    ddp_server: str, tmp_path: Path
) -> None:
    """add(2, 2) expected 5: the step fails with a diff, the rest is skipped (or run with --keep-going)."""
    save_profiles(tmp_path, Profile("app", ddp_server, scenarios=(WRONG,)))
    ran = await run_scenario(tmp_path, "app", "wrong")
    assert ran.code == 1
    wrong, skipped = ran.ended()
    assert wrong["state"] == "failed"
    assert wrong["result"] == 4
    assert wrong["diff"] == ["--- expected", "+++ got", "@@ -1 +1 @@", "-5", "+4"]
    assert skipped["state"] == "skipped"
    kept_going = await run_scenario(tmp_path, "app", "wrong", "--keep-going")
    assert kept_going.code == 1
    assert [line["state"] for line in kept_going.ended()] == ["failed", "passed"]


@pytest.mark.asyncio
async def test_a_login_step_logs_in_with_the_profiles_secret(
    our_server: Any, tmp_path: Path, no_keyring: None
) -> None:
    """On our demo (demo / demo): the password comes from the secret store, never the file."""
    who = Scenario("who", (LoginStep(), CallStep("whoami"), CallStep("logout")))
    profile = Profile(
        "demo",
        str(our_server.url),
        login=LoginSpec(LoginKind.PASSWORD, "demo"),
        scenarios=(who,),
    )
    path = save_profiles(tmp_path, profile)
    secrets = SecretStore(path.with_name("secrets.json"))
    secrets.plain_text_allowed = True
    secrets.set(SecretStore.key(profile), "demo")
    ran = await run_scenario(tmp_path, "demo", "who")
    assert ran.code == 0, ran.stderr
    login = ran.ended()[0]
    assert login["detail"].startswith("logged in as ")
    assert login["id"]

    secrets.set(SecretStore.key(profile), "wrong")
    refused = await run_scenario(tmp_path, "demo", "who")
    assert refused.code == 1
    assert refused.ended()[0]["detail"].startswith("login refused: ")
    assert refused.ended()[0]["error"]["error"] == 403


@pytest.mark.asyncio
async def test_a_scenario_file_runs_with_a_login_from_the_environment(
    our_server: Any, tmp_path: Path
) -> None:
    """--file: one scenario in a JSON file, --user, the password in DDP_MONITOR_PASSWORD."""
    scenario = tmp_path / "smoke.json"
    scenario.write_text(
        json.dumps(
            {
                "name": "file",
                "url": str(our_server.url),
                "steps": [
                    {"step": "login"},
                    {
                        "step": "call",
                        "method": "add",
                        "params": [1, 2],
                        "expect": {"result": 3},
                    },
                ],
            }
        )
    )
    ran = await run_scenario(
        tmp_path, "--file", str(scenario), "--user", "demo", DDP_MONITOR_PASSWORD="demo"
    )
    assert ran.code == 0, ran.lines
    assert [line["state"] for line in ran.ended()] == ["passed", "passed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "smoke"], "no saved profile is named 'nobody' (saved: 'app')"),
        (
            ["app", "nothing"],
            "profile 'app' has no scenario named 'nothing' (it has: 'smoke'",
        ),
        (["app"], "give a saved PROFILE and one of its SCENARIOs, or --file FILE"),
        (["app", "smoke", "--url", "ftp://x"], "unsupported scheme 'ftp'"),
        (["--file", "missing.json"], "missing.json: No such file or directory"),
        (["--file", "bad.json"], "step 1: 'step': 'jump' is unknown"),
        (
            ["app", "unrunnable"],
            "step 1 calls the saved call 'gone', which the profile does not have",
        ),
    ],
)
@pytest.mark.asyncio
async def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    unrunnable = Scenario("unrunnable", (CallStep(saved="gone"),))
    save_profiles(
        tmp_path,
        Profile(
            "app", "localhost:1", saved_calls=ADD_TWO, scenarios=(SMOKE, unrunnable)
        ),
    )
    (tmp_path / "bad.json").write_text(
        json.dumps({"name": "b", "steps": [{"step": "jump"}]})
    )
    args = [str(tmp_path / a) if a.endswith(".json") else a for a in args]
    ran = await run_scenario(tmp_path, *args)
    assert ran.code == 2
    assert message in ran.stderr
    assert ran.lines == []


@pytest.mark.asyncio
async def test_an_unreachable_server_exits_1(tmp_path: Path) -> None:
    save_profiles(
        tmp_path, Profile("app", "127.0.0.1:9", saved_calls=ADD_TWO, scenarios=(SMOKE,))
    )
    ran = await run_scenario(tmp_path, "app", "smoke", "--connect-timeout", "0.5")
    assert ran.code == 1
    assert ran.lines[1]["event"] == "unreachable"
    assert {line["state"] for line in ran.ended()} == {"skipped"}


def test_help_shows_an_example_the_output_and_the_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ddp_monitor.cli.main import main

    assert main(["run-scenario", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ddp-monitor run-scenario ")
    for text in (
        "examples:",
        '"expect": {"result": 3}',
        "exit status: 0",
        "--keep-going",
    ):
        assert text in out
    assert main(["--help"]) == 0
    assert "run-scenario" in capsys.readouterr().out


@pytest.mark.asyncio
async def test_a_corrupt_step_in_the_profiles_file_is_named_and_loses_nothing(
    our_server: Any, tmp_path: Path
) -> None:
    """The broken scenario is refused (exit 2) naming profile, scenario and step; another runs; the file is untouched."""
    path = save_profiles(
        tmp_path,
        Profile(
            "app",
            str(our_server.url),
            scenarios=(WRONG, Scenario("fine", (CallStep("add", (1, 2)),))),
        ),
    )
    data = json.loads(path.read_text())
    data["profiles"][0]["scenarios"][0]["steps"][1] = {"step": "call", "params": [1]}
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    broken = await run_scenario(tmp_path, "app", "wrong")
    assert broken.code == 2
    assert (
        "profile 'app', scenario 'wrong', step 2: 'method' is missing" in broken.stderr
    )
    assert "scenario 'wrong' cannot run: step 2 cannot be read" in broken.stderr
    fine = await run_scenario(tmp_path, "app", "fine")
    assert fine.code == 0, fine.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["profiles.json"]


@pytest.mark.asyncio
async def test_profiles_from_an_exported_file(our_server: Any, tmp_path: Path) -> None:
    """--profiles FILE: a file exported from the window, not the user's own profiles."""
    exported = tmp_path / "team-profiles.json"
    fine = Scenario(
        "fine", (CallStep("add", (1, 2), expect=Expect(ExpectKind.RESULT, 3)),)
    )
    ProfileStore.write(
        exported, [Profile("shared", str(our_server.url), scenarios=(fine,))]
    )
    ran = await run_scenario(tmp_path, "shared", "fine", "--profiles", str(exported))
    assert ran.code == 0, ran.stderr
    assert ran.lines[-1]["ok"] is True
    missing = await run_scenario(tmp_path, "shared", "fine")
    assert missing.code == 2
    assert "no saved profile is named 'shared' (saved: none)" in missing.stderr
