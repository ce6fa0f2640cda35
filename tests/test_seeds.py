"""The four seed tables of docs/seeds.md, reproduced line for line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import licbill as lb
from licbill.seeds import SCENARIOS


def _d(text: str) -> dt.date:
    month, day, year = map(int, text.split("/"))
    return dt.date(year, month, day)


# purchase, SKU (None where the table has no SKU column), start, end, unit, qty, total, type,
# description: copied from the published tables (docs/seeds.md).
SEED_TABLES = {
    1: [
        ("06/10/2019", None, "06/10/2019", "07/09/2019", "0", 1, "0", "New", "Free trial"),
        ("07/10/2019", None, "07/10/2019", "08/09/2019", "2", 1, "2", "Renew", "Paid subscription"),
    ],
    2: [
        ("06/10/2019", None, "06/10/2019", "07/09/2019", "0", 11, "0", "New", "Free trial"),
        ("06/10/2019", None, "06/10/2019", "07/09/2019", "0", 11, "0", "Cancel", "Free trial"),
    ],
    3: [
        ("06/10/2019", "Silver", "06/10/2019", "06/10/2019", "20", 1, "20", "New",
         "Custom meter SaaS subscription"),
        ("06/10/2019", "Silver", "06/10/2019", "06/10/2019", "20", 1, "-20", "Convert",
         "Prorated rebill for custom meter SaaS subscription"),
        ("06/10/2019", "Bronze", "06/10/2019", "06/10/2019", "10", 1, "10", "Convert",
         "Custom meter SaaS subscription"),
    ],
    4: [
        ("06/10/2019", "Bronze", "06/10/2019", "06/10/2019", "10", 1, "10", "New",
         "Custom meter SaaS subscription"),
        ("06/10/2019", "Bronze", "06/10/2019", "06/10/2019", "10", 1, "-10", "CancelImmediate",
         "Custom meter SaaS subscription"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("number", sorted(SEED_TABLES))
def test_seed_table(number: int) -> None:
    """Each seed scenario gives exactly its published table, no line more or less."""
    scenario = SCENARIOS[number - 1]
    lines = lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
    table = SEED_TABLES[number]
    has_sku_column = table[0][1] is not None
    got = [
        (
            line.order_date,
            line.sku_name if has_sku_column else None,
            line.charge_start,
            line.charge_end,
            line.unit_price.amount,
            line.quantity,
            line.total.amount,
            str(line.charge_type),
            line.description,
        )
        for line in lines
    ]
    want = [
        (_d(p), sku, _d(s), _d(e), Decimal(u), q, Decimal(t), kind, text)
        for p, sku, s, e, u, q, t, kind, text in table
    ]
    assert got == want
    assert all(line.currency == "USD" for line in lines)


def test_trial_lines_carry_the_trial_qualifier() -> None:
    """Trial lines are marked ``["Trial"]``; the paid line is not."""
    scenario = SCENARIOS[0]
    lines = lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
    assert [line.product_qualifiers for line in lines] == [("Trial",), ()]


def test_lines_of_one_event_share_a_reference() -> None:
    """The credit and charge of the seed conversion share one reference id."""
    scenario = SCENARIOS[2]
    lines = lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
    assert lines[1].reference_id == lines[2].reference_id != lines[0].reference_id


def test_seed_one_renews_monthly_after_the_table() -> None:
    """Billed one month further, seed 1 adds the next renewal, anchored on the 10th."""
    scenario = SCENARIOS[0]
    lines = lb.charge_lines(
        scenario.events, through=dt.date(2019, 8, 31), rulebook=scenario.rulebook
    )
    assert [(str(x.charge_type), x.charge_start, x.charge_end) for x in lines[2:]] == [
        ("Renew", dt.date(2019, 8, 10), dt.date(2019, 9, 9))
    ]
