"""The shipped strategies draw valid values, and Hypothesis knows licbill's types."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill import strategies as lbst


@given(sku=lbst.skus())
def test_skus_are_valid(sku: lb.Sku) -> None:
    """Drawn SKUs respect their own limits and have a term their billing fits."""
    assert sku.allows(sku.min_quantity)
    assert sku.term.months % sku.cycle_months == 0


@given(purchase=lbst.purchases(quantities=st.integers(1, 10_000)))
def test_purchases_can_always_be_billed(purchase: lb.Purchase) -> None:
    """Every drawn purchase bills without error, its first line dated on the purchase."""
    lines = lb.charge_lines([purchase], through=purchase.on, rulebook=lb.rulebooks.NEW_COMMERCE)
    assert lines[0].order_date == purchase.on


@given(code=lbst.currencies(), fixed=lbst.currencies(codes=("EUR",)))
def test_currencies_are_iso_codes(code: str, fixed: str) -> None:
    """Drawn currency codes are known to licbill; a fixed list is honoured."""
    assert lb.Money.zero(code).currency == code
    assert fixed == "EUR"


@given(day=lbst.anchor_dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 12, 31)))
def test_anchor_dates_stay_in_range(day: dt.date) -> None:
    """Anchor dates lie in the requested range."""
    assert dt.date(2024, 1, 1) <= day <= dt.date(2024, 12, 31)


@given(sku=st.from_type(lb.Sku), money=st.from_type(lb.Money), purchase=st.from_type(lb.Purchase))
def test_from_type_knows_licbill(sku: lb.Sku, money: lb.Money, purchase: lb.Purchase) -> None:
    """The ``hypothesis`` entry point registers licbill's types with ``st.from_type``."""
    assert isinstance(sku, lb.Sku)
    assert isinstance(money, lb.Money)
    assert isinstance(purchase, lb.Purchase)
