"""The collection view's document table at scale: sorted, filtered and flashing as a user expects.

The table is fed what the adaptor hands it: a real ``ddp.client.store.Store``
and the events its writes emit. The figures behind these behaviours (100,000
documents sorted in well under a second) are in tests/benchmarks/bench_ui.py;
these tests pin only what the user sees.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt

from ddp_monitor.ddp import ejson
from ddp_monitor.ddp.client.events import Event
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.cell_text import cell_text
from ddp_monitor.qt.collection_model import FLASH_SECONDS, DocumentTableModel

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
BACKGROUND = Qt.ItemDataRole.BackgroundRole


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _flooded(n: int, seed: int = 12) -> tuple[Store, list[Event]]:
    """``n`` documents whose ``n`` field mixes numbers, text and blanks, as schemaless data does."""
    rng = random.Random(seed)
    events: list[Event] = []
    store = Store(events.append)
    for k in range(n):
        fields: dict[str, Any] = {"text": f"Document {k}", "tags": ["a", str(k % 7)]}
        kind = k % 10
        if kind < 7:
            fields["n"] = rng.randint(-1000, 1000) if kind else rng.random() * 10
        elif kind == 7:
            fields["n"] = rng.choice(["pear", "Apple", "fig"])
        elif kind == 8:
            fields["n"] = None
        store.added("items", f"d{k:06d}", fields)
    return store, events


def _ids(model: DocumentTableModel) -> list[str]:
    return list(model.shown_keys())


def _column(model: DocumentTableModel, field: str) -> int:
    return 1 + model.fields().index(field)


def _expected_order(store: Store, field: str) -> list[str]:
    """Numbers by value, then text in any case, then blanks (missing or null); ties in arrival order."""
    docs = store.collection("items")

    def key(id_: str) -> tuple[int, Any]:
        value = docs[id_].get(field)
        if value is None:
            return (2, "")
        if isinstance(value, str):
            return (1, value.lower())
        return (0, value)

    return sorted(store.ordered("items"), key=key)


def test_sorting_100000_documents_orders_numbers_then_text_then_blanks() -> None:
    """A header click on a mixed column of 100,000 documents puts numbers in order, then text, then blanks; again reverses it."""
    store, _ = _flooded(100_000)
    model = DocumentTableModel(store)
    model.set_collection("items")
    column = _column(model, "n")
    model.sort(column, ASC)
    ascending = _ids(model)
    model.sort(column, DESC)
    descending = _ids(model)
    expected = _expected_order(store, "n")
    assert ascending == expected
    docs = store.collection("items")
    values = [docs[i].get("n") for i in descending]
    numbers = [v for v in values if isinstance(v, int | float)]
    assert numbers == sorted(numbers, reverse=True)
    assert values[-len(numbers) :] == numbers  # descending: blanks, text, numbers
    assert values[0] is None
    first_cell = model.data(model.index(0, column))
    assert first_cell in ("", "null")  # a missing field, or null


def test_filter_over_100000_documents_keeps_exactly_the_matching_rows_and_clearing_restores_all() -> (
    None
):
    """Typing a filter keeps the documents containing it in any field, any case; clearing it shows every document again, sorted as before."""
    store, _ = _flooded(100_000)
    model = DocumentTableModel(store)
    model.set_collection("items")
    model.sort(_column(model, "text"), ASC)
    before = _ids(model)
    model.set_filter_text("DOCUMENT 9999")
    matched = _ids(model)
    model.set_filter_text('"a","3"')  # a tags cell, as the table shows it
    by_tags = set(_ids(model))
    model.set_filter_text("")
    after = _ids(model)
    docs = store.collection("items")
    assert matched == [i for i in before if "document 9999" in docs[i]["text"].lower()]
    assert len(matched) == 11  # 9999 and 99990..99999
    assert by_tags == {i for i in docs if docs[i]["tags"][1] == "3"}
    assert after == before
    assert model.filter_text == ""


def test_documents_arriving_while_sorted_and_filtered_join_the_end_if_they_match(
    qtmodeltester: Any,
) -> None:
    """New documents show at the end of a sorted table only when they match the filter; changes keep rows in place."""
    events: list[Event] = []
    store = Store(events.append)
    for k in (5, 3, 9):
        store.added("items", f"i{k}", {"k": k, "text": f"item {k}"})
    model = DocumentTableModel(store)
    model.set_collection("items")
    qtmodeltester.check(model)
    model.sort(_column(model, "k"), ASC)
    model.set_filter_text("item")
    events.clear()
    store.added("items", "i1", {"k": 1, "text": "item 1"})
    store.added("items", "x0", {"k": 0, "text": "other"})
    store.changed("items", "i9", {"k": -1}, [])
    model.apply_events(events)
    qtmodeltester.check(model)
    shown = _ids(model)
    held = model.total
    events.clear()
    store.changed("items", "x0", {"text": "item 0 now"}, [])
    model.apply_events(events)
    still = _ids(model)
    model.set_filter_text("item")  # the same text: nothing to do
    model.set_filter_text("ITEM ")
    refiltered = _ids(model)
    assert shown == ["i3", "i5", "i9", "i1"]
    assert held == 5
    assert still == shown  # a change does not move or re-filter rows
    assert refiltered == ["i3", "i5", "i9", "i1", "x0"]


def test_removed_documents_leave_sorted_and_filtered_tables(qtmodeltester: Any) -> None:
    """Removing documents takes their rows away wherever they are shown; many at once still leave the right rows."""
    store, events = _flooded(2_000)
    model = DocumentTableModel(store)
    model.set_collection("items")
    qtmodeltester.check(model)
    model.sort(_column(model, "text"), DESC)
    model.set_filter_text("document 1")
    events.clear()
    for k in (1, 10, 100, 1000, 1999):
        store.removed("items", f"d{k:06d}")
    model.apply_events(events)
    few = _ids(model)
    events.clear()
    for k in range(0, 2000, 3):
        store.removed("items", f"d{k:06d}")
    model.apply_events(events)
    many = _ids(model)
    docs = store.collection("items")
    left = sorted(
        (i for i in docs if "document 1" in docs[i]["text"].lower()),
        key=lambda i: docs[i]["text"].lower(),
        reverse=True,
    )
    assert "d000010" not in few
    assert len(few) == 1111 - 5  # 1, 10-19, 100-199, 1000-1999 matched
    assert many == left


def test_changed_cells_flash_then_fade_wherever_the_row_is_shown() -> None:
    """After a change the changed cell is highlighted (not its neighbours), also once sorted elsewhere; it fades, repainting only rows in view."""
    clock = Clock()
    events: list[Event] = []
    store = Store(events.append)
    for k in range(50):
        store.added("items", f"i{k:02d}", {"k": k, "text": f"item {k}"})
    model = DocumentTableModel(store, clock)
    model.set_collection("items")
    repaints: list[tuple[int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda top, bottom, roles=(): repaints.append(
            (top.row(), bottom.row(), list(roles))
        )
    )
    events.clear()
    store.changed("items", "i07", {"text": "changed"}, [])
    model.apply_events(events)
    model.sort(_column(model, "k"), DESC)
    row = model.row_of("i07")
    assert row is not None
    text, k = model.index(row, _column(model, "text")), model.index(row, 1)
    flashing = (model.data(text, BACKGROUND), model.data(k, BACKGROUND))
    clock.now += FLASH_SECONDS / 2
    repaints.clear()
    going_on = model.fade(0, 9)  # the changed row is out of view: no repaint
    out_of_view = list(repaints)
    model.fade(row - 5, row + 5)
    fading = model.data(text, BACKGROUND)
    clock.now += FLASH_SECONDS
    still = model.fade(row - 5, row + 5)
    faded = model.data(text, BACKGROUND)
    assert flashing[0] is not None
    assert flashing[1] is None
    assert fading is not None
    assert fading.alphaF() < flashing[0].alphaF()
    assert faded is None
    assert model.flashing == 0
    assert going_on
    assert not still
    # A fade step repaints the rows in view that flash, and once more when they stop.
    assert out_of_view == []
    assert repaints == [(row - 5, row + 5, [BACKGROUND])] * 2


def test_new_documents_flash_whole_rows_and_removed_ones_stop_flashing() -> None:
    """A new document's row is highlighted in every column, its id too; a removed one leaves nothing behind."""
    clock = Clock()
    events: list[Event] = []
    store = Store(events.append)
    model = DocumentTableModel(store, clock)
    store.added("items", "a", {"k": 1})
    model.set_collection("items")
    events.clear()
    store.added("items", "b", {"k": 2, "extra": "x"})
    store.added("items", "c", {"k": 3})
    model.apply_events(events)
    row = model.row_of("b")
    assert row is not None
    cells = [model.data(model.index(row, c), BACKGROUND) for c in range(3)]
    events.clear()
    store.removed("items", "c")
    model.apply_events(events)
    assert all(cell is not None for cell in cells)
    assert model.fields() == ["k", "extra"]
    assert model.flashing == 1


def test_cell_text_is_what_ejson_stringify_writes() -> None:
    """A cell shows strings as they are and everything else exactly as EJSON.stringify writes it."""
    values: list[Any] = [
        "plain",
        'quo"te\\ and \u00e9 and \n',
        0,
        -12345678901234567890,
        True,
        None,
        1.0,
        2.5,
        1e21,
        float("nan"),
        float("-inf"),
        ["a", 1, [True, None], {"x": "y"}],
        {"$date": 5},
        {"a": {"$binary": "x"}, "b": [1.5]},
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        b"\x00\x01",
        ejson.ObjectID("0123456789abcdef01234567"),
        {"nested": {"deep": ["x" * 10]}},
    ]
    for value in values:
        expected = value if isinstance(value, str) else ejson.stringify(value)
        assert cell_text(value) == expected, value
