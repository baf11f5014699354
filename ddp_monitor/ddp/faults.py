"""Network faults for one DDP link, as values: what to do to the frames each way.

Owns ``Faults`` (the settings a proxy row, the control endpoint and a page's
toolbar share) and ``WayFaults`` (latency, jitter, bandwidth and heartbeat
swallowing in one direction), with their wire form for the control endpoint.
Imports the standard library only; ``ddp.fault_link`` applies them to frames.

Seconds inside, as everywhere in the core; the wire form (the control
endpoint's methods and publication) uses Meteor's milliseconds, with the unit
in each key (``latencyMs``), so a Meteor test script cannot mistake one for
the other. Bandwidth is bytes per second, 0 for no limit.

The faults, each one promise:

- latency and jitter each way: a frame arrives ``latency`` later, give or take
  ``jitter`` (never out of order: one TCP stream);
- bandwidth each way: frames leave one after another at that many bytes/s;
- dead link: nothing passes either way, and nothing is closed (Meteor's client
  notices through its heartbeat, ``ddp-common/heartbeat.js``);
- swallow pings or pongs in one direction (the other side's heartbeat fails);
- DDP-aware: delay or drop the ``result`` or the ``updated`` of method NAME,
  the ``ready`` of subscription NAME; hold every data message for N seconds;
  drop one frame in N of a kind;
- battery saving for N seconds: the client's socket closes and its reconnects
  are refused until then (the proxy's I/O does that; see ``Refusals``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = [
    "DATA_MESSAGES",
    "NO_FAULTS",
    "Faults",
    "Way",
    "WayFaults",
    "from_wire",
]

#: livedata_connection.js ``_livedata_data``: the messages that change the
#: client's data (and wait for quiescence); ``result`` is not one of them.
DATA_MESSAGES = frozenset(
    {"added", "changed", "removed", "ready", "updated", "nosub"}
    | {"addedBefore", "movedBefore"}
)


class Way(enum.StrEnum):
    """Which way a frame travels through the proxy."""

    TO_SERVER = "toServer"  # client -> app
    TO_CLIENT = "toClient"  # app -> client


@dataclass(frozen=True, slots=True)
class WayFaults:
    """Faults of one direction.

    Attributes:
        latency: seconds added to every frame.
        jitter: up to this many seconds more or less, drawn per frame.
        bandwidth: bytes per second the direction carries (0: no limit).
        swallow_pings, swallow_pongs: drop every ``ping`` / ``pong``.
    """

    latency: float = 0.0
    jitter: float = 0.0
    bandwidth: float = 0.0
    swallow_pings: bool = False
    swallow_pongs: bool = False

    @property
    def shapes(self) -> bool:
        """True when frames of this direction are delayed."""
        return self.latency > 0 or self.jitter > 0 or self.bandwidth > 0


_NAMES = frozenset[str]
_DELAYS = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Faults:
    """Everything a link can suffer; the default value suffers nothing.

    Attributes:
        to_server, to_client: each direction's ``WayFaults``.
        dead_link: both directions silent, no close.
        delay_result, delay_updated: method name -> seconds.
        drop_result, drop_updated: method names.
        delay_ready: subscription name -> seconds; ``drop_ready``: names.
        hold_data: seconds, from when the faults are set, during which every
            data message (``DATA_MESSAGES``) to the client waits.
        drop_one_in: message kind (``msg``) -> N: the Nth, 2Nth, ... frame
            of that kind is dropped, each way counted on its own.
        battery_saving: seconds the client's reconnects are refused after
            its socket is closed (0: off).
    """

    to_server: WayFaults = WayFaults()
    to_client: WayFaults = WayFaults()
    dead_link: bool = False
    delay_result: _DELAYS = field(default_factory=dict)
    drop_result: _NAMES = frozenset()
    delay_updated: _DELAYS = field(default_factory=dict)
    drop_updated: _NAMES = frozenset()
    delay_ready: _DELAYS = field(default_factory=dict)
    drop_ready: _NAMES = frozenset()
    hold_data: float = 0.0
    drop_one_in: Mapping[str, int] = field(default_factory=dict)
    battery_saving: float = 0.0

    def way(self, way: Way) -> WayFaults:
        return self.to_server if way is Way.TO_SERVER else self.to_client

    @property
    def any(self) -> bool:
        """True when this value does anything to a link."""
        return self != NO_FAULTS

    @property
    def ddp_aware(self) -> bool:
        """True when frames must be read (method and subscription names)."""
        return bool(
            self.delay_result
            or self.drop_result
            or self.delay_updated
            or self.drop_updated
            or self.delay_ready
            or self.drop_ready
        )

    def merged(self, changes: Mapping[str, Any]) -> Faults:
        """This value with the wire-form ``changes`` applied (see ``from_wire``)."""
        return from_wire(changes, base=self)

    def to_wire(self) -> dict[str, Any]:
        """The control endpoint's form: only what differs from no faults."""
        out: dict[str, Any] = {}
        for name, key, kind in _WIRE:
            value = getattr(self, name)
            if value == getattr(NO_FAULTS, name):
                continue
            out[key] = _encode(kind, value)
        return out


def _encode(kind: str, value: Any) -> Any:
    if kind == "ms":
        return round(value * 1000, 3)
    if kind == "way":
        return _way_to_wire(value)
    if kind == "names":
        return sorted(value)
    if kind == "delays":
        return {name: round(s * 1000, 3) for name, s in sorted(value.items())}
    return dict(value) if kind == "counts" else value


def _way_to_wire(way: WayFaults) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(way):
        value = getattr(way, f.name)
        if value == f.default:
            continue
        key = _camel(f.name)
        out[key + "Ms" if f.name in ("latency", "jitter") else key] = (
            round(value * 1000, 3) if f.name in ("latency", "jitter") else value
        )
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# (attribute, wire key, kind): the one table both directions of the wire use.
_WIRE: tuple[tuple[str, str, str], ...] = (
    ("to_server", "toServer", "way"),
    ("to_client", "toClient", "way"),
    ("dead_link", "deadLink", "bool"),
    ("delay_result", "delayResultMs", "delays"),
    ("drop_result", "dropResult", "names"),
    ("delay_updated", "delayUpdatedMs", "delays"),
    ("drop_updated", "dropUpdated", "names"),
    ("delay_ready", "delayReadyMs", "delays"),
    ("drop_ready", "dropReady", "names"),
    ("hold_data", "holdDataMs", "ms"),
    ("drop_one_in", "dropOneIn", "counts"),
    ("battery_saving", "batterySavingMs", "ms"),
)


def _seconds(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number of milliseconds")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{key} must be 0 or more milliseconds")
    return float(value) / 1000


def _way_from_wire(key: str, value: Any, base: WayFaults) -> WayFaults:
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be an object")
    changes: dict[str, Any] = {}
    for wire_key, item in value.items():
        if wire_key in ("latencyMs", "jitterMs"):
            changes[wire_key[:-2]] = _seconds(f"{key}.{wire_key}", item)
        elif wire_key == "bandwidth":
            changes["bandwidth"] = _seconds(f"{key}.bandwidth", item) * 1000
        elif wire_key in ("swallowPings", "swallowPongs"):
            if not isinstance(item, bool):
                raise ValueError(f"{key}.{wire_key} must be true or false")
            changes["swallow_" + wire_key[7:].lower()] = item
        else:
            raise ValueError(f"unknown fault {key}.{wire_key}")
    return replace(base, **changes)


def _decode(kind: str, key: str, value: Any, current: Any) -> Any:
    if kind == "ms":
        return _seconds(key, value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if kind == "way":
        return _way_from_wire(key, value, current)
    if kind == "names":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of names")
        return frozenset(value)
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{key} must be an object keyed by name")
    if kind == "delays":
        return {name: _seconds(f"{key}.{name}", v) for name, v in value.items()}
    counts: dict[str, int] = {}
    for name, n in value.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{key}.{name} must be a whole number, 1 or more")
        counts[name] = n
    return counts


def from_wire(changes: Mapping[str, Any], base: Faults | None = None) -> Faults:
    """Faults from the control endpoint's form, on top of ``base``.

    Keys left out keep ``base``'s value; a way's object changes only the keys
    it names. ``{}`` on no faults is no faults.

    Raises:
        ValueError: an unknown key or a value of the wrong kind (the message
            names it; the control endpoint answers it as a Meteor.Error).
    """
    if not isinstance(changes, Mapping):
        raise ValueError("faults must be an object")
    faults = NO_FAULTS if base is None else base
    by_key = {key: (name, kind) for name, key, kind in _WIRE}
    updates: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in by_key:
            raise ValueError(f"unknown fault {key}")
        name, kind = by_key[key]
        updates[name] = _decode(kind, key, value, getattr(faults, name))
    return replace(faults, **updates)


NO_FAULTS = Faults()
