"""A replay's report: each recorded answer against the replayed one, as JSON lines.

Owns the JSON diff (``diff``), the ``--ignore`` patterns (``Ignore``) and the
report's lines (``compare``, ``header``, ``summary``); imports the standard
library and ``recording.replay``. Pure: the answers come in as JSON values.

A diff is a list of ``{"path", "change", "recorded", "replayed"}``: ``path``
names the place with dots (``result.total``, ``error.reason``,
``documents.items.i3.text``; list items by position), ``change`` is
``changed``, ``removed`` (only in the recording) or ``added`` (only in the
replay), and a side without the value has no key for it.

An ignore pattern is a shell-style pattern (``fnmatch``: ``*`` matches dots
too) on a diff's path, optionally limited to calls and subscriptions of one
name with ``NAME:PATTERN``; a pattern that matches a path's parent ignores it
too (``documents.presence`` ignores every document of that collection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

from ddp_monitor.recording.replay import (
    CALL,
    SUBSCRIPTION,
    Call,
    Plan,
    Ref,
    Unsubscribe,
)

__all__ = [
    "COLLECTIONS",
    "DEFAULT_IGNORE",
    "DIFFERENT",
    "MISSING",
    "OUTCOMES",
    "SAME",
    "Ignore",
    "Report",
    "compare",
    "diff",
    "exit_status",
    "header",
    "summary",
]

SAME: Final = "same"
DIFFERENT: Final = "different"
MISSING: Final = "missing"
OUTCOMES: Final = (SAME, DIFFERENT, MISSING)
COLLECTIONS: Final = "collections"

#: Always different between two logins: when the new token expires.
DEFAULT_IGNORE: Final = ("login:result.tokenExpires",)


@dataclass(frozen=True, slots=True)
class Ignore:
    """One ``--ignore`` pattern: ``[NAME:]PATTERN``."""

    pattern: str
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> Ignore:
        """``ValueError`` for an empty pattern."""
        name, colon, pattern = text.rpartition(":")
        if not colon:
            name, pattern = "", text
        if not pattern.strip():
            raise ValueError(f"an ignore pattern needs a path: {text!r}")
        return cls(pattern, name or None)

    def __str__(self) -> str:
        return self.pattern if self.name is None else f"{self.name}:{self.pattern}"

    def ignores(self, name: str | None, path: str) -> bool:
        if self.name is not None and self.name != name:
            return False
        parts = path.split(".")
        return any(
            fnmatchcase(".".join(parts[:n]), self.pattern)
            for n in range(len(parts), 0, -1)
        )


@dataclass(frozen=True, slots=True)
class Report:
    """A whole report: the header line, one line per answer, the summary."""

    header: dict[str, Any]
    lines: list[dict[str, Any]]
    summary: dict[str, Any]

    @property
    def status(self) -> int:
        return int(self.summary["status"])

    def json_lines(self) -> list[str]:
        """The report as the command prints it and the window saves it."""
        every = (self.header, *self.lines, self.summary)
        return [json.dumps(line, ensure_ascii=False) for line in every]


def diff(recorded: Any, replayed: Any, path: str = "") -> list[dict[str, Any]]:
    """Where two JSON values differ (dict keys in the recorded order, then new ones)."""
    if isinstance(recorded, Mapping) and isinstance(replayed, Mapping):
        out: list[dict[str, Any]] = []
        for key, value in recorded.items():
            where = _join(path, str(key))
            if key in replayed:
                out.extend(diff(value, replayed[key], where))
            else:
                out.append({"path": where, "change": "removed", "recorded": value})
        for key, value in replayed.items():
            if key not in recorded:
                where = _join(path, str(key))
                out.append({"path": where, "change": "added", "replayed": value})
        return out
    if (
        isinstance(recorded, list)
        and isinstance(replayed, list)
        and len(recorded) == len(replayed)
    ):
        out = []
        for n, (a, b) in enumerate(zip(recorded, replayed, strict=True)):
            out.extend(diff(a, b, _join(path, str(n))))
        return out
    if _same(recorded, replayed):
        return []
    return [
        {"path": path, "change": "changed", "recorded": recorded, "replayed": replayed}
    ]


def _same(a: Any, b: Any) -> bool:
    # JSON's sense of equal: true is not 1, but 1 is 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _line(
    kind: str,
    index: int | None,
    name: str | None,
    recorded: Any,
    replayed: Any,
    ignore: Sequence[Ignore],
) -> dict[str, Any]:
    line: dict[str, Any] = {"kind": kind}
    if index is not None:
        line.update(index=index, name=name)
    if replayed is None:
        return {**line, "outcome": MISSING, "diff": [], "recorded": recorded}
    changes = [
        d for d in diff(recorded, replayed) if not _ignored(ignore, name, d["path"])
    ]
    return {**line, "outcome": DIFFERENT if changes else SAME, "diff": changes}


def _ignored(ignore: Sequence[Ignore], name: str | None, path: str) -> bool:
    return any(rule.ignores(name, path) for rule in ignore)


def compare(
    plan: Plan,
    replayed: Mapping[Ref, Any],
    documents: Mapping[str, Any] | None,
    ignore: Sequence[Ignore] = (),
) -> list[dict[str, Any]]:
    """One line per recorded answer, in the order the calls and subscriptions
    were made, then one for the collections at the end (when ``documents``)."""
    lines = []
    for kind, index in _order(plan):
        name = plan.names[(kind, index)]
        recorded = plan.answers[(kind, index)]
        lines.append(
            _line(kind, index, name, recorded, replayed.get((kind, index)), ignore)
        )
    if documents is not None:
        # Under "documents", as in a subscription's answer: one pattern
        # (documents.tasks.*.createdAt) serves both.
        recorded = {"documents": plan.documents}
        lines.append(
            _line(COLLECTIONS, None, None, recorded, {"documents": documents}, ignore)
        )
    return lines


def _order(plan: Plan) -> Iterable[Ref]:
    for action in plan.actions:
        if isinstance(action, Unsubscribe):
            continue
        ref = (CALL if isinstance(action, Call) else SUBSCRIPTION, action.index)
        if ref in plan.answers:
            yield ref


def header(
    plan: Plan,
    *,
    recording: str,
    recorded_url: str,
    url: str,
    pacing: str,
    ignore: Sequence[Ignore],
) -> dict[str, Any]:
    """The report's first line: what is replayed where, and what is not compared."""
    return {
        "kind": "replay",
        "recording": recording,
        "recordedUrl": recorded_url,
        "url": url,
        "pacing": pacing,
        "calls": plan.count(CALL),
        "subscriptions": plan.count(SUBSCRIPTION),
        "logins": plan.logins,
        "partial": plan.partial,
        "ignore": [str(rule) for rule in ignore],
        "notCompared": [
            {"kind": s.kind, "index": s.index, "name": s.name, "why": s.why}
            for s in plan.skipped
        ],
    }


def summary(
    lines: Sequence[Mapping[str, Any]], seconds: float, problem: str | None = None
) -> dict[str, Any]:
    """The last line: how many of each outcome, how long, the exit status."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    for line in lines:
        counts[line["outcome"]] += 1
    out: dict[str, Any] = {"kind": "summary", **counts, "seconds": round(seconds, 3)}
    if problem is not None:
        out["problem"] = problem
    out["status"] = exit_status(lines)
    return out


def exit_status(lines: Sequence[Mapping[str, Any]]) -> int:
    """0 when every answer is the same, else 1."""
    return 0 if all(line["outcome"] == SAME for line in lines) else 1
