"""One run of a scenario as a sequence: which step is next, and each step's outcome.

Owns ``ScenarioRun``, ``StepOutcome``, ``StepState``, ``ScenarioError`` and
``resolve``; imports the standard library, ``steps`` and its sibling
``expectations``. Pure: the driver (``runner``) says when a step started and
how it ended, with ``now`` from its own clock, and asks what comes next.

Rules: steps run one at a time, in order. A step that fails stops the
scenario and the steps after it are skipped, unless the run keeps going
(``keep_going``, the command's ``--keep-going``). A scenario that cannot run
as written (a step the file could not read, a saved call that is not there,
an unsubscribe with no subscribe before it, no steps) is refused before
anything is sent: ``ScenarioError`` names the scenario and every such step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ddp_monitor.ddp.errors import error_fields
from ddp_monitor.scenarios.expectations import check
from ddp_monitor.steps import (
    CallStep,
    SavedCall,
    Scenario,
    Step,
    SubscribeStep,
    Unreadable,
    UnsubscribeStep,
)

__all__ = ["ScenarioError", "ScenarioRun", "StepOutcome", "StepState", "resolve"]


class ScenarioError(ValueError):
    """The scenario cannot run as written; the message says which steps and why."""


class StepState(StrEnum):
    PENDING = "pending"
    STARTED = "started"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """Where one step is: its state, its times (the driver's clock), what happened.

    ``value``: the call's result, its error's fields, or the subscription's
    id; ``diff``: the unified diff when an expectation did not hold.
    """

    index: int
    step: Step
    state: StepState = StepState.PENDING
    started: float | None = None
    ended: float | None = None
    detail: str = ""
    value: Any = None
    diff: tuple[str, ...] = ()

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started


def resolve(
    scenario: Scenario, saved_calls: Iterable[SavedCall | Unreadable]
) -> tuple[Step, ...]:
    """The steps with saved calls written out; raises ``ScenarioError`` if any cannot run."""
    saved = {c.name: c for c in saved_calls if isinstance(c, SavedCall)}
    problems: list[str] = []
    steps: list[Step] = []
    subscribed: set[str] = set()
    for n, step in enumerate(scenario.steps):
        where = f"step {n + 1}"
        if isinstance(step, Unreadable):
            problems.append(f"{where} cannot be read: {step.problem}")
        elif isinstance(step, CallStep) and step.saved is not None:
            call = saved.get(step.saved)
            if call is None:
                known = ", ".join(repr(name) for name in saved) or "none"
                problems.append(
                    f"{where} calls the saved call {step.saved!r}, which the profile "
                    f"does not have (it has: {known})"
                )
            else:
                step = CallStep(
                    call.method,
                    call.params,
                    call.wait,
                    call.no_retry,
                    expect=step.expect,
                )
        elif isinstance(step, SubscribeStep):
            subscribed.add(step.name)
        elif isinstance(step, UnsubscribeStep) and step.name not in subscribed:
            problems.append(
                f"{where} unsubscribes from {step.name!r}, which no step before it subscribes to"
            )
        steps.append(step)
    if not steps:
        problems.append("it has no steps")
    if problems:
        raise ScenarioError(
            f"scenario {scenario.name!r} cannot run: " + "; ".join(problems)
        )
    return tuple(steps)


class ScenarioRun:
    """The outcomes of one run, and what to do next.

    Args:
        scenario: as the profile keeps it.
        saved_calls: the profile's, for the steps that name one.
        keep_going: run every step even after one failed.

    Raises:
        ScenarioError: the scenario cannot run (see ``resolve``).
    """

    def __init__(
        self,
        scenario: Scenario,
        saved_calls: Sequence[SavedCall | Unreadable] = (),
        *,
        keep_going: bool = False,
    ) -> None:
        self.scenario = scenario
        self.keep_going = keep_going
        self.steps = resolve(scenario, saved_calls)
        self.outcomes = [StepOutcome(n, step) for n, step in enumerate(self.steps)]
        self._next = 0
        self._stopped = False

    # -- what next -----------------------------------------------------------------
    def next_step(self) -> tuple[int, Step] | None:
        """The next step to run, or None when the run is over."""
        if self._stopped or self._next >= len(self.steps):
            return None
        index = self._next
        if self.outcomes[index].state is not StepState.PENDING:
            raise RuntimeError(f"step {index + 1} is {self.outcomes[index].state}")
        return index, self.steps[index]

    @property
    def finished(self) -> bool:
        return self.next_step() is None

    @property
    def ok(self) -> bool:
        """Every step passed."""
        return all(o.state is StepState.PASSED for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        counts = {str(state): 0 for state in StepState}
        for outcome in self.outcomes:
            counts[str(outcome.state)] += 1
        return counts

    # -- what happened ---------------------------------------------------------------
    def start(self, index: int, now: float) -> StepOutcome:
        self._expect(index, StepState.PENDING)
        return self._set(index, state=StepState.STARTED, started=now)

    def passed(
        self, index: int, now: float, detail: str, value: Any = None
    ) -> StepOutcome:
        return self._end(index, now, StepState.PASSED, detail, value)

    def failed(
        self,
        index: int,
        now: float,
        detail: str,
        value: Any = None,
        diff: tuple[str, ...] = (),
    ) -> StepOutcome:
        return self._end(index, now, StepState.FAILED, detail, value, diff)

    def answered(
        self, index: int, now: float, result: Any, error: BaseException | None
    ) -> StepOutcome:
        """A call step's answer, judged by its expectation (``expectations.check``)."""
        step = self.steps[index]
        expect = step.expect if isinstance(step, CallStep) else None
        verdict = check(expect, result, error)
        value = {"result": result} if error is None else {"error": error_fields(error)}
        state = StepState.PASSED if verdict.ok else StepState.FAILED
        return self._end(index, now, state, verdict.detail, value, verdict.diff)

    def skip_rest(self) -> list[StepOutcome]:
        """Mark every step not started as skipped (a failure stopped the run, or it was cancelled)."""
        self._stopped = True
        skipped = []
        for outcome in self.outcomes:
            if outcome.state is StepState.PENDING:
                skipped.append(self._set(outcome.index, state=StepState.SKIPPED))
        return skipped

    def _end(
        self,
        index: int,
        now: float,
        state: StepState,
        detail: str,
        value: Any,
        diff: tuple[str, ...] = (),
    ) -> StepOutcome:
        self._expect(index, StepState.STARTED)
        outcome = self._set(
            index, state=state, ended=now, detail=detail, value=value, diff=diff
        )
        self._next = index + 1
        if state is StepState.FAILED and not self.keep_going:
            self._stopped = True
        return outcome

    def _expect(self, index: int, state: StepState) -> None:
        if self.outcomes[index].state is not state:
            raise RuntimeError(
                f"step {index + 1} is {self.outcomes[index].state}, not {state}"
            )

    def _set(self, index: int, **changes: Any) -> StepOutcome:
        outcome = self.outcomes[index] = replace(self.outcomes[index], **changes)
        return outcome
