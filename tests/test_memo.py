"""licbill._memo: a pure function's results remembered for one run."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licbill._calendar import period_end
from licbill._memo import Memo
from licbill.errors import OutOfCalendarError


def test_a_repeat_is_answered_without_calling_again() -> None:
    """The function runs once per distinct arguments; a repeat is a lookup."""
    calls: list[tuple[int, int]] = []

    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    memo = Memo(add)
    assert memo[2, 3] == 5
    assert memo[2, 3] == 5
    assert memo[3, 2] == 5
    assert calls == [(2, 3), (3, 2)]


def test_a_full_memo_is_emptied_before_it_grows_past_its_limit() -> None:
    """At its limit the memo starts again, so a long run's memory stays flat."""
    memo = Memo(pow, limit=3)
    for base in range(10):
        assert memo[base, 2] == base**2
        assert len(memo) <= 3
    assert len(memo) == 1  # 9 was asked for after the memo had been emptied at 3, 6 and 9


def test_an_error_is_not_remembered() -> None:
    """A call that raises leaves nothing behind: the next asking raises again."""
    memo = Memo(period_end)
    for _ in range(2):
        with pytest.raises(OutOfCalendarError, match="calendar"):
            memo[dt.date.max, 1]
    assert len(memo) == 0


@given(
    st.lists(
        st.tuples(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 120)),
        max_size=50,
    )
)
def test_cycle_ends_from_the_memo_equal_the_arithmetic(asks: list[tuple[dt.date, int]]) -> None:
    """Whatever the order and repeats of the questions, the memo answers as period_end does."""
    memo = Memo(period_end, limit=7)
    for anchor, months in asks:
        assert memo[anchor, months] == period_end(anchor, months)
