"""licbill._memo: a pure function's results remembered for one run, and what the engine
remembers changing no line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill._calendar import period_end
from licbill._memo import Memo
from licbill.errors import OutOfCalendarError
from licbill.pricing import Pricing
from licbill.strategies import event_histories
from licbill.subscription import LiveSubscription


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


def _forgetful(memo: Memo[Any], key: tuple[Any, ...]) -> Any:
    return memo.function(*key)


def _built_anew(
    whole_cycle: Callable[..., None],
) -> Callable[..., None]:
    def build_each(pricing: Pricing, sub: LiveSubscription, *args: Any) -> None:
        sub.whole_line = None
        whole_cycle(pricing, sub, *args)

    return build_each


@settings(max_examples=100)
@given(
    events=event_histories(subscriptions=st.integers(1, 4)),
    rulebook=st.sampled_from([lb.rulebooks.NEW_COMMERCE, lb.rulebooks.MARKETPLACE_2019]),
)
def test_the_run_tables_and_copied_lines_change_no_line(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook
) -> None:
    """A run whose tables remember nothing and whose whole lines are built anew gives the same
    lines, field for field, in the same written form, with the same bases."""
    through = max(event.on for event in events) + dt.timedelta(days=400)
    lines = lb.charge_lines(events, through=through, rulebook=rulebook)
    with (
        mock.patch.object(Memo, "__getitem__", _forgetful),
        mock.patch.object(Pricing, "whole_cycle", _built_anew(Pricing.whole_cycle)),
    ):
        plain = lb.charge_lines(events, through=through, rulebook=rulebook)
    assert [repr(line) for line in lines] == [repr(line) for line in plain]
