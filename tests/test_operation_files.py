"""The new-commerce operations in scenario files (TOML): each example, and each refusal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import licbill as lb
from licbill.io.scenarios import ScenarioError, load_charges

EXAMPLES = Path(__file__).parent.parent / "examples"


def _bill(name: str) -> list[tuple[str, str, int, Decimal]]:
    scenario = load_charges(EXAMPLES / f"{name}.toml")
    lines = lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
    return [(x.subscription_id, str(x.charge_type), x.quantity, x.total.amount) for x in lines]


def test_schedule_change_example() -> None:
    """examples/schedule-change.toml: the renewal bills the scheduled seats and SKU."""
    assert _bill("schedule-change")[-1] == ("S", "renew", 3, Decimal("180.00"))


def test_billing_plan_example() -> None:
    """examples/billing-plan.toml: the published monthly-to-annual charge."""
    assert _bill("billing-plan")[-1] == ("S", "changeBillingPlan", 10, Decimal("2291.60"))


def test_trial_conversion_example() -> None:
    """examples/trial-conversion.toml: the published trial conversion."""
    assert _bill("trial-conversion")[-1] == ("S", "convert", 25, Decimal("1315.25"))


def test_partial_upgrade_example() -> None:
    """examples/partial-upgrade.toml: a partial upgrade, then seats moved into its target."""
    assert [(s, t) for s, t, _, _ in _bill("partial-upgrade")[1:]] == [
        ("S", "convert"),
        ("S2", "convert"),
        ("S", "moveQuantity"),
        ("S2", "moveQuantity"),
    ]


def test_aligned_term_example() -> None:
    """examples/aligned-term.toml: a calendar-aligned and a coterminous first term."""
    assert [total for *_, total in _bill("aligned-term")[:2]] == [
        Decimal("351.00"),
        Decimal("303.00"),
    ]


def test_price_change_example() -> None:
    """examples/price-change.toml: the renewal bills the new catalogue price."""
    assert _bill("price-change")[-1] == ("S", "renew", 2, Decimal("66.00"))


HEAD = """rulebook = "new-commerce"
through = 2024-05-10
[[sku]]
id = "std"
unit_price = "30.00"
currency = "USD"
term = "P1M"
billing = "monthly"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[event]]\ntype = "schedule-change"\nsubscription = "S"\non = 2024-04-20\n', "needs"),
        (
            '[[event]]\ntype = "convert"\nsubscription = "S"\non = 2024-04-20\nto = "std"\n'
            'target = "T"\n',
            "event\\[0\\]: a partial upgrade to 'T' needs a quantity",
        ),
        ('[[event]]\ntype = "renew-now"\nsubscription = "S"\non = 2024-04-20\n', "convert-trial"),
        (
            '[[event]]\ntype = "purchase"\nsubscription = "S"\non = 2024-04-20\nsku = "std"\n'
            'custom_term_end = "soon"\n',
            "custom_term_end",
        ),
    ],
)
def test_malformed_operations_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    """A malformed new-commerce event is refused with the file, line and field (or entry)."""
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=message) as caught:
        load_charges(path)
    assert str(path) in str(caught.value)


def test_malformed_price_changes_name_the_sku(tmp_path: Path) -> None:
    """price_changes must be a list of {on, unit_price} tables."""
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + 'price_changes = ["15.00"]\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="price_changes"):
        load_charges(path)
