"""A document before and after a change, as the lines of a unified diff.

Owns ``diff_lines`` and ``pretty``; imports the standard library and
``ddp.ejson``. Each document is written as indented EJSON, one top-level
field per group of lines in the document's own field order, and the two texts
are compared line by line (``difflib``), so a changed field shows as its old
lines then its new ones and an unchanged field as context. Pure, for the
History view (``ui.history_view``) and anything that prints a change.
"""

from __future__ import annotations

import difflib
import enum
import json
from typing import Any

from ddp_monitor.ddp.ejson import to_json_value

__all__ = ["Line", "LineKind", "diff_lines", "pretty"]


class LineKind(enum.StrEnum):
    SAME = " "
    REMOVED = "-"
    ADDED = "+"


Line = tuple[LineKind, str]


def pretty(fields: dict[str, Any] | None) -> list[str]:
    """The lines of ``fields`` as indented EJSON ([]: no document)."""
    if fields is None:
        return []
    text = json.dumps(to_json_value(fields), indent=2, ensure_ascii=False)
    return text.splitlines()


def diff_lines(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[Line]:
    """Every line of both documents, marked unchanged, removed or added, in order."""
    old, new = pretty(before), pretty(after)
    lines: list[Line] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend((LineKind.SAME, line) for line in old[i1:i2])
            continue
        lines.extend((LineKind.REMOVED, line) for line in old[i1:i2])
        lines.extend((LineKind.ADDED, line) for line in new[j1:j2])
    return lines
