"""The changed-cell flash: which rows changed when, and which of their fields.

Owns ``Flashes`` and ``FLASH_SECONDS``; imports QtGui (the colour) only. A
changed row is remembered for ``FLASH_SECONDS`` and its colour fades with
the time since; nothing here walks the rows. Entries are kept oldest first
(a row that changes again moves to the end), so ``prune`` stops at the first
one still fresh: forgetting costs what is forgotten. The model repaints
with one ``dataChanged`` for the whole table while anything fades, and a view
asks for the colour only of the cells it paints, so 15,000 rows flashing
during a flood cost nothing until someone scrolls to them (the old fade
walked every flashing row ten times a second, issue 12).
"""

from __future__ import annotations

from PySide6.QtGui import QColor

__all__ = ["FLASH_COLOUR", "FLASH_SECONDS", "Flashes"]

FLASH_SECONDS = 1.5
FLASH_COLOUR = QColor(255, 196, 0)
_ALPHA = 0.55  # at the moment of the change


class Flashes:
    """Rows (by key) that changed lately; ``fields`` None means the whole row."""

    __slots__ = ("_at",)

    def __init__(self) -> None:
        self._at: dict[str, tuple[float, frozenset[str] | None]] = {}

    def __bool__(self) -> bool:
        return bool(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, key: str) -> bool:
        return key in self._at

    def note(self, key: str, fields: frozenset[str] | None, now: float) -> None:
        """``key`` changed at ``now`` (these fields, or the whole row)."""
        self._at.pop(key, None)  # to the end: entries stay in time order
        self._at[key] = (now, fields)

    def forget(self, key: str) -> None:
        self._at.pop(key, None)

    def clear(self) -> None:
        self._at.clear()

    def fields(self, key: str) -> frozenset[str]:
        """The fields of the last change of ``key`` (empty: the whole row, or none)."""
        flash = self._at.get(key)
        return frozenset() if flash is None or flash[1] is None else flash[1]

    def colour(self, key: str, field: str | None, now: float) -> QColor | None:
        """The background of ``key``'s cell in ``field`` (None: the ``_id`` column)."""
        flash = self._at.get(key)
        if flash is None:
            return None
        at, fields = flash
        if fields is not None and (field is None or field not in fields):
            return None
        fade = 1.0 - (now - at) / FLASH_SECONDS
        if fade <= 0:
            return None
        colour = QColor(FLASH_COLOUR)
        colour.setAlphaF(_ALPHA * fade)
        return colour

    def prune(self, now: float) -> None:
        """Forget the flashes that have faded out."""
        at = self._at
        stale = []
        for key, (when, _) in at.items():
            if now - when <= FLASH_SECONDS:
                break
            stale.append(key)
        for key in stale:
            del at[key]
