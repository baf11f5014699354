"""A replay run for the window: ``recording.replay_run`` on the window's loop, as Qt signals.

Owns ``ReplayAdaptor``; imports asyncio, QtCore and ``recording`` (the plan,
the runner, credentials and the report), and through the runner the
transport: widgets reach a replay only through here (the import contracts
keep ``ui`` off the transport). Under qasync asyncio runs on Qt's loop, so
the run is a task on the GUI thread and its signals need no queueing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from ddp_monitor.recording.credentials import Credentials
from ddp_monitor.recording.recorder import Recording
from ddp_monitor.recording.replay import plan
from ddp_monitor.recording.replay_report import DEFAULT_IGNORE, Ignore, Report
from ddp_monitor.recording.replay_run import (
    Pacing,
    ReplayError,
    check_credentials,
    report,
)
from ddp_monitor.transport.client.urls import to_websocket_url

__all__ = ["ReplayAdaptor"]


class ReplayAdaptor(QObject):
    """Replays one loaded recording, as often as asked, one run at a time.

    Signals:
        progressed(int, int): actions made so far, actions in all.
        finished(object): the ``Report`` of a run.
        failed(str): the run could not happen (server out of reach...).
    """

    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self, recording: Recording, source: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.recording = recording
        self.source = source
        self.plan = plan(recording)
        self._task: asyncio.Task[None] | None = None

    @property
    def recorded_url(self) -> str:
        return self.recording.header.url

    @property
    def needs_credentials(self) -> bool:
        """The recording logs in: a user and password are needed."""
        return self.plan.logins > 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def counts(self) -> dict[str, Any]:
        """What the plan sends and compares, for the dialog's summary."""
        return {
            "calls": self.plan.count("call"),
            "subscriptions": self.plan.count("subscription"),
            "logins": self.plan.logins,
            "compared": len(self.plan.answers),
            "partial": self.plan.partial,
        }

    def start(
        self,
        url: str,
        *,
        user: str = "",
        password: str = "",
        pacing: Pacing = "none",
        timeout: float = 10.0,
        ignore: Sequence[str] = (),
    ) -> None:
        """Start a run; bad input raises ``ValueError`` with words, before anything is sent."""
        if self.running:
            raise ValueError("a replay is running already")
        websocket_url = to_websocket_url(url)  # InvalidURL is a ValueError
        rules = [Ignore.parse(p) for p in (*DEFAULT_IGNORE, *ignore)]
        # CredentialsError and ReplayError are ValueErrors: said in the dialog.
        credentials = Credentials(user, password) if user or password else None
        check_credentials(self.plan, credentials)
        self._task = asyncio.ensure_future(
            self._run(websocket_url, credentials, pacing, timeout, rules)
        )

    def cancel(self) -> None:
        """Stop a run (its client closes); nothing is emitted for it: the
        dialog that asked is closing, and this object may go with it."""
        if self._task is not None:
            self._task.cancel()

    async def _run(
        self,
        url: str,
        credentials: Credentials | None,
        pacing: Pacing,
        timeout: float,  # noqa: ASYNC109 (per answer)
        ignore: list[Ignore],
    ) -> None:
        try:
            done: Report = await report(
                self.plan,
                url,
                source=self.source,
                recorded_url=self.recorded_url,
                ignore=ignore,
                credentials=credentials,
                pacing=pacing,
                timeout=timeout,
                connect_timeout=timeout,
                progress=self.progressed.emit,
            )
        except (ReplayError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(done)
