"""Regression tests for the audit review's findings (docs/audit.md)."""

from __future__ import annotations

from datetime import date

import licbill as lb

NC = lb.rulebooks.NEW_COMMERCE


def _usd(amount: str) -> lb.Money:
    return lb.Money(amount, "USD")


# 1. Two month grids meet where a month end clamps ------------------------------------------


def test_convert_to_monthly_on_a_leap_day_is_clean() -> None:
    """An annual bought 2024-01-30, converted to monthly on 2024-02-29: the new grid counts."""
    annual = lb.Sku.annual(id="yra", name="A", unit_price=_usd("300.00"))
    monthly = lb.Sku.annual(
        id="yrm2", name="M", unit_price=_usd("35.00"), billing=lb.Billing.MONTHLY
    )
    lines = lb.charge_lines(
        [
            lb.Purchase(subscription_id="S", on=date(2024, 1, 30), sku=annual, quantity=2),
            lb.ConvertSku(subscription_id="S", on=date(2024, 2, 29), to=monthly),
        ],
        through=date(2024, 4, 1),
        rulebook=NC,
    )
    assert lb.audit.check(lines, rulebook=NC) == ()


def test_trial_converted_a_day_before_its_end_is_clean() -> None:
    """A trial from 2023-12-31 converted on 2024-01-30 charges 2024-01-30..2024-02-28 cleanly."""
    sku = lb.Sku.monthly(id="m30", name="M", unit_price=_usd("30.00"))
    lines = lb.charge_lines(
        [
            lb.Purchase(
                subscription_id="T", on=date(2023, 12, 31), sku=sku, quantity=1, trial=True
            ),
            lb.ConvertTrial(subscription_id="T", on=date(2024, 1, 30)),
        ],
        through=date(2024, 3, 1),
        rulebook=NC,
    )
    assert lb.audit.check(lines, rulebook=NC) == ()


def test_three_year_monthly_converted_to_annual_is_clean() -> None:
    """A P3Y monthly bought 2024-01-30, converted to P3Y annual on 2024-02-28, is clean."""
    monthly = lb.Sku(
        id="p3m", name="P", unit_price=_usd("40.00"), term=lb.Term.P3Y, billing=lb.Billing.MONTHLY
    )
    annual = lb.Sku(
        id="p3a", name="Q", unit_price=_usd("500.00"), term=lb.Term.P3Y, billing=lb.Billing.ANNUAL
    )
    lines = lb.charge_lines(
        [
            lb.Purchase(subscription_id="U", on=date(2024, 1, 30), sku=monthly, quantity=1),
            lb.ConvertSku(subscription_id="U", on=date(2024, 2, 28), to=annual),
        ],
        through=date(2024, 4, 1),
        rulebook=NC,
    )
    assert lb.audit.check(lines, rulebook=NC) == ()
