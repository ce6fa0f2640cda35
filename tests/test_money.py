"""Money: validation, arithmetic, explicit rounding and allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import monies


def test_minor_units_come_from_the_currency() -> None:
    """USD and EUR have 2 minor units, JPY 0, BHD 3."""
    assert [lb.Money(1, c).minor_units for c in ("USD", "EUR", "JPY", "BHD")] == [2, 2, 0, 3]


@pytest.mark.parametrize("amount", [1.5, True, None, [1]])
def test_wrong_amount_types_are_refused(amount: object) -> None:
    """Floats, bools and other types are refused with a TypeError that names the value."""
    with pytest.raises(lb.InvalidTypeError, match=repr(amount).replace("[", r"\[")):
        lb.Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", Decimal("-inf")])
def test_malformed_amounts_are_refused(amount: object) -> None:
    """Strings that are not numbers and non-finite decimals are refused as values."""
    with pytest.raises(lb.InvalidValueError):
        lb.Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["XYZ", "usd", "", 840])
def test_unknown_currencies_are_refused(currency: object) -> None:
    """A code that is not ISO 4217 is refused, named in the message."""
    with pytest.raises(lb.LicbillError, match="currency"):
        lb.Money("1", currency)  # type: ignore[arg-type]


def test_arithmetic_within_one_currency() -> None:
    """Sums, differences, negation and multiplication by int or Decimal stay exact."""
    a, b = lb.Money("10.08", "EUR"), lb.Money("0.92", "EUR")
    assert a + b == lb.Money("11", "EUR")
    assert a - b == lb.Money("9.16", "EUR")
    assert -a == lb.Money("-10.08", "EUR")
    assert a * 3 == 3 * a == lb.Money("30.24", "EUR")
    assert a * Decimal("0.5") == lb.Money("5.04", "EUR")
    assert b < a
    assert a >= b
    assert abs(-a) == a


def test_mixed_currencies_are_refused() -> None:
    """Adding or comparing two currencies raises CurrencyMismatchError, a ValueError."""
    with pytest.raises(lb.CurrencyMismatchError):
        lb.Money(1, "EUR") + lb.Money(1, "USD")
    with pytest.raises(ValueError, match="USD"):
        _ = lb.Money(1, "EUR") < lb.Money(1, "USD")


def test_multiplying_by_a_float_is_refused() -> None:
    """Money times a float is refused, as floats cannot hold cents."""
    with pytest.raises(lb.InvalidTypeError):
        lb.Money(1, "EUR") * 1.1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("2.675", lb.RoundingMode.DOWN, "2.67"),
        ("2.675", lb.RoundingMode.HALF_UP, "2.68"),
        ("2.675", lb.RoundingMode.HALF_EVEN, "2.68"),
        ("2.665", lb.RoundingMode.HALF_EVEN, "2.66"),
        ("-2.675", lb.RoundingMode.DOWN, "-2.67"),
        ("-2.675", lb.RoundingMode.HALF_UP, "-2.68"),
    ],
)
def test_rounding_is_explicit(amount: str, mode: lb.RoundingMode, expected: str) -> None:
    """Each rounding mode rounds to the minor unit as named, symmetric around zero."""
    assert lb.Money(amount, "USD").rounded(mode) == lb.Money(expected, "USD")


def test_rounding_follows_the_currency() -> None:
    """JPY rounds to whole yen and BHD to three places."""
    assert lb.Money("100.9", "JPY").rounded(lb.RoundingMode.DOWN).amount == Decimal(100)
    assert lb.Money("1.2345", "BHD").rounded(lb.RoundingMode.HALF_UP).amount == Decimal("1.235")


def test_rounding_needs_a_mode() -> None:
    """Passing something other than a RoundingMode is refused."""
    with pytest.raises(lb.InvalidTypeError):
        lb.Money("1", "USD").rounded("down")  # type: ignore[arg-type]


def test_allocate_example() -> None:
    """Ten dollars split three ways gives 3.34, 3.33, 3.33."""
    parts = lb.Money("10.00", "USD").allocate([1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


def test_allocate_refuses_bad_weights_and_unrounded_amounts() -> None:
    """Empty, negative or all-zero weights and sub-cent amounts are refused."""
    for weights in ([], [0, 0], [1, -1]):
        with pytest.raises(lb.LicbillError):
            lb.Money("1", "USD").allocate(weights)
    with pytest.raises(lb.InvalidValueError):
        lb.Money("1.001", "USD").allocate([1])


@given(
    money=monies(min_value=-1000).map(lambda m: m.rounded(lb.RoundingMode.DOWN)),
    weights=st.lists(st.integers(0, 50), min_size=1, max_size=8).filter(any),
)
def test_allocation_always_adds_back_up(money: lb.Money, weights: list[int]) -> None:
    """An allocation's parts add up exactly to the whole, each within one minor unit of fair."""
    parts = money.allocate(weights)
    assert sum((p for p in parts), lb.Money.zero(money.currency)) == money
    whole = money.to_minor()
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.to_minor() * sum(weights) - whole * weight) < sum(weights)


@given(money=monies(extra_places=3), mode=st.sampled_from(lb.RoundingMode))
def test_rounding_moves_less_than_one_minor_unit(money: lb.Money, mode: lb.RoundingMode) -> None:
    """Any rounding lands on the minor unit, less than one minor unit away."""
    rounded = money.rounded(mode)
    assert rounded.is_rounded
    assert abs(rounded.amount - money.amount) < Decimal(1).scaleb(-money.minor_units)
