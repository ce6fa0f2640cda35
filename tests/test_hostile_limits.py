"""Hostile values at and past licbill's limits raise only licbill errors (issue 10, 1-3)."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.io.display import format_money
from licbill.money import MAX_AMOUNT_DIGITS, MAX_PLACES
from licbill.proration import MAX_QUANTITY
from licbill.strategies import anchor_dates, currencies, skus

NC = lb.rulebooks.NEW_COMMERCE
LIMIT = 10**MAX_AMOUNT_DIGITS

#: Amounts around the supported range: near its edges, far past them, and odd exponents.
AMOUNTS = st.one_of(
    st.integers(-(LIMIT * 10), LIMIT * 10),
    st.integers(LIMIT - 10, LIMIT + 10),
    st.builds(
        lambda digits, exponent: Decimal(f"{digits}E{exponent}"),
        st.integers(-(10**40), 10**40),
        st.integers(-(10**9), 10**9),
    ),
    st.decimals(places=MAX_PLACES + 2, allow_nan=False, allow_infinity=False),
    st.decimals(),
    st.builds(str, st.decimals()),
)
#: Quantities around the supported range.
QUANTITIES = st.one_of(
    st.integers(-5, 5), st.integers(MAX_QUANTITY - 5, MAX_QUANTITY + 5), st.integers(10**9, 10**40)
)
#: Dates near either end of the calendar.
EDGE_DATES = anchor_dates(min_value=dt.date.min, max_value=dt.date(1, 3, 31)) | anchor_dates(
    min_value=dt.date(9998, 1, 1), max_value=dt.date.max
)


def _in_range(value: Decimal) -> bool:
    if not value:
        return True
    if not -MAX_PLACES <= value.adjusted() < MAX_AMOUNT_DIGITS:
        return False
    exact = value.as_integer_ratio()[1]
    return abs(value) < LIMIT and 10**MAX_PLACES % exact == 0


@settings(max_examples=150)
@given(amount=AMOUNTS, currency=currencies())
def test_amounts_are_exact_in_range_and_refused_outside(amount: object, currency: str) -> None:
    """Property: an amount in range is held exactly; any other raises InvalidValueError."""
    value = Decimal(amount) if isinstance(amount, int | str) else amount
    assert isinstance(value, Decimal)
    if value.is_finite() and _in_range(value):
        assert lb.Money(amount, currency).amount == value  # type: ignore[arg-type]
    else:
        with pytest.raises(lb.InvalidValueError):
            lb.Money(amount, currency)  # type: ignore[arg-type]


@settings(max_examples=100)
@given(amount=AMOUNTS, factor=AMOUNTS | QUANTITIES, currency=currencies(), data=st.data())
def test_money_operations_raise_only_licbill_errors(
    amount: object, factor: object, currency: str, data: st.DataObject
) -> None:
    """Property: every Money operation on hostile values returns or raises a LicbillError."""
    try:
        money = lb.Money(amount, currency)  # type: ignore[arg-type]
    except lb.InvalidValueError:
        return
    mode = data.draw(st.sampled_from(lb.RoundingMode))
    operations = [
        lambda: money + money,
        lambda: money - money.rounded(mode),
        lambda: money * factor,  # type: ignore[operator]
        lambda: money.to_minor(),
        lambda: money.allocate([1, 2]),
        lambda: format_money(money, locale="nl_NL"),
        lambda: lb.prorate(
            unit_price=abs(money),
            quantity=factor,  # type: ignore[arg-type]
            billing_days=3,
            cycle_days=31,
            rounding=lb.Rounding.PER_UNIT_HALF_UP,
        ),
    ]
    for operation in operations:
        try:
            operation()
        except lb.LicbillError:
            continue  # licbill refused it; anything else fails the test


@settings(max_examples=60)
@given(
    day=EDGE_DATES,
    sku=skus(),
    trial=st.booleans(),
    quantity=QUANTITIES,
    prec=st.integers(1, 10),
)
def test_purchases_at_the_calendar_edges_bill_or_are_refused(
    day: dt.date, sku: lb.Sku, trial: bool, quantity: int, prec: int
) -> None:
    """Property: a purchase near year 1 or 9999, under a tiny precision, bills or is refused."""
    with decimal.localcontext() as caller:
        caller.prec = prec
        try:
            buy = lb.Purchase(subscription_id="S1", on=day, sku=sku, quantity=quantity, trial=trial)
            through = dt.date.max if day.year > 9000 else day + dt.timedelta(days=800)
            lines = lb.charge_lines([buy], through=through, rulebook=NC)
        except lb.LicbillError:
            return  # licbill refused it; anything else fails the test
        assert all(line.charge_start <= line.charge_end for line in lines)


@settings(max_examples=100)
@given(day=EDGE_DATES, months=st.integers(-200, 200) | st.integers(-(10**30), 10**30))
def test_calendar_arithmetic_at_the_edges_raises_only_licbill_errors(
    day: dt.date, months: int
) -> None:
    """Property: add_months, period_end and cycle near either end return a date or refuse."""
    for operation in (
        lambda: lb.add_months(day, months),
        lambda: lb.period_end(day, months),
        lambda: lb.cycle(anchor=day, index=abs(months), months=1),
    ):
        try:
            result = operation()
        except lb.InvalidValueError:
            continue
        assert isinstance(result, dt.date | lb.Period)
