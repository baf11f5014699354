"""ddp-monitor's DDPClient running a plan of ``meteor/client_app.js``, printing the same lines.

Owns the Python twin of the Meteor client harness: the same steps (call,
subscribe, unsubscribe, disconnect, reconnect, sleep, await) on a ``DDPClient``,
recorded as the same JSON-able lines: status changes in ``Meteor.status()``
shape (``ddp.client.status.meteor_status``) with ``delay`` = retryTime - now in ms,
``result_received`` from ``on_result_received``, ``callback`` with the outcome
of the awaited result, ``ready`` / ``stop`` from the subscription events.

Every line is taken when the client dispatches the core's event (a listener
runs right after the handler that settles the handle), not from a future's done
callback: those run a loop iteration later, after frames of the same read, so
their order against ``ready`` or a status would be asyncio's, not the client's.
Meteor calls its callbacks synchronously; the order of the events is what an
awaiting user sees too (futures wake in the order they were settled). Imports the
client (transport and ddp value types) and tests.peers.meteor_client's Plan.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.client.events import (
    Event,
    MethodCompleted,
    StatusChanged,
    SubscriptionReady,
    SubscriptionStopped,
)
from ddp_monitor.ddp.client.status import meteor_status
from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod, SubscriptionHandle
from tests.peers.meteor_client import Plan

__all__ = ["error_shape", "run_our_client"]

Line = dict[str, Any]


def error_shape(error: BaseException | None) -> dict[str, Any] | None:
    """The harness's error object: a Meteor.Error's fields, else type and message."""
    if error is None:
        return None
    if isinstance(error, MethodError):
        shape: dict[str, Any] = {
            "errorType": "Meteor.Error",
            "error": error.error,
            "reason": error.reason,
        }
        if error.details is not None:
            shape["details"] = error.details
        return shape
    return {"errorType": type(error).__name__, "message": str(error)}


class _Run:
    def __init__(self, plan: Plan, target: str) -> None:
        options = plan.get("options", {})
        seconds = {
            "heartbeatInterval": "heartbeat_interval",
            "heartbeatTimeout": "heartbeat_timeout",
            "connectTimeoutMs": "connect_timeout",
        }
        kwargs: dict[str, Any] = {
            ours: options[theirs] / 1000
            for theirs, ours in seconds.items()
            if theirs in options
        }
        if "retry" in options:
            kwargs["retry"] = options["retry"]
        self.plan = plan
        self.client = DDPClient(target, **kwargs)
        self.lines: list[Line] = []
        self.finished = False
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._changed = asyncio.Event()
        self._subs: dict[str, SubscriptionHandle] = {}
        self._labels: dict[str, str] = {}  # sub id -> label
        self._calls: dict[str, tuple[str, PendingMethod]] = {}  # id -> label, call
        self.client.add_listener(self._on_event)

    def emit(self, line: Line) -> None:
        if self.finished:
            return
        t = round((self._loop.time() - self._t0) * 1000, 2)
        self.lines.append({"t": t, **line})
        self._changed.set()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, StatusChanged):
            now = self._loop.time()
            line: Line = {
                "event": "status",
                **meteor_status(event.status, now, time.time() * 1000),
            }
            if event.status.retry_time is not None:
                line["delay"] = (event.status.retry_time - now) * 1000
            self.emit(line)
        elif isinstance(event, MethodCompleted) and event.method_id in self._calls:
            label, pending = self._calls[event.method_id]
            future = pending.result  # settled by the client's handler already
            error = future.exception()
            result = None if error else future.result()
            self.emit(_outcome("callback", label, error, result))
        elif isinstance(event, SubscriptionReady) and event.sub_id in self._labels:
            self.emit({"event": "ready", "label": self._labels[event.sub_id]})
        elif isinstance(event, SubscriptionStopped) and event.sub_id in self._labels:
            self.emit(
                {
                    "event": "stop",
                    "label": self._labels[event.sub_id],
                    "error": error_shape(event.error),
                }
            )

    def _count(self, match: Line) -> int:
        return sum(
            all(line.get(k) == v for k, v in match.items()) for line in self.lines
        )

    async def _await(self, match: Line, count: int) -> None:
        while self._count(match) < count:
            self._changed.clear()
            await self._changed.wait()

    def _call(self, step: Line) -> None:
        label = step["label"]

        def received(error: BaseException | None, result: Any) -> None:
            self.emit(_outcome("result_received", label, error, result))

        pending = self.client.apply_nowait(
            step["name"],
            ejson.from_json_value(step.get("params", [])),
            wait=bool(step.get("wait")),
            no_retry=bool(step.get("noRetry")),
            on_result_received=received,
        )
        self._calls[pending.id] = (label, pending)

    async def run(self) -> list[Line]:
        await self.client.start()
        try:
            async with asyncio.timeout(self.plan.get("timeout_ms", 20000) / 1000):
                for step in self.plan["steps"]:
                    await self._step(step)
            self.emit({"event": "done"})
        except TimeoutError:
            self.emit({"event": "timeout", "waiting": step.get("match")})
        finally:
            self.finished = True
            await self.client.close()
        return self.lines

    async def _step(self, step: Line) -> None:
        kind = step["do"]
        if kind == "sleep":
            await asyncio.sleep(step["ms"] / 1000)
        elif kind == "await":
            await self._await(step["match"], step.get("count", 1))
        elif kind == "call":
            self._call(step)
        elif kind == "subscribe":
            handle = self.client.subscribe(
                step["name"], *ejson.from_json_value(step.get("params", []))
            )
            self._subs[step["label"]] = handle
            self._labels[handle.id] = step["label"]
        elif kind == "unsubscribe":
            self._subs[step["label"]].stop()
        elif kind == "disconnect":
            self.client.disconnect()
        elif kind == "reconnect":
            self.client.reconnect()
        else:
            raise ValueError(f"unknown plan step {step!r}")


def _outcome(event: str, label: str, error: BaseException | None, result: Any) -> Line:
    return {
        "event": event,
        "label": label,
        "error": error_shape(error),
        "result": None if error is not None else ejson.to_json_value(result),
    }


async def run_our_client(plan: Plan, target: str) -> list[Line]:
    """Every line our client produced for ``plan`` against ``target`` (``done`` or ``timeout`` last)."""
    return await _Run(plan, target).run()
