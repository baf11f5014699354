"""Reconnect back-off is Meteor's to the millisecond (retry.js defaults)."""

from __future__ import annotations

import pytest

from ddp_monitor.ddp.client.retry import timeout


@pytest.mark.parametrize("count", [0, 1])
def test_first_two_retries_come_after_ten_ms(count: int) -> None:
    """Retries 0 and 1 wait exactly 10 ms, whatever the fuzz."""
    assert timeout(count, 0.0) == timeout(count, 0.999) == 0.01


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [
        (2, 3.63, 6.05),
        (3, 7.986, 13.31),
        (4, 17.569, 29.282),
        (5, 38.652, 64.42),
        (6, 85.035, 141.725),
        (7, 187.077, 311.795),
        (8, 225.0, 375.0),
        (30, 225.0, 375.0),
    ],
)
def test_windows_match_meteors_table(count: int, low: float, high: float) -> None:
    """The wait for each retry count spans Meteor's window (fuzz 0.75 to 1.25)."""
    assert timeout(count, 0.0) == pytest.approx(low, abs=1e-3)
    assert timeout(count, 1.0) == pytest.approx(high, abs=1e-3)


def test_exact_value_with_fixed_fraction() -> None:
    """With the fraction injected, the delay is exact: 1 s x 2.2^2 at the middle of the fuzz."""
    assert timeout(2, 0.5) == 1000 * 2.2**2 / 1000


def test_cap_applies_before_fuzz() -> None:
    """The 5-minute cap is applied before the fuzz, so a wait can reach 375 s."""
    assert timeout(50, 0.999999) > 300
