"""Running a replay plan against a server: one ``DDPClient``, answers gathered, closed.

Owns ``replay`` (the run) and ``Replayed`` (what came back) and
``ReplayError``; imports asyncio, ``transport.client`` (the client and its
accounts) and its siblings ``replay`` and ``credentials``. The plan's
actions go out in order; each first waits for the answers the recording had
before it (``Call.after``), then, with ``pacing="recorded"``, for its
recorded moment. An answer that does not come within ``timeout`` seconds of
its action is missing. The client does not retry: a server that cannot be
reached is a ``ReplayError``, a connection lost midway ends the run with
what came so far (the rest missing) and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from ddp_monitor.ddp.client.events import Event, StatusChanged, TransportLost
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.recording.credentials import Credentials
from ddp_monitor.recording.replay import (
    CALL,
    SUBSCRIPTION,
    Action,
    Answers,
    Call,
    Plan,
    Ref,
    Subscribe,
)
from ddp_monitor.recording.replay_report import Ignore, Report, compare, header, summary
from ddp_monitor.transport.client.accounts import Accounts
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod, SubscriptionHandle

__all__ = [
    "PACINGS",
    "Pacing",
    "Progress",
    "ReplayError",
    "Replayed",
    "check_credentials",
    "replay",
    "report",
]

Pacing = Literal["none", "recorded"]
PACINGS: Final = ("none", "recorded")
#: ``progress(actions done, actions in all)``
Progress = Callable[[int, int], None]


class ReplayError(ValueError):
    """The replay cannot run: no credentials for a login, a server out of reach."""


@dataclass
class Replayed:
    """The answers the server gave, by the recording's numbering."""

    answers: dict[Ref, Any]
    documents: dict[str, dict[str, Any]] | None  # None when the connection was lost
    seconds: float  # from the first action to the last answer waited for
    problem: str | None = None


def check_credentials(plan: Plan, credentials: Credentials | None) -> None:
    """``ReplayError`` when the plan logs in and no credentials were given."""
    if plan.logins and (credentials is None or not credentials.given):
        first = next(a for a in plan.actions if isinstance(a, Call) and a.login)
        raise ReplayError(
            f"the recording logs in (call {first.index}) and its password or token "
            "is not in the file: give fresh credentials (a user and password, "
            "or a profile that logs in)"
        )


async def replay(
    plan: Plan,
    url: str,
    *,
    credentials: Credentials | None = None,
    pacing: Pacing = "none",
    timeout: float = 10.0,  # noqa: ASYNC109 (per answer, not for the whole run)
    connect_timeout: float = 10.0,
    progress: Progress | None = None,
) -> Replayed:
    """Replay ``plan`` against the DDP server at ``url``.

    Raises:
        ReplayError: credentials needed and missing, or the server is out
            of reach (``InvalidURL``, a ``ValueError``, for a bad URL).
    """
    check_credentials(plan, credentials)
    run = _Run(DDPClient(url, retry=False, connect_timeout=connect_timeout), timeout)
    try:
        await run.connect(connect_timeout)
        return await run.actions(plan, credentials, pacing, progress)
    finally:
        await run.client.close()


async def report(
    plan: Plan,
    url: str,
    *,
    source: str,
    recorded_url: str,
    ignore: Sequence[Ignore] = (),
    credentials: Credentials | None = None,
    pacing: Pacing = "none",
    timeout: float = 10.0,  # noqa: ASYNC109 (per answer)
    connect_timeout: float = 10.0,
    progress: Progress | None = None,
) -> Report:
    """``replay`` and compare: the whole report (``ReplayError`` as ``replay``).

    ``source`` names the recording (its file) and ``url`` must already be a
    WebSocket URL (``urls.to_websocket_url``) for the header to show it as used.
    """
    first = header(
        plan,
        recording=source,
        recorded_url=recorded_url,
        url=url,
        pacing=pacing,
        ignore=ignore,
    )
    replayed = await replay(
        plan,
        url,
        credentials=credentials,
        pacing=pacing,
        timeout=timeout,
        connect_timeout=connect_timeout,
        progress=progress,
    )
    lines = compare(plan, replayed.answers, replayed.documents, ignore)
    return Report(first, lines, summary(lines, replayed.seconds, replayed.problem))


class _Run:
    """One replay on one client: the answers so far and who waits for them."""

    def __init__(self, client: DDPClient, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.answers = Answers()
        self.made: dict[Ref, float] = {}  # loop time each action was made
        self.handles: dict[int, SubscriptionHandle] = {}
        self.lost: str | None = None
        self._changed = asyncio.Event()  # the status moved
        self._waits: dict[Ref, asyncio.Future[None]] = {}
        self.answers.on_answer = self._answered
        client.add_listener(self._on_event)

    def _answered(self, ref: Ref) -> None:
        wait = self._waits.pop(ref, None)
        if wait is not None and not wait.done():
            wait.set_result(None)

    def _on_event(self, event: Event) -> None:
        self.answers.event(event)
        if isinstance(event, TransportLost) and not event.local:
            self.lost = event.reason or "the server closed the connection"
        elif isinstance(event, StatusChanged):
            if event.status.status is ConnectionStatus.FAILED:
                self.lost = self.lost or event.status.reason or "the connection failed"
        else:
            return
        self._changed.set()
        if self.lost is not None:  # no answer comes now: stop every wait
            waits, self._waits = self._waits, {}
            for wait in waits.values():
                if not wait.done():
                    wait.set_result(None)

    async def connect(self, timeout: float) -> None:  # noqa: ASYNC109
        client = self.client
        await client.start()
        try:
            async with asyncio.timeout(timeout + 1.0):
                while client.status.status is not ConnectionStatus.CONNECTED:
                    if self.lost is not None:
                        break
                    await self._next_change()
        except TimeoutError:
            self.lost = f"no answer within {timeout:g} s"
        if client.status.status is not ConnectionStatus.CONNECTED:
            raise ReplayError(f"cannot reach {client.url}: {self.lost}")

    async def _next_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    async def actions(
        self,
        plan: Plan,
        credentials: Credentials | None,
        pacing: Pacing,
        progress: Progress | None,
    ) -> Replayed:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = plan.actions[0].t if plan.actions else 0.0
        total = len(plan.actions)
        for done, action in enumerate(plan.actions, start=1):
            for ref in action.after:
                await self._until(ref)
            if self.lost is not None:
                break
            if pacing == "recorded":
                await asyncio.sleep(max(0.0, start + action.t - first - loop.time()))
            self._make(action, credentials)
            if progress is not None:
                progress(done, total)
        for ref in plan.answers:
            await self._until(ref)
        return Replayed(
            dict(self.answers.answers),
            None if self.lost is not None else self.answers.documents(),
            loop.time() - start,
            None if self.lost is None else f"the connection was lost: {self.lost}",
        )

    def _make(self, action: Action, credentials: Credentials | None) -> None:
        client, now = self.client, asyncio.get_running_loop().time()
        if isinstance(action, Call):
            pending = (
                self._login(credentials)
                if action.login
                else client.apply_nowait(
                    action.name,
                    action.params,
                    wait=action.wait,
                    no_retry=action.no_retry,
                )
            )
            self.answers.expect_call(pending.id, action.index)
            self.made[(CALL, action.index)] = now
        elif isinstance(action, Subscribe):
            handle = client.subscribe(action.name, *action.params)
            self.answers.expect_subscription(handle.id, action.index)
            self.handles[action.index] = handle
            self.made[(SUBSCRIPTION, action.index)] = now
        else:
            stopped = self.handles.get(action.index)
            if stopped is not None:
                self.answers.stopped_here(stopped.id)
                stopped.stop()

    def _login(self, credentials: Credentials | None) -> PendingMethod:
        accounts = Accounts.of(self.client)
        assert credentials is not None  # check_credentials
        if credentials.token is not None:
            return accounts.login_with_token_nowait(credentials.token)
        assert credentials.user is not None
        assert credentials.password is not None
        return accounts.login_with_password_nowait(
            credentials.user, credentials.password
        )

    async def _until(self, ref: Ref) -> None:
        """Wait for ``ref``'s answer, at most ``timeout`` after its action was made."""
        made = self.made.get(ref)
        if made is None or ref in self.answers.answers or self.lost is not None:
            return  # not made (the run stopped before it), answered, or lost
        wait = self._waits.get(ref)
        if wait is None:
            wait = self._waits[ref] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout_at(made + self.timeout):  # the loop's clock
                await wait
        except TimeoutError:
            self._waits.pop(ref, None)
