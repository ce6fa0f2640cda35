"""Dates near 0001-01-01 and 9999-12-31 (issue 10, finding 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.charges import RunState, SubscriptionState, continue_charge_lines
from licbill.strategies import anchor_dates

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
MONTHLY = lb.Sku.monthly(id="m", name="M", unit_price=lb.Money("10.00", "USD"))
ANNUAL = lb.Sku.annual(id="a", name="A", unit_price=lb.Money("120.00", "USD"))


def _buy(on: dt.date, sku: lb.Sku = MONTHLY, **kwargs: object) -> lb.Purchase:
    return lb.Purchase(subscription_id="S1", on=on, sku=sku, **kwargs)  # type: ignore[arg-type]


def test_the_last_month_has_a_last_day() -> None:
    """``Month(9999, 12).last`` is 9999-12-31 and the month has 31 days."""
    assert lb.Month(9999, 12).last == dt.date.max
    assert lb.Month(9999, 12).days == 31


def test_the_first_month_has_a_last_day() -> None:
    """``Month(1, 1)`` runs from 0001-01-01 to 0001-01-31."""
    assert (lb.Month(1, 1).first, lb.Month(1, 1).last) == (dt.date.min, D(1, 1, 31))


def test_a_period_from_the_first_of_december_9999_ends_on_the_last_day() -> None:
    """``period_end(9999-12-01, 1)`` is 9999-12-31, a representable date."""
    assert lb.period_end(D(9999, 12, 1), 1) == dt.date.max


@pytest.mark.parametrize(
    ("start", "months"),
    [(D(9999, 12, 2), 1), (D(9999, 12, 1), 2), (D(9999, 1, 1), 10**6), (D(1, 1, 1), -1)],
)
def test_period_ends_outside_the_calendar_are_refused(start: dt.date, months: int) -> None:
    """A period end after 9999-12-31 or before 0001-01-01 raises OutOfCalendarError."""
    with pytest.raises(lb.OutOfCalendarError, match=str(start)):
        lb.period_end(start, months)


@pytest.mark.parametrize(("day", "months"), [(D(9999, 12, 31), 1), (D(1, 1, 31), -1)])
def test_add_months_outside_the_calendar_is_refused(day: dt.date, months: int) -> None:
    """Moving past either end of the calendar raises OutOfCalendarError naming the date."""
    with pytest.raises(lb.OutOfCalendarError, match=str(day)):
        lb.add_months(day, months)


def test_a_huge_month_count_is_named_by_its_size() -> None:
    """An int too long to print is named by its size in the calendar error."""
    with pytest.raises(lb.OutOfCalendarError, match="an int of about"):
        lb.add_months(D(2024, 1, 1), 10**5000)


def test_cycles_near_year_one() -> None:
    """Cycles from 0001-01-01 are ordinary month-clamped periods."""
    period = lb.cycle(anchor=dt.date.min, index=1, months=1)
    assert (period.start, period.end) == (D(1, 2, 1), D(1, 2, 28))


def test_a_purchase_on_the_first_of_december_9999_bills_its_month() -> None:
    """A monthly purchase on 9999-12-01 bills its cycle, which ends on 9999-12-31."""
    (line,) = lb.charge_lines([_buy(D(9999, 12, 1))], through=dt.date.max, rulebook=NC)
    assert (line.charge_end, line.total) == (dt.date.max, lb.Money("10.00", "USD"))


@pytest.mark.parametrize(
    "purchase",
    [
        _buy(D(9999, 12, 10)),
        _buy(D(9999, 6, 10), ANNUAL),
        _buy(D(9999, 12, 20), trial=True),
    ],
    ids=["monthly", "annual", "trial"],
)
def test_a_cycle_past_the_calendar_is_refused_naming_the_subscription(
    purchase: lb.Purchase,
) -> None:
    """A purchase whose cycle or term would end after 9999-12-31 raises OutOfCalendarError."""
    with pytest.raises(lb.OutOfCalendarError, match=r"subscription 'S1' .*9999"):
        lb.charge_lines([purchase], through=dt.date.max, rulebook=NC)


def test_a_renewal_past_the_calendar_is_refused() -> None:
    """Billing through 9999-12-31 stops with OutOfCalendarError at the 9999-12-10 renewal."""
    buy = _buy(D(9999, 10, 10))
    with pytest.raises(
        lb.OutOfCalendarError,
        match=r"subscription 'S1' cannot be billed: a cycle or term from 9999-10-10 would end "
        r"after 9999-12-31",
    ):
        lb.charge_lines([buy], through=dt.date.max, rulebook=NC)


def test_billing_through_the_last_day_works_for_subscriptions_that_end_before() -> None:
    """A subscription that ends before the calendar does bills through 9999-12-31."""
    buy = _buy(D(2024, 1, 10), auto_renew=False)
    lines = lb.charge_lines([buy], through=dt.date.max, rulebook=NC)
    assert len(lines) == 1


@settings(max_examples=40)
@given(
    day=anchor_dates(min_value=D(9990, 1, 1), max_value=dt.date.max),
    months=st.integers(0, 240),
)
def test_period_ends_near_the_last_year_are_dates_or_licbill_errors(
    day: dt.date, months: int
) -> None:
    """Property: near 9999 a period end is a date, or OutOfCalendarError; never a raw error."""
    try:
        end = lb.period_end(day, months + 1)
    except lb.OutOfCalendarError:
        assert (day.year * 12 + day.month + months) >= 10000 * 12
    else:
        assert day <= end <= dt.date.max


def test_a_partial_upgrade_on_the_first_day_of_the_calendar_bills() -> None:
    """A partial upgrade dated 1 January of year 1 into a live target bills (no day before
    it is asked for)."""
    a = lb.Sku.monthly(id="A", name="A", unit_price=lb.Money("10", "USD"))
    b = lb.Sku.monthly(id="B", name="B", unit_price=lb.Money("20", "USD"))
    first, last = dt.date(1, 1, 1), dt.date(1, 1, 31)

    def live(sub_id: str, sku: lb.Sku, seats: int) -> SubscriptionState:
        return SubscriptionState(
            subscription_id=sub_id, sku=sku, price=sku.unit_price, quantity=seats,
            auto_renew=True, started=first, anchor=first, cycle_start=first, cycle_end=last,
            next_months=1, term_start=first, term_end=last, term_end_months=1, references=1,
            batches=((first, seats),),
        )  # fmt: skip

    state = RunState(subscriptions=(live("S1", a, 5), live("S2", b, 1)))
    upgrade = lb.ConvertSku(
        subscription_id="S1", on=first, to=b, quantity=2, target_subscription_id="S2"
    )
    lines, _ = continue_charge_lines(
        [upgrade], state=state, since=None, through=dt.date(1, 1, 5), rulebook=NC
    )
    assert [(x.subscription_id, str(x.total.amount)) for x in lines] == [
        ("S1", "-20.00"),
        ("S2", "40.00"),
    ]
