"""The pure side of a scenario: resolving saved calls, order, stopping, expectations."""

from __future__ import annotations

import pytest

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.scenarios.expectations import check
from ddp_monitor.scenarios.sequence import ScenarioError, ScenarioRun, StepState
from ddp_monitor.steps import (
    CallStep,
    Expect,
    ExpectKind,
    LoginStep,
    SavedCall,
    Scenario,
    SubscribeStep,
    Unreadable,
    UnsubscribeStep,
    WaitStep,
)

SAVED = (SavedCall("add two", "add", (1, 2), wait=True),)


def test_saved_calls_are_written_out_with_the_steps_expectation() -> None:
    expect = Expect(ExpectKind.RESULT, 3)
    run = ScenarioRun(Scenario("s", (CallStep(saved="add two", expect=expect),)), SAVED)
    assert run.steps == (CallStep("add", (1, 2), wait=True, expect=expect),)


def test_a_scenario_that_cannot_run_is_refused_naming_every_step() -> None:
    scenario = Scenario(
        "broken",
        (
            UnsubscribeStep("tasks"),
            CallStep(saved="nope"),
            Unreadable({"step": "wait"}, "'seconds' is missing"),
            SubscribeStep("tasks"),
        ),
    )
    with pytest.raises(ScenarioError) as caught:
        ScenarioRun(scenario, SAVED)
    assert str(caught.value) == (
        "scenario 'broken' cannot run: step 1 unsubscribes from 'tasks', which no step "
        "before it subscribes to; step 2 calls the saved call 'nope', which the profile "
        "does not have (it has: 'add two'); step 3 cannot be read: 'seconds' is missing"
    )
    with pytest.raises(ScenarioError, match="it has no steps"):
        ScenarioRun(Scenario("empty"))


def test_a_failed_step_stops_the_run_and_skips_the_rest() -> None:
    run = ScenarioRun(Scenario("s", (LoginStep(), WaitStep(1), WaitStep(2))))
    assert run.next_step() == (0, LoginStep())
    assert run.start(0, 10.0).state is StepState.STARTED
    failed = run.failed(0, 10.5, "login refused")
    assert (failed.state, failed.duration) == (StepState.FAILED, 0.5)
    assert run.next_step() is None
    assert [o.state for o in run.skip_rest()] == [StepState.SKIPPED] * 2
    assert not run.ok
    assert run.counts() == {
        "pending": 0,
        "started": 0,
        "passed": 0,
        "failed": 1,
        "skipped": 2,
    }


def test_keep_going_runs_every_step() -> None:
    run = ScenarioRun(Scenario("s", (WaitStep(0), WaitStep(0))), keep_going=True)
    run.start(0, 1.0)
    run.failed(0, 2.0, "x")
    assert run.next_step() == (1, WaitStep(0))
    run.start(1, 2.0)
    run.passed(1, 3.0, "waited")
    assert run.finished
    assert not run.ok
    with pytest.raises(RuntimeError):
        run.start(1, 4.0)  # a step runs once


def test_a_call_is_judged_by_its_expectation() -> None:
    steps = (
        CallStep("add", expect=Expect(ExpectKind.RESULT, 3)),
        CallStep("fail", expect=Expect(ExpectKind.ERROR, "boom")),
        CallStep("fail"),
    )
    run = ScenarioRun(Scenario("s", steps), keep_going=True)
    run.start(0, 0.0)
    assert run.answered(0, 1.0, 3.0, None).state is StepState.PASSED
    boom = MethodError("boom", "Boom")
    run.start(1, 1.0)
    outcome = run.answered(1, 2.0, None, boom)
    assert outcome.state is StepState.PASSED
    assert outcome.value == {
        "error": {"error": "boom", "reason": "Boom", "details": None}
    }
    run.start(2, 2.0)
    unexpected = run.answered(2, 3.0, None, boom)
    assert (unexpected.state, unexpected.detail) == (
        StepState.FAILED,
        "failed: Boom [boom]",
    )


def test_a_wrong_answer_comes_with_a_diff() -> None:
    verdict = check(
        Expect(ExpectKind.RESULT, {"a": 1, "b": [1, 3]}), {"b": [1, 2], "a": 1}, None
    )
    assert not verdict.ok
    assert "-    3" in verdict.diff
    assert "+    2" in verdict.diff
    wrong_error = check(
        Expect(ExpectKind.ERROR, "boom", "Boom"), None, MethodError(403, "No")
    )
    assert not wrong_error.ok
    assert '-  "error": "boom",' in wrong_error.diff
    assert check(Expect(ExpectKind.ERROR, 403), None, MethodError(403, "No")).ok
    no_error = check(Expect(ExpectKind.ERROR, "boom"), 5, None)
    assert (no_error.ok, no_error.detail) == (
        False,
        "expected the error 'boom', got a result",
    )


def test_values_compare_as_ejson_equals_does() -> None:
    """3 is 3.0 and key order does not matter; true is not 1."""
    assert check(
        Expect(ExpectKind.RESULT, {"a": 3, "b": 1}), {"b": 1, "a": 3.0}, None
    ).ok
    assert not check(Expect(ExpectKind.RESULT, 1), True, None).ok
    assert not check(Expect(ExpectKind.RESULT, None), 0, None).ok
