"""``ddp-monitor watch URL``: the headless client, one JSON object per line.

Owns the ``watch`` sub-command (``add_arguments``/``run`` for ``cli``) and its
output format. Imports the standard library, the pure ``ddp`` core and the light transport
value modules at the top; ``transport.client`` (websockets) only when it runs,
so ``ddp-monitor --help`` stays fast. Nothing here loads Qt.

Every line is a JSON object with ``"event"`` (what happened) and ``"t"`` (epoch
milliseconds). Status lines carry ``Meteor.status()``'s own fields, built by
``ddp.client.status.meteor_status`` (``status``, ``connected``, ``retryCount``,
``retryTime`` while waiting, ``reason`` when failed for good); the first line
is the initial status, then one line per change, as Meteor fires them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddp_monitor.cli.signals import stop_on_signals
from ddp_monitor.ddp.client import events
from ddp_monitor.ddp.client.status import Status, meteor_status
from ddp_monitor.ddp.ejson import to_json_value
from ddp_monitor.ddp.errors import error_fields
from ddp_monitor.recording.recorder import Recorder, RecordingWriter
from ddp_monitor.transport.wiretap import Frame

__all__ = ["add_arguments", "run"]

_EPILOG = """\
output (one JSON object per line, "t" = epoch ms):
  {"event": "status", "status": ..., "connected": ..., "retryCount": ..., ["retryTime": ...,] ["reason": ...,] "t": ...}
  {"event": "handshake", "session": ..., "version": ..., "t": ...}
  {"event": "ready", "id": ..., "name": ..., "params": [...], "collections": {NAME: COUNT, ...}, "t": ...}
  {"event": "nosub", "id": ..., "name": ..., "error": {...} | null, "t": ...}
  {"event": "result", "id": ..., "method": ..., "result": ... | "error": {"error", "reason", "details"}, "t": ...}
  {"event": "frame", "direction": "in" | "out", "text": ... | "binary": BASE64, "t": ...}   (--frames)
  {"event": "lost", "reason": ..., "t": ...} / {"event": "bad-message", ...} / {"event": "server-error", ...}
Values are EJSON ({"$date": ms}, {"$binary": base64}, ...).

examples:
  ddp-monitor watch localhost:3000 --subscribe items '[1000]'
  ddp-monitor watch http://127.0.0.1:4000 --call slow '[5000]' --no-retry --call add '[1, 2]'
  ddp-monitor watch localhost:3000 --subscribe items '[10]' --record session.ddprec
--no-retry and --wait apply to the --call just before them. Calls are made when the
first connection opens, so a restart of the server shows which are re-sent and which
fail. Ctrl-C exits with status 0."""


@dataclass
class CallSpec:
    """One ``--call`` with the options written after it."""

    name: str
    params: list[Any]
    no_retry: bool = False
    wait: bool = False


@dataclass
class SubscribeSpec:
    name: str
    params: list[Any] = field(default_factory=list)


def _name_and_params(option: str, values: list[str]) -> tuple[str, list[Any]]:
    if not 1 <= len(values) <= 2:
        raise argparse.ArgumentError(
            None, f"{option} takes NAME and at most one JSON array of parameters"
        )
    params: Any = []
    if len(values) == 2:
        try:
            params = json.loads(values[1])
        except ValueError as exc:
            raise argparse.ArgumentError(
                None, f"{option} {values[0]}: parameters are not JSON ({exc})"
            ) from None
        if not isinstance(params, list):
            raise argparse.ArgumentError(
                None,
                f"{option} {values[0]}: parameters must be a JSON array, "
                f"e.g. '[{values[1]}]'",
            )
    return values[0], params


class _Subscribe(argparse.Action):
    def __call__(
        self, parser: Any, namespace: Any, values: Any, option: Any = None
    ) -> None:
        name, params = _name_and_params(str(option), list(values))
        namespace.subscribe.append(SubscribeSpec(name, params))


class _Call(argparse.Action):
    def __call__(
        self, parser: Any, namespace: Any, values: Any, option: Any = None
    ) -> None:
        name, params = _name_and_params(str(option), list(values))
        namespace.call.append(CallSpec(name, params))


class _CallOption(argparse.Action):
    """``--no-retry`` / ``--wait``: an option of the ``--call`` just before it."""

    def __call__(
        self, parser: Any, namespace: Any, values: Any, option: Any = None
    ) -> None:
        if not namespace.call:
            raise argparse.ArgumentError(self, "must follow a --call")
        setattr(namespace.call[-1], self.dest, True)


def add_arguments(subparsers: Any) -> None:
    """Add ``watch`` to ``cli``'s sub-commands."""
    parser = subparsers.add_parser(
        "watch",
        help="connect headless and print status changes as JSON lines",
        description=(
            "Connect to a DDP server as Meteor's DDP.connect does and print one JSON "
            "object per line for every status change (Meteor.status() fields), "
            "subscription, method result and, with --frames, every frame."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "url",
        metavar="URL",
        help="server URL as DDP.connect takes it: http(s)://, ws(s):// or host:port",
    )
    parser.add_argument(
        "--frames", action="store_true", help="also print every frame in and out"
    )
    parser.add_argument(
        "--subscribe",
        action=_Subscribe,
        nargs="+",
        default=[],
        metavar=("NAME", "PARAMS"),
        help="subscribe at start (repeatable); PARAMS is a JSON array, e.g. '[1000]'",
    )
    parser.add_argument(
        "--call",
        action=_Call,
        nargs="+",
        default=[],
        metavar=("NAME", "PARAMS"),
        help="call a method once connected (repeatable); PARAMS is a JSON array, e.g. '[1, 2]'",
    )
    parser.add_argument(
        "--no-retry",
        dest="no_retry",
        action=_CallOption,
        nargs=0,
        help="the --call before it fails on a reconnect instead of being re-sent",
    )
    parser.add_argument(
        "--wait",
        dest="wait",
        action=_CallOption,
        nargs=0,
        help="the --call before it runs alone (Meteor's wait option)",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        type=Path,
        help="also write a recording of the whole session to FILE "
        "(docs/recording-format.md: every frame and event, passwords and tokens masked); "
        "open it with `ddp-monitor FILE`",
    )
    parser.add_argument(
        "--compression",
        action="store_true",
        help="offer permessage-deflate (off by default: it slows Meteor servers)",
    )
    parser.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="never ask for session resumption: every reconnect is a new session",
    )
    parser.add_argument(
        "--heartbeat-interval", type=float, default=17.5, metavar="SECONDS"
    )
    parser.add_argument(
        "--heartbeat-timeout", type=float, default=15.0, metavar="SECONDS"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=10.0, metavar="SECONDS"
    )
    parser.set_defaults(command="watch")


def run(args: argparse.Namespace) -> int:
    """Run until Ctrl-C or SIGTERM (status 0); 2 with a message for an unusable URL."""
    try:
        watch = _Watch(args)
    except ValueError as exc:  # InvalidURL and bad option values
        print(f"ddp-monitor watch: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(watch.run())
    except BrokenPipeError:  # `ddp-monitor watch ... | head`: the reader left
        return 0


class _Watch:
    """One watch run: a DDPClient whose events become JSON lines on stdout."""

    def __init__(self, args: argparse.Namespace) -> None:
        # Loaded on use: websockets is not needed to print --help.
        from ddp_monitor.transport.client.ddp_client import DDPClient

        self.args = args
        self.client = DDPClient(
            args.url,
            compression=args.compression,
            heartbeat_interval=args.heartbeat_interval,
            heartbeat_timeout=args.heartbeat_timeout,
            connect_timeout=args.connect_timeout,
            resume=args.resume,
        )
        self.subscriptions: dict[str, SubscribeSpec] = {}
        self.calls: dict[str, str] = {}  # method id -> name
        self.stopping = False
        self.writer: RecordingWriter | None = None
        if args.record is not None:
            recorder = Recorder(self.client.url, limit=0)  # the file is the record
            try:
                self.writer = RecordingWriter.open(
                    args.record, recorder.header(), recorder.origin
                )
            except OSError as exc:
                raise ValueError(f"--record {args.record}: {exc.strerror}") from None
            recorder.writer = self.writer
            recorder.attach(self.client)

    async def run(self) -> int:
        stop = stop_on_signals()
        client = self.client
        client.add_listener(self.on_event)
        if self.args.frames:
            client.wiretap.add(self.on_frame)
        self.print_status(client.status)  # the initial status: no change fires
        await client.start()
        for sub in self.args.subscribe:
            handle = client.subscribe(sub.name, *sub.params)
            self.subscriptions[handle.id] = sub
        await stop.wait()
        self.stopping = True
        await client.close()
        if self.writer is not None:
            self.writer.close()
        return 0

    # -- lines ---------------------------------------------------------------
    def emit(self, line: dict[str, Any], mono: float | None = None) -> None:
        wall = time.time() * 1000
        if mono is not None:
            wall += (mono - self.now()) * 1000
        line["t"] = wall
        print(json.dumps(line, ensure_ascii=False), flush=True)

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def print_status(self, status: Status) -> None:
        wall = time.time() * 1000
        line = {"event": "status", **meteor_status(status, self.now(), wall)}
        line["t"] = wall
        print(json.dumps(line, ensure_ascii=False), flush=True)

    def on_frame(self, frame: Frame) -> None:
        line: dict[str, Any] = {"event": "frame", "direction": str(frame.direction)}
        if isinstance(frame.data, str):
            line["text"] = frame.data
        else:
            line["binary"] = base64.b64encode(frame.data).decode()
        self.emit(line, frame.time)

    def make_calls(self) -> None:
        """The --call calls, made once the first socket is open.

        Made before it, a no_retry call would count as sent and dropped and
        fail at once (Meteor's onReset rule), which is not what a user asks.
        """
        calls, self.args.call = self.args.call, []
        for call in calls:
            pending = self.client.apply_nowait(
                call.name, call.params, no_retry=call.no_retry, wait=call.wait
            )
            self.calls[pending.id] = call.name

    def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.StatusChanged):
            self.print_status(event.status)
            if event.status.connected and self.args.call:
                self.make_calls()
        elif isinstance(event, events.HandshakeCompleted):
            line: dict[str, Any] = {"event": "handshake", "session": event.session}
            line["version"] = event.version
            if event.previous_session is not None:  # a reconnect: resumed or new
                line["resumed"] = event.resumed
                if event.resumed:
                    line["receivedCount"] = event.received_count
                else:
                    line["previousSession"] = event.previous_session
            self.emit(line)
        elif isinstance(event, events.SubscriptionReady):
            self.on_ready(event.sub_id)
        elif isinstance(event, events.SubscriptionStopped):
            self.on_nosub(event)
        elif isinstance(event, events.MethodCompleted):
            self.on_completed(event)
        elif isinstance(event, events.TransportLost) and event.reason is not None:
            self.emit({"event": "lost", "reason": event.reason})
        elif isinstance(event, events.BadMessageReceived):
            line = {"event": "bad-message", "reason": event.reason}
            self.emit({**line, "text": event.text})
        elif isinstance(event, events.ServerErrorReceived):
            line = {"event": "server-error", "reason": event.reason}
            self.emit({**line, "offendingMessage": event.offending_message})

    def on_nosub(self, event: events.SubscriptionStopped) -> None:
        sub = self.subscriptions.get(event.sub_id)
        if sub is not None:
            error = None if event.error is None else error_fields(event.error)
            line = {"event": "nosub", "id": event.sub_id, "name": sub.name}
            self.emit({**line, "error": error})

    def on_ready(self, sub_id: str) -> None:
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            return
        store = self.client.store
        counts = {name: len(store.collection(name)) for name in store.names()}
        line = {"event": "ready", "id": sub_id, "name": sub.name, "params": sub.params}
        self.emit({**line, "collections": counts})

    def on_completed(self, event: events.MethodCompleted) -> None:
        name = self.calls.get(event.method_id)
        if name is None or self.stopping:  # Ctrl-C: calls left unanswered
            return
        line: dict[str, Any] = {
            "event": "result",
            "id": event.method_id,
            "method": name,
        }
        if event.error is None:
            line["result"] = to_json_value(event.result)
        else:
            line["error"] = error_fields(event.error)
        self.emit(line)
