"""The asyncio runner over a real ``DDPClient``: against Meteor 1.9.3 and our server.

Real sockets on 127.0.0.1; every wait bounded (tests.timeouts). What the
command line and the window add on top is tested in tests/cli and tests/ui.
"""

from __future__ import annotations

import asyncio

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.scenarios.runner import ClientConnection, ScenarioRunner
from ddp_monitor.scenarios.sequence import ScenarioRun, StepOutcome, StepState
from ddp_monitor.steps import CallStep, LoginStep, Scenario, SubscribeStep, WaitStep
from ddp_monitor.transport.client.ddp_client import DDPClient
from tests.timeouts import TIMEOUT

P, F, S = StepState.PASSED, StepState.FAILED, StepState.SKIPPED


async def run_on(
    url: str,
    scenario: Scenario,
    *,
    keep_going: bool = False,
    step_timeout: float = TIMEOUT,
) -> tuple[ScenarioRun, list[StepOutcome]]:
    heard: list[StepOutcome] = []
    run = ScenarioRun(scenario, keep_going=keep_going)
    async with DDPClient(url) as client:
        await client.wait_for_status(ConnectionStatus.CONNECTED, TIMEOUT)
        runner = ScenarioRunner(
            run,
            ClientConnection(client),
            step_timeout=step_timeout,
            on_outcome=heard.append,
        )
        async with asyncio.timeout(TIMEOUT * 2):
            await runner.run()
    return run, heard


@pytest.mark.asyncio
async def test_a_nosub_fails_the_subscribe_step(ddp_server: str) -> None:
    """A publication the server does not have: its nosub (404) fails the step; the rest run."""
    scenario = Scenario(
        "s", (SubscribeStep("no-such-publication"), SubscribeStep("items", (2,)))
    )
    run, heard = await run_on(ddp_server, scenario, keep_going=True)
    assert [o.state for o in run.outcomes] == [F, P]
    assert run.outcomes[0].detail.startswith("not ready: ")
    assert "404" in run.outcomes[0].detail
    # Each step was heard start and end, in order, with times that move on.
    assert [(o.index, o.state) for o in heard] == [
        (0, StepState.STARTED),
        (0, F),
        (1, StepState.STARTED),
        (1, P),
    ]
    assert all(o.started is not None and o.ended >= o.started for o in run.outcomes)  # type: ignore[operator]


@pytest.mark.asyncio
async def test_a_call_without_an_answer_in_time_fails_and_stops_the_run(
    ddp_server: str,
) -> None:
    """slow(2000) with one second a step: 'no answer within 1 s', the next step skipped."""
    scenario = Scenario("s", (CallStep("slow", (2000,)), CallStep("add", (1, 2))))
    run, _ = await run_on(ddp_server, scenario, step_timeout=1.0)
    assert [o.state for o in run.outcomes] == [F, S]
    assert run.outcomes[0].detail == "no answer within 1 s"
    assert 1.0 <= run.outcomes[0].duration < TIMEOUT  # type: ignore[operator]


@pytest.mark.asyncio
async def test_a_login_step_without_a_login_fails_clearly(ddp_server: str) -> None:
    run, _ = await run_on(ddp_server, Scenario("s", (LoginStep(),)))
    assert run.outcomes[0].state is F
    assert run.outcomes[0].detail == "cannot log in: this run has no login to use"


@pytest.mark.asyncio
async def test_stopping_a_run_fails_the_step_under_way_and_skips_the_rest(
    our_server: object,
) -> None:
    """Cancelling: the wait under way is 'stopped', the call after it skipped, nothing sent."""
    run = ScenarioRun(Scenario("s", (WaitStep(60), CallStep("add", (1, 2)))))
    async with DDPClient(str(our_server.url)) as client:  # type: ignore[attr-defined]
        started = asyncio.Event()
        runner = ScenarioRunner(
            run,
            ClientConnection(client),
            on_outcome=lambda o: (
                started.set() if o.state is StepState.STARTED else None
            ),
        )
        task = asyncio.ensure_future(runner.run())
        async with asyncio.timeout(TIMEOUT):
            await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [(o.state, o.detail) for o in run.outcomes] == [(F, "stopped"), (S, "")]
