"""The asyncio side of a scenario: each step done over one ``DDPClient``.

Owns ``ScenarioRunner``, ``Connection`` (what it needs of the caller's
connection: ``call`` and ``subscribe``, which ``qt.ClientAdaptor`` has, and
``ClientConnection`` wraps a bare client with); imports asyncio,
``transport.client`` (the client, its handles, ``accounts``), ``profiles``
and ``recording.credentials`` (a profile's login and secret, the replay's
too), ``steps`` and ``sequence``.

The order and the outcomes are ``sequence.ScenarioRun``'s; this module only
does each step and reports the time it started and ended on the loop's clock.
A login logs in as the profile does (``Accounts``: Meteor's ``wait`` login,
re-login on reconnect); a subscribe may wait for ``ready``; a call waits for
its result and ``updated`` (Meteor's callback), then its expectation is
judged; a wait sleeps; an unsubscribe stops the latest subscription an
earlier step made to that publication. Every step but a wait has
``step_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from ddp_monitor.ddp.errors import DDPError, error_fields
from ddp_monitor.profiles import Profile, SecretStore
from ddp_monitor.recording.credentials import Credentials, CredentialsError, of_profile
from ddp_monitor.scenarios.sequence import ScenarioRun, StepOutcome
from ddp_monitor.steps import (
    CallStep,
    LoginStep,
    Step,
    SubscribeStep,
    UnsubscribeStep,
    WaitStep,
)
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod, SubscriptionHandle

__all__ = [
    "STEP_TIMEOUT",
    "ClientConnection",
    "Connection",
    "ScenarioRunner",
    "profile_credentials",
]

#: Seconds a step may take (a wait step excepted) before it fails.
STEP_TIMEOUT = 30.0


class Connection(Protocol):
    """What the runner asks of a connection (``ClientAdaptor`` fits)."""

    client: DDPClient

    def call(
        self,
        name: str,
        params: Sequence[Any],
        *,
        wait: bool = ...,
        no_retry: bool = ...,
    ) -> PendingMethod: ...

    def subscribe(self, name: str, params: Sequence[Any]) -> SubscriptionHandle: ...


class ClientConnection:
    """A bare ``DDPClient`` as a ``Connection`` (the command line has no adaptor)."""

    def __init__(self, client: DDPClient) -> None:
        self.client = client

    def call(
        self,
        name: str,
        params: Sequence[Any],
        *,
        wait: bool = False,
        no_retry: bool = False,
    ) -> PendingMethod:
        return self.client.apply_nowait(
            name, list(params), wait=wait, no_retry=no_retry
        )

    def subscribe(self, name: str, params: Sequence[Any]) -> SubscriptionHandle:
        return self.client.subscribe(name, *params)


def profile_credentials(
    profile: Profile, secrets: SecretStore
) -> Callable[[], Credentials]:
    """The profile's own login, its secret read from the keyring when a step needs it."""
    return partial(of_profile, profile, secrets)


def _no_credentials() -> Credentials:
    raise CredentialsError("this run has no login to use")


class ScenarioRunner:
    """Runs ``run``'s steps over ``connection``; ``on_outcome`` hears every change.

    ``await runner.run()`` returns True when every step passed. Cancelling it
    fails the step under way ("stopped") and skips the rest, then re-raises.
    """

    def __init__(
        self,
        run: ScenarioRun,
        connection: Connection,
        *,
        credentials: Callable[[], Credentials] = _no_credentials,
        step_timeout: float = STEP_TIMEOUT,
        on_outcome: Callable[[StepOutcome], None] = lambda _: None,
    ) -> None:
        self.run_ = run
        self.connection = connection
        self.credentials = credentials
        self.step_timeout = step_timeout
        self.on_outcome = on_outcome
        self._subs: dict[str, SubscriptionHandle] = {}

    async def run(self) -> bool:
        run = self.run_
        clock = asyncio.get_running_loop().time
        while (next_step := run.next_step()) is not None:
            index, step = next_step
            self.on_outcome(run.start(index, clock()))
            try:
                if isinstance(step, WaitStep):
                    outcome = await self._do(index, step)
                else:
                    async with asyncio.timeout(self.step_timeout):
                        outcome = await self._do(index, step)
            except TimeoutError:
                outcome = run.failed(
                    index, clock(), f"no answer within {self.step_timeout:g} s"
                )
            except asyncio.CancelledError:
                self.on_outcome(run.failed(index, clock(), "stopped"))
                self._skip_rest()
                raise
            self.on_outcome(outcome)
        self._skip_rest()
        return run.ok

    def _skip_rest(self) -> None:
        for outcome in self.run_.skip_rest():
            self.on_outcome(outcome)

    async def _do(self, index: int, step: Step) -> StepOutcome:
        run = self.run_
        clock = asyncio.get_running_loop().time
        if isinstance(step, LoginStep):
            return await self._login(index)
        if isinstance(step, SubscribeStep):
            handle = self.connection.subscribe(step.name, list(step.params))
            self._subs[step.name] = handle
            value = {"id": handle.id}
            if not step.wait_ready:
                return run.passed(index, clock(), "subscribed", value)
            try:
                await handle.wait_ready()
            except DDPError as exc:
                return run.failed(index, clock(), f"not ready: {exc}", value)
            return run.passed(index, clock(), "ready", value)
        if isinstance(step, CallStep):
            pending = self.connection.call(
                step.method, list(step.params), wait=step.wait, no_retry=step.no_retry
            )
            try:
                result, error = await pending, None
            except DDPError as exc:
                result, error = None, exc
            return run.answered(index, clock(), result, error)
        if isinstance(step, WaitStep):
            # To the deadline: a loop on Qt's timers (qasync) may wake up to
            # 5 % early (Qt's coarse timers), and a wait is at least its time.
            until = clock() + step.seconds
            while (left := until - clock()) > 0:  # noqa: ASYNC110 (the wait is the step)
                await asyncio.sleep(left)
            return run.passed(index, clock(), f"waited {step.seconds:g} s")
        assert isinstance(step, UnsubscribeStep)
        found = self._subs.pop(step.name, None)
        if found is None or found.stopped:
            return run.failed(index, clock(), f"no live subscription to {step.name!r}")
        found.stop()
        return run.passed(index, clock(), "stopped", {"id": found.id})

    async def _login(self, index: int) -> StepOutcome:
        run = self.run_
        clock = asyncio.get_running_loop().time
        try:
            credentials = self.credentials()
        except CredentialsError as exc:
            return run.failed(index, clock(), f"cannot log in: {exc}")
        accounts = Accounts.of(self.connection.client)
        try:
            if credentials.token is not None:
                login = await accounts.login_with_token(credentials.token)
            else:
                assert credentials.user is not None
                assert credentials.password is not None
                login = await accounts.login_with_password(
                    credentials.user, credentials.password
                )
        except DDPError as exc:
            return run.failed(
                index, clock(), f"login refused: {exc}", {"error": error_fields(exc)}
            )
        return run.passed(
            index, clock(), f"logged in as {login.user_id}", {"id": login.user_id}
        )
