"""The shipped strategies draw valid values, and Hypothesis knows licbill's types."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import attrs
import pytest
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


def test_from_type_knows_licbill() -> None:
    """The ``hypothesis`` entry point registers licbill's own strategies with ``st.from_type``
    (not Hypothesis' generic attrs inference)."""
    assert repr(st.from_type(lb.Sku)) == "skus()"
    assert repr(st.from_type(lb.Purchase)) == "purchases()"
    assert repr(st.from_type(lb.Money)).startswith("_money(currencies=")


@pytest.mark.parametrize(
    "first",
    ["from licbill import strategies", "import licbill.strategies", "import hypothesis"],
)
def test_strategies_import_in_a_fresh_interpreter(first: str) -> None:
    """``licbill.strategies`` imports first or after hypothesis, and registers licbill's types."""
    program = (
        f"{first}\n"
        "from hypothesis import strategies as st\n"
        "import licbill as lb\n"
        "from licbill import strategies\n"
        "assert isinstance(st.from_type(lb.Money).example(), lb.Money)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr


@given(
    day=lbst.anchor_dates(min_value=dt.date(2099, 1, 1), max_value=dt.date(2101, 12, 31))
    | lbst.anchor_dates(min_value=dt.date(1899, 11, 1), max_value=dt.date(1900, 3, 31))
)
def test_anchor_dates_span_century_years(day: dt.date) -> None:
    """Ranges over 1900 and 2100, which have no 29 February, draw valid dates."""
    assert dt.date(1899, 11, 1) <= day <= dt.date(2101, 12, 31)


@given(day=lbst.anchor_dates(min_value=dt.date(9999, 11, 1), max_value=dt.date.max))
def test_anchor_dates_reach_the_last_day(day: dt.date) -> None:
    """A range ending on 9999-12-31 draws valid dates, month ends included."""
    assert day >= dt.date(9999, 11, 1)


@given(
    purchase=lbst.purchases(
        skus=lbst.skus(kinds=st.just(lb.SkuKind.PER_SEAT)).map(
            lambda sku: attrs.evolve(sku, min_quantity=60, max_quantity=None)
        )
    )
)
def test_purchases_respect_a_skus_minimum(purchase: lb.Purchase) -> None:
    """A SKU whose minimum exceeds the drawn quantities still gets at least its minimum."""
    assert purchase.quantity >= 60
    assert purchase.sku.allows(purchase.quantity)


@given(
    purchase=lbst.purchases(
        skus=lbst.skus(kinds=st.just(lb.SkuKind.PER_SEAT)).map(
            lambda sku: attrs.evolve(sku, min_quantity=2, max_quantity=3)
        ),
        quantities=st.integers(1, 100),
    )
)
def test_purchases_respect_a_skus_limits(purchase: lb.Purchase) -> None:
    """Drawn quantities are clamped into a SKU's min..max."""
    assert 2 <= purchase.quantity <= 3
