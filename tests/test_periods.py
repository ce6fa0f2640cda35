"""Dates (docs/dates.md): month-end clamping, cycles from the anchor, leap days."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import anchor_dates

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2019, 6, 10), 1, D(2019, 7, 9)),
        (D(2021, 1, 31), 1, D(2021, 2, 27)),
        (D(2021, 5, 31), 1, D(2021, 6, 29)),
        (D(2021, 7, 31), 1, D(2021, 8, 30)),
        (D(2021, 5, 1), 12, D(2022, 4, 30)),
        (D(2021, 5, 25), 36, D(2024, 5, 24)),
        (D(2024, 2, 29), 12, D(2025, 2, 27)),
    ],
)
def test_rulebook_period_ends(start: dt.date, months: int, end: dt.date) -> None:
    """Every end date listed in docs/dates.md comes out exactly."""
    assert lb.cycle(anchor=start, index=0, months=months).end == end


def test_cycles_of_a_31_january_anchor_come_back_to_the_31st() -> None:
    """Cycles are computed from the anchor, so they never drift to the 28th."""
    cycles = [lb.cycle(anchor=D(2021, 1, 31), index=k, months=1) for k in range(5)]
    assert [(c.start, c.end) for c in cycles] == [
        (D(2021, 1, 31), D(2021, 2, 27)),
        (D(2021, 2, 28), D(2021, 3, 30)),
        (D(2021, 3, 31), D(2021, 4, 29)),
        (D(2021, 4, 30), D(2021, 5, 30)),
        (D(2021, 5, 31), D(2021, 6, 29)),
    ]


def test_a_leap_day_anchor_stays_on_29_february() -> None:
    """An annual term from 29 Feb 2024 ends 27 Feb 2025; the fourth year returns to 29 Feb."""
    assert lb.cycle(anchor=D(2024, 2, 29), index=1, months=12).start == D(2025, 2, 28)
    assert lb.cycle(anchor=D(2024, 2, 29), index=4, months=12).start == D(2028, 2, 29)


def test_period_days_are_inclusive() -> None:
    """10 Jun to 9 Jul counts 30 days; billing days count from the event date to the end."""
    period = lb.Period(D(2019, 6, 10), D(2019, 7, 9))
    assert period.days == 30
    assert period.days_from(D(2019, 7, 9)) == 1
    assert D(2019, 6, 10) in period
    assert D(2019, 7, 10) not in period


def test_bad_periods_are_refused() -> None:
    """Inverted ranges, datetimes and days outside a period are refused with licbill errors."""
    with pytest.raises(lb.InvalidValueError, match="before it starts"):
        lb.Period(D(2020, 1, 2), D(2020, 1, 1))
    with pytest.raises(lb.InvalidTypeError):
        lb.Period(dt.datetime(2020, 1, 1), D(2020, 1, 2))
    with pytest.raises(lb.InvalidValueError):
        lb.Period(D(2020, 1, 1), D(2020, 1, 2)).days_from(D(2020, 1, 3))
    with pytest.raises(lb.InvalidValueError):
        lb.cycle(anchor=D(2020, 1, 1), index=-1, months=1)


@given(day=anchor_dates(), months=st.integers(-400, 400))
def test_add_months_agrees_with_relativedelta(day: dt.date, months: int) -> None:
    """licbill's month arithmetic is dateutil's relativedelta, to the day."""
    assert lb.add_months(day, months) == day + relativedelta(months=months)


@given(anchor=anchor_dates(), months=st.sampled_from([1, 12, 36]), count=st.integers(1, 40))
def test_cycles_are_contiguous(anchor: dt.date, months: int, count: int) -> None:
    """Each cycle starts the day after the previous one ends: no gap, no overlap."""
    cycles = [lb.cycle(anchor=anchor, index=k, months=months) for k in range(count)]
    assert cycles[0].start == anchor
    for before, after in itertools.pairwise(cycles):
        assert after.start == before.end + dt.timedelta(days=1)


def test_a_month_knows_its_days() -> None:
    """February has 29 days in a leap year and 28 otherwise; a month prints as YYYY-MM."""
    assert (lb.Month(2024, 2).days, lb.Month(2023, 2).days) == (29, 28)
    assert str(lb.Month(2024, 5)) == "2024-05"


def test_the_month_of_a_day() -> None:
    """Month.of gives the month a day falls in."""
    assert lb.Month.of(dt.date(2024, 12, 31)) == lb.Month(2024, 12)


@pytest.mark.parametrize(("year", "month"), [(2024, 13), (2024, 0), (0, 1), (10000, 1)])
def test_a_month_out_of_range_is_refused(year: int, month: int) -> None:
    """A month outside 1..12, or a year outside 1..9999, is a value error."""
    with pytest.raises(lb.InvalidValueError, match="must lie in"):
        lb.Month(year, month)


@pytest.mark.parametrize(("year", "month"), [(2024, True), ("2024", 1), (2024, 1.0)])
def test_a_month_that_is_not_an_int_is_refused(year: object, month: object) -> None:
    """A year or month that is not an int (a bool included) is a type error."""
    with pytest.raises(lb.InvalidTypeError, match="must be an int"):
        lb.Month(year, month)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2019, 6, 10), D(2019, 7, 10), 1),
        (D(2021, 1, 31), D(2021, 3, 1), 2),
        (D(2021, 5, 1), D(2022, 5, 1), 12),
        (D(2024, 2, 29), D(2024, 2, 1), 0),
        (D(2024, 3, 1), D(2023, 12, 31), -3),
    ],
)
def test_months_between_counts_month_numbers(start: dt.date, end: dt.date, months: int) -> None:
    """months_between counts calendar months by month number, ignoring the days."""
    assert lb.periods.months_between(start=start, end=end) == months


@given(day=anchor_dates(), months=st.integers(-400, 400))
def test_months_between_undoes_add_months(day: dt.date, months: int) -> None:
    """Moving a day by n months (relativedelta, the oracle) puts it n month numbers later."""
    later = day + relativedelta(months=months)
    assert lb.periods.months_between(start=day, end=later) == months


def test_months_between_refuses_a_datetime() -> None:
    """months_between takes plain dates only."""
    with pytest.raises(lb.InvalidTypeError, match=r"end must be a datetime\.date"):
        lb.periods.months_between(start=D(2024, 1, 1), end=dt.datetime(2024, 2, 1))


@given(year=st.integers(1, 9999), month=st.integers(1, 12))
def test_a_months_last_day_is_the_eve_of_the_next_month(year: int, month: int) -> None:
    """A month's last day lies in the month, and the day after it is a first of the month."""
    last = lb.Month(year, month).last
    assert (last.year, last.month, last.day) == (year, month, lb.Month(year, month).days)
    if last < dt.date.max:
        assert (last + dt.timedelta(days=1)).day == 1
