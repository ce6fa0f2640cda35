"""The supported range of amounts and quantities, refused at the door (issue 10, finding 2)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.money import MAX_AMOUNT_DIGITS, MAX_PLACES, amount_of
from licbill.proration import MAX_QUANTITY
from licbill.strategies import currencies

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
LIMIT = 10**MAX_AMOUNT_DIGITS


def _sku(price: str) -> lb.Sku:
    return lb.Sku.monthly(id="s", name="S", unit_price=lb.Money(price, "USD"))


@pytest.mark.parametrize(
    "amount",
    ["999999999999999999.999999999999", "-999999999999999999", LIMIT - 1, "0.000000000001"],
)
def test_amounts_at_the_limits_are_exact(amount: object) -> None:
    """The largest and finest supported amounts keep every digit."""
    assert lb.Money(amount, "USD").amount == Decimal(str(amount))


@pytest.mark.parametrize(
    "amount",
    [
        "1E+18",
        LIMIT,
        -LIMIT,
        "1E+30",
        "1E+99999999",
        "-1E+999999999999999999",
        pytest.param(10**5000, id="10**5000"),
        "0.0000000000001",
        "1E-999999999",
        pytest.param("1" * 10_000, id="10000 ones"),
    ],
)
def test_amounts_outside_the_range_are_refused_naming_the_range(amount: object) -> None:
    """Amounts outside the documented range raise InvalidValueError naming the range."""
    with pytest.raises(lb.InvalidValueError, match=r"supported amounts: \|amount\| < 10\*\*18"):
        lb.Money(amount, "USD")


def test_a_huge_exponent_is_refused_at_once() -> None:
    """``1E+99999999`` as a price is refused in well under a second, not after minutes."""
    start = time.perf_counter()
    with pytest.raises(lb.InvalidValueError, match="1E"):
        _sku("1E+99999999")
    assert time.perf_counter() - start < 0.5


def test_trailing_zeros_beyond_the_places_are_dropped_exactly() -> None:
    """Zeros past 12 places are not digits: the amount is kept, at 12 places."""
    money = lb.Money("1.50000000000000000000", "USD")
    assert money.amount == Decimal("1.5")
    assert money.amount.as_tuple().exponent == -MAX_PLACES


def test_zero_with_any_exponent_is_zero() -> None:
    """``0E+99`` and ``0E-99`` are zero, held as plain 0."""
    assert lb.Money("0E+99", "USD") == lb.Money("0E-99", "USD") == lb.Money.zero("USD")


def test_a_positive_exponent_is_written_out() -> None:
    """``1E+5`` is held as 100000, so it prints as a plain number."""
    assert str(lb.Money("1E+5", "USD")) == "100000 USD"


def test_from_minor_refuses_more_than_the_range_naming_the_units() -> None:
    """``from_minor(10**40 + 1)`` is refused instead of losing its last digit."""
    with pytest.raises(lb.InvalidValueError, match="10000000000000000000000000000000000000001"):
        lb.Money.from_minor(10**40 + 1, "USD")


def test_a_5000_digit_int_is_named_by_its_size() -> None:
    """An int whose repr Python refuses is named by its size, never a raw ValueError."""
    with pytest.raises(lb.InvalidValueError, match="an int of about 5001 digits"):
        lb.Money.from_minor(10**5000, "USD")


def test_sums_past_the_range_are_refused() -> None:
    """Adding two large amounts past the range raises, never rounds."""
    big = lb.Money(LIMIT - 1, "USD")
    with pytest.raises(lb.InvalidValueError, match="supported amounts"):
        big + big
    with pytest.raises(lb.InvalidValueError, match="supported amounts"):
        -big - big


@pytest.mark.parametrize("factor", [LIMIT, 10**30 + 1, Decimal("1E+18"), Decimal("1E-13")])
def test_factors_outside_the_range_are_refused(factor: int | Decimal) -> None:
    """A factor outside the supported range is refused before multiplying."""
    with pytest.raises(lb.InvalidValueError, match="supported amounts"):
        lb.Money("1", "USD") * factor


def test_a_product_past_the_range_is_refused() -> None:
    """A product of in-range values that leaves the range is refused."""
    with pytest.raises(lb.InvalidValueError, match="supported amounts"):
        lb.Money("999999999999", "USD") * 10**9


def test_an_infinite_factor_is_refused() -> None:
    """``Money * Decimal('Infinity')`` raises InvalidValueError."""
    with pytest.raises(lb.InvalidValueError, match="Infinity"):
        lb.Money("1", "USD") * Decimal("Infinity")


@pytest.mark.parametrize("amount", ["999999999999999999.99", "1.005", "-3.333333333333"])
def test_is_rounded_to_minor_and_allocate_never_raise_raw_errors(amount: str) -> None:
    """``is_rounded``, ``to_minor``, ``rounded`` and ``allocate`` work across the whole range."""
    money = lb.Money(amount, "USD")
    rounded = money.rounded(lb.RoundingMode.HALF_EVEN)
    assert rounded.is_rounded
    assert sum(rounded.allocate([1, 1, 1]), lb.Money.zero("USD")) == rounded
    assert lb.Money.from_minor(rounded.to_minor(), "USD") == rounded


@pytest.mark.parametrize(
    ("units", "places"), [(LIMIT, 0), (-LIMIT * 100, 2), (1, MAX_PLACES + 1), (1, -1)]
)
def test_amount_of_refuses_what_is_outside_the_range(units: int, places: int) -> None:
    """``amount_of`` refuses units past the range and places outside 0..MAX_PLACES."""
    with pytest.raises(lb.InvalidValueError):
        amount_of(units, places)


@pytest.mark.parametrize(
    "quantity", [MAX_QUANTITY + 1, 10**30 + 1, pytest.param(10**5000, id="10**5000")]
)
def test_quantities_past_the_maximum_are_refused(quantity: int) -> None:
    """A purchase of more than MAX_QUANTITY seats is refused at construction."""
    with pytest.raises(lb.InvalidValueError, match=f"1..{MAX_QUANTITY}"):
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=_sku("0.01"), quantity=quantity)


def test_sku_limits_past_the_maximum_are_refused() -> None:
    """A SKU's max_quantity above MAX_QUANTITY is refused, naming the field."""
    with pytest.raises(lb.InvalidValueError, match="max_quantity"):
        lb.Sku.monthly(
            id="s", name="S", unit_price=lb.Money(1, "USD"), max_quantity=MAX_QUANTITY + 1
        )


@pytest.mark.parametrize(
    "quantity", [-1, MAX_QUANTITY + 1, pytest.param(-(10**5000), id="-10**5000")]
)
def test_prorate_refuses_quantities_outside_the_range(quantity: int) -> None:
    """``prorate`` takes quantities in 0..MAX_QUANTITY only."""
    with pytest.raises(lb.InvalidValueError, match=f"0..{MAX_QUANTITY}"):
        lb.prorate(
            unit_price=lb.Money(1, "USD"),
            quantity=quantity,
            billing_days=1,
            cycle_days=1,
            rounding=lb.Rounding.PER_LINE_DOWN,
        )


def test_the_largest_line_bills_exactly() -> None:
    """MAX_QUANTITY seats at the largest price that keeps the line in range bill exactly."""
    price = "999999999.99"
    buy = lb.Purchase(
        subscription_id="S1", on=D(2024, 1, 1), sku=_sku(price), quantity=MAX_QUANTITY
    )
    (line,) = lb.charge_lines([buy], through=D(2024, 1, 1), rulebook=NC)
    assert line.total.amount == Decimal(price) * MAX_QUANTITY


def test_a_line_past_the_range_is_refused() -> None:
    """A price times quantity past the range is refused with a licbill error, never rounded."""
    buy = lb.Purchase(
        subscription_id="S1", on=D(2024, 1, 1), sku=_sku("10000000000"), quantity=MAX_QUANTITY
    )
    with pytest.raises(lb.InvalidValueError, match="supported amounts"):
        lb.charge_lines([buy], through=D(2024, 1, 1), rulebook=NC)


@settings(max_examples=50)
@given(
    currency=currencies(),
    units=st.integers(-(10**20), 10**20) | st.integers(-(10**40), 10**40),
    weights=st.lists(st.integers(0, 5), min_size=1, max_size=4).filter(any),
)
def test_amounts_in_range_are_exact_and_others_refused(
    currency: str, units: int, weights: list[int]
) -> None:
    """Property: minor units inside the range round-trip exactly; outside, InvalidValueError."""
    places = lb.money.minor_units(currency)
    if abs(units) < 10 ** (MAX_AMOUNT_DIGITS + places):
        money = lb.Money.from_minor(units, currency)
        assert money.to_minor() == units
        assert sum(money.allocate(weights), lb.Money.zero(currency)) == money
    else:
        with pytest.raises(lb.InvalidValueError):
            lb.Money.from_minor(units, currency)
