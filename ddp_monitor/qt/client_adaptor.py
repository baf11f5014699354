"""The Qt face of one ``DDPClient``: its events as batched signals, its actions as slots.

Owns ``ClientAdaptor``; imports QtCore, ``qt.meter``, ``transport`` (client,
handles, wiretap) and ``ddp`` values. Under qasync the
client runs on the GUI thread, so this is just a listener (qtconsole's
``client.py`` seam): no threads, no locks.

Batching: core events and wiretap frames are collected and handed on every
``FLUSH_MS`` as one list each, so 10,000 frames a second cost a dozen model
updates, not 10,000. Status changes are also sent at once (``status_changed``)
for the badge; inside the batch they keep their order with everything else.
The window's own calls and subscriptions reach the models the same way, as
the core's ``MethodCalled`` and ``SubscriptionRequested`` events: the core is
the one record of what happened, in the order it happened.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.ddp.client.events import (
    BadMessageReceived,
    Event,
    HandshakeCompleted,
    MethodResultReceived,
    MethodSent,
    PongReceived,
    ServerErrorReceived,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.ddp.errors import ConnectionLost
from ddp_monitor.qt.meter import LinkMeter
from ddp_monitor.recording.recorder import DEFAULT_LIMIT, Recorder
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod, SubscriptionHandle
from ddp_monitor.transport.client.urls import InvalidURL
from ddp_monitor.transport.wiretap import Frame

__all__ = ["FLUSH_MS", "ClientAdaptor"]

#: How often batches are handed to the models: well under the 100 ms a person
#: notices, well over the 16 ms of a frame.
FLUSH_MS = 60
_METER_MS = 500
#: With probing on (off by default: it changes the traffic watched, e.g. a
#: server never sees Meteor's 15 s of silence), a DDP ping this often.
PROBE_MS = 2000


class ClientAdaptor(QObject):
    """Signals for one client; actions the window may take on it.

    Signals:
        status_changed(Status): at once, for every change.
        handshake_completed(str, str): session id and DDP version.
        transport_lost(str): why the socket or the attempt died.
        problem(str, str): a title and a sentence for the error banner.
        events_flushed(list, list): the batch of core ``Event`` values, in
            order, and the monotonic time each one happened.
        frames_flushed(list): the batch of wiretap ``Frame`` values, in order.
        flushed(list, list, list): the same batch whole (frames, events, their
            times), after the two above, for what merges them (the log).
        meter_changed(float, object, str): msg/s, the last round trip in
            seconds (None while not connected) and what it was measured on.
        battery_saving_changed(bool)
        probing_changed(bool): the RTT probe was switched.
        url_changed(str): the page moved to another server (``move_to``).
    """

    status_changed = Signal(object)
    handshake_completed = Signal(str, str)
    transport_lost = Signal(str)
    problem = Signal(str, str)
    events_flushed = Signal(list, list)
    frames_flushed = Signal(list)
    flushed = Signal(list, list, list)
    meter_changed = Signal(float, object, str)
    battery_saving_changed = Signal(bool)
    probing_changed = Signal(bool)
    url_changed = Signal(str)

    def __init__(
        self,
        client: DDPClient,
        label: str = "",
        parent: QObject | None = None,
        *,
        profile: str | None = None,
        record_limit: int = DEFAULT_LIMIT,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.label = label or _short(client.url)
        #: Everything this connection did, for File > Save recording (issue 16);
        #: attached first, so it holds the connect frame and every event.
        self.recorder = Recorder(client.url, profile=profile, limit=record_limit)
        self.recorder.attach(client)
        self.meter = LinkMeter()
        self._battery_saving = False
        self._events: list[Event] = []
        self._times: list[float] = []
        self._frames: list[Frame] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(_METER_MS)
        self._meter_timer.timeout.connect(self._read_meter)
        self._meter_timer.start()
        self._probe_timer = QTimer(self)
        self._probe_timer.setInterval(PROBE_MS)
        self._probe_timer.timeout.connect(self._probe)
        self._probes: set[asyncio.Future[float]] = set()
        self._probing = False
        self._sent_at: dict[str, tuple[float, str]] = {}  # method id -> (when, name)
        self.connected_since: float | None = None
        self._subs: dict[str, SubscriptionHandle] = {}
        self._removers = [
            client.add_listener(self._on_event),
            client.wiretap.add(self._on_frame),
        ]

    #: A live connection: its page acts on it (a recording's does not).
    read_only = False

    # -- state -----------------------------------------------------------------
    @property
    def status(self) -> Status:
        return self.client.status

    def now(self) -> float:
        """The page's clock: the monotonic one (a recording's is its cursor)."""
        return time.monotonic()

    @property
    def profile(self) -> str | None:
        """The saved profile's name, or None."""
        return self.recorder.profile

    @property
    def elapsed(self) -> float:
        """Seconds since the recording of this connection began."""
        return time.monotonic() - self.recorder.origin

    @property
    def store(self) -> Store:
        store: Store = self.client.store
        return store

    @property
    def session(self) -> str | None:
        return self.client.session

    @property
    def version(self) -> str | None:
        return self.client.version

    @property
    def url(self) -> str:
        return self.client.url

    @property
    def battery_saving(self) -> bool:
        return self._battery_saving

    @property
    def probing(self) -> bool:
        return self._probing

    # -- actions -----------------------------------------------------------------
    async def start(self) -> None:
        """Start the client (listeners are already attached: nothing is missed)."""
        await self.client.start()

    def move_to(self, url: str) -> str | None:
        """Connect this page to another server (Meteor's ``reconnect({url})``).

        Returns why not, in words, when ``url`` cannot lead to a DDP server
        (then nothing changes).
        """
        try:
            self.client.reconnect(url)
        except InvalidURL as exc:
            return f"{exc.url!r}: {exc.reason}."
        self.url_changed.emit(self.client.url)
        return None

    @Slot()
    def reconnect(self) -> None:
        """Meteor's ``reconnect()``: try now. Also ends battery saving."""
        if self._battery_saving:
            self.set_battery_saving(False)  # the fault ends: it reconnects at once
        else:
            self.client.reconnect()

    @Slot(bool)
    def set_battery_saving(self, on: bool) -> None:
        """Battery saving as the fault layer has it (issue 14), until switched off.

        On: the socket goes without a close and every attempt fails, as on a
        sleeping phone (the client waits and retries on Meteor's back-off;
        calls queue). Off: the phone wakes and the client reconnects at once.
        """
        if on == self._battery_saving:
            return
        self._set_battery_saving(on)
        saving = math.inf if on else 0.0
        self.client.set_faults(replace(self.client.faults, battery_saving=saving))

    @Slot(bool)
    def set_offline(self, on: bool) -> None:
        """Meteor's ``disconnect()`` (offline: no retries, calls queue), or
        ``reconnect()`` out of it."""
        offline = self.status.status is ConnectionStatus.OFFLINE
        if on and not offline:
            self.client.disconnect()
        elif not on and offline:
            self.client.reconnect()

    @Slot(bool)
    def set_probing(self, on: bool) -> None:
        """Measure the round trip with our own pings (every ``PROBE_MS``), or not."""
        if on == self._probing:
            return
        self._probing = on
        if on and self.client.session is not None and self.status.connected:
            self._probe()
            self._probe_timer.start()
        elif not on:
            self._probe_timer.stop()
        self.probing_changed.emit(on)

    def call(
        self,
        name: str,
        params: Sequence[Any],
        *,
        wait: bool = False,
        no_retry: bool = False,
    ) -> PendingMethod:
        """Start a call (Meteor.apply's options); its row comes with the next batch, as ``MethodCalled``."""
        return self.client.apply_nowait(
            name, list(params), wait=wait, no_retry=no_retry
        )

    def subscribe(self, name: str, params: Sequence[Any]) -> SubscriptionHandle:
        handle = self.client.subscribe(name, *params)
        self._subs[handle.id] = handle
        return handle

    def stop(self, sub_id: str) -> None:
        """Stop a subscription this window made."""
        handle = self._subs.pop(sub_id, None)
        if handle is not None:
            handle.stop()

    def save_recording(
        self, path: Path, start: float | None = None, end: float | None = None
    ) -> int:
        """Write what this connection did (or a span, seconds since it opened); how many items.

        Raises OSError (disk full, no permission); the ring stays as it was.
        """
        return self.recorder.save(path, start, end)

    async def close(self) -> None:
        """Close the client for good (the window sees it fail), then detach."""
        await self.client.close()
        self.flush()
        for remove in self._removers:
            remove()
        self._flush_timer.stop()
        self._meter_timer.stop()
        self._probe_timer.stop()

    def _on_event(self, event: Event) -> None:
        self._queue(event)
        if isinstance(event, StatusChanged):
            self._on_status(event.status)
        elif isinstance(event, HandshakeCompleted):
            self.handshake_completed.emit(event.session, event.version)
            if self._probing:
                self._probe()
                self._probe_timer.start()
        elif isinstance(event, MethodSent):
            self._sent_at[event.method_id] = (time.monotonic(), event.name)
        elif isinstance(event, MethodResultReceived):
            sent = self._sent_at.pop(event.method_id, None)
            if sent is not None:
                self.meter.call_round_trip(time.monotonic() - sent[0], sent[1])
        elif isinstance(event, PongReceived):
            source = "probe ping" if event.ping_id else "heartbeat ping"
            self.meter.round_trip(event.round_trip, source)
        elif isinstance(event, TransportLost):
            self._probe_timer.stop()
            if not event.local:  # this side's own drops are no news
                reason = event.reason or "the server closed the connection"
                self.transport_lost.emit(reason)
        elif isinstance(event, ServerErrorReceived):
            self.problem.emit(
                "The server rejected a message", f"It answered: {event.reason}"
            )
        elif isinstance(event, BadMessageReceived):
            self.problem.emit(
                "The server sent a frame that is not valid DDP",
                f"{event.reason}; the frame was dropped, as Meteor does.",
            )

    @Slot()
    def _probe(self) -> None:
        """One RTT measurement; its answer arrives as ``PongReceived``."""
        probe = asyncio.ensure_future(self.client.ping())
        self._probes.add(probe)
        probe.add_done_callback(self._probe_done)

    def _probe_done(self, probe: asyncio.Future[float]) -> None:
        self._probes.discard(probe)
        if not probe.cancelled() and isinstance(probe.exception(), ConnectionLost):
            return  # the link went first: the status already says so
        probe.result()  # anything else is a bug: let the excepthook show it

    def _on_frame(self, frame: Frame) -> None:
        self._frames.append(frame)
        self.meter.frame(frame)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _queue(self, event: Event) -> None:
        self._events.append(event)
        self._times.append(time.monotonic())
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _on_status(self, status: Status) -> None:
        if status.status is ConnectionStatus.CONNECTED:
            self.connected_since = time.monotonic()
        else:
            self.connected_since = None
            self.meter.forget_round_trip()
            self._sent_at.clear()  # re-sent calls are timed from their re-send
        self.status_changed.emit(status)

    def _set_battery_saving(self, on: bool) -> None:
        if on != self._battery_saving:
            self._battery_saving = on
            self.battery_saving_changed.emit(on)

    @Slot()
    def flush(self) -> None:
        """Hand the collected events and frames on (the timer calls this)."""
        events, self._events = self._events, []
        times, self._times = self._times, []
        frames, self._frames = self._frames, []
        # Frames first: an event may note a frame of the same batch (the
        # `connected` a HandshakeCompleted reports on).
        if frames:
            self.frames_flushed.emit(frames)
        if events:
            self.events_flushed.emit(events, times)
        if frames or events:
            self.flushed.emit(frames, events, times)

    @Slot()
    def _read_meter(self) -> None:
        meter = self.meter
        self.meter_changed.emit(
            meter.rate(time.monotonic()), meter.last_rtt, meter.rtt_source
        )


def _short(url: str) -> str:
    """``host:port`` of a URL, the connection's name when it has no other."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0] or url
