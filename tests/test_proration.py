"""Proration (docs/proration.md): exact effective unit price and each rounding policy."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import monies

R = lb.Rounding


def _total(price: str, qty: int, billing: int, cycle: int, rounding: lb.Rounding) -> Decimal:
    return lb.prorate(
        unit_price=lb.Money(price, "USD"),
        quantity=qty,
        billing_days=billing,
        cycle_days=cycle,
        rounding=rounding,
    ).amount


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # 36 USD, 19 of 29 days: EUP = 23.5862..., times 10 = 235.862...
        (R.PER_UNIT_DOWN, "235.80"),
        (R.PER_LINE_DOWN, "235.86"),
        (R.PER_UNIT_HALF_UP, "235.90"),
        (R.PER_LINE_HALF_UP, "235.86"),
        (R.PER_UNIT_HALF_EVEN, "235.90"),
        (R.PER_LINE_HALF_EVEN, "235.86"),
    ],
)
def test_each_policy_rounds_where_it_says(rounding: lb.Rounding, expected: str) -> None:
    """The six policies differ exactly in where and how they round."""
    assert _total("36", 10, 19, 29, rounding) == Decimal(expected)


def test_no_intermediate_rounding() -> None:
    """One dollar over 10 of 30 days for 3 seats is exactly 1.00 per line, not 0.99."""
    assert _total("1", 3, 10, 30, R.PER_LINE_DOWN) == Decimal("1.00")
    assert _total("1", 3, 10, 30, R.PER_UNIT_DOWN) == Decimal("0.99")


def test_half_even_and_half_up_differ_on_a_tie() -> None:
    """A line worth exactly 0.125 goes to 0.13 half-up and 0.12 half-even."""
    assert _total("0.25", 1, 15, 30, R.PER_LINE_HALF_UP) == Decimal("0.13")
    assert _total("0.25", 1, 15, 30, R.PER_LINE_HALF_EVEN) == Decimal("0.12")


def test_zero_decimal_currencies() -> None:
    """JPY prorates to whole yen."""
    total = lb.prorate(
        unit_price=lb.Money(1000, "JPY"),
        quantity=1,
        billing_days=10,
        cycle_days=30,
        rounding=R.PER_LINE_DOWN,
    )
    assert total == lb.Money(333, "JPY")


def test_effective_unit_price_is_the_unit_price_for_a_whole_cycle() -> None:
    """A whole cycle's EUP is the unit price itself; a part is shown to ten places."""
    price = lb.Money("2", "USD")
    assert lb.effective_unit_price(unit_price=price, billing_days=30, cycle_days=30) is price
    part = lb.effective_unit_price(unit_price=price, billing_days=10, cycle_days=30)
    assert part.amount == Decimal("0.6666666667")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"billing_days": 0}, lb.InvalidValueError),
        ({"billing_days": 31}, lb.InvalidValueError),
        ({"quantity": -1}, lb.InvalidValueError),
        ({"unit_price": lb.Money("-1", "USD")}, lb.InvalidValueError),
        ({"rounding": "down"}, lb.InvalidTypeError),
    ],
)
def test_bad_proration_input_is_refused(kwargs: dict[str, object], error: type) -> None:
    """Days outside the cycle, negative quantities or prices and a missing policy are refused."""
    args: dict[str, object] = {
        "unit_price": lb.Money("1", "USD"),
        "quantity": 1,
        "billing_days": 10,
        "cycle_days": 30,
        "rounding": R.PER_LINE_DOWN,
    }
    with pytest.raises(error):
        lb.prorate(**(args | kwargs))  # type: ignore[arg-type]


@given(
    price=monies(extra_places=2),
    quantity=st.integers(0, 500),
    cycle_days=st.integers(28, 366),
    data=st.data(),
    rounding=st.sampled_from(R),
)
def test_every_policy_stays_within_its_bound(
    price: lb.Money,
    quantity: int,
    cycle_days: int,
    data: st.DataObject,
    rounding: lb.Rounding,
) -> None:
    """A prorated total differs from the exact value by less than the policy's stated bound."""
    billing_days = data.draw(st.integers(1, cycle_days))
    total = lb.prorate(
        unit_price=price,
        quantity=quantity,
        billing_days=billing_days,
        cycle_days=cycle_days,
        rounding=rounding,
    )
    exact = Fraction(price.amount) * quantity * billing_days / cycle_days
    error_in_minor_units = abs(Fraction(total.amount) - exact) * 10**price.minor_units
    assert error_in_minor_units < rounding.bound(quantity)
    if rounding.mode is lb.RoundingMode.DOWN:
        assert Fraction(total.amount) <= exact
