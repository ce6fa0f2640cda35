"""``line.explain()``: the derivation of every amount licbill makes, as a value and as text."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings

import licbill as lb
from licbill.explain import plain
from licbill.strategies import event_histories

_SKU = lb.Sku.monthly(id="p", name="P", unit_price=lb.Money("10.08", "EUR"))
_EVENTS = (
    lb.Purchase(subscription_id="S", on=dt.date(2024, 6, 1), sku=_SKU, quantity=5, event_id="R-1"),
    lb.ChangeQuantity(subscription_id="S", on=dt.date(2024, 6, 8), quantity=10, event_id="R-2"),
)


def _lines(rulebook: lb.Rulebook = lb.rulebooks.NEW_COMMERCE) -> lb.ChargeLines:
    return lb.charge_lines(_EVENTS, through=dt.date(2024, 6, 30), rulebook=rulebook)


def test_a_prorated_charge_explains_itself_per_unit() -> None:
    """The seat addition's charge reads as the issue's example, step by step."""
    assert str(_lines()[2].explain()) == (
        "10.08 EUR / 30 days x 23 days = 7.728 -> 7.72 (PER_UNIT_DOWN) x 10 = 77.20 EUR"
    )


def test_an_explanation_is_a_value() -> None:
    """The explanation holds days, prices before and after rounding, policy and total."""
    e = _lines()[2].explain()
    assert (e.cycle_days, e.billing_days, e.quantity, e.rounding) == (
        30,
        23,
        10,
        lb.Rounding.PER_UNIT_DOWN,
    )
    assert e.effective_unit_price == lb.Money("7.728", "EUR")
    assert e.rounded_unit_price == lb.Money("7.72", "EUR")
    assert e.total == e.amount == lb.Money("77.20", "EUR")


def test_a_credit_names_the_charge_it_reverses() -> None:
    """The seat addition's credit gives back the purchase's seats and names its reference."""
    e = _lines()[1].explain()
    assert e.reverses == ("R-1",)
    assert e.total == lb.Money("-38.60", "EUR")
    assert str(e).endswith(": -38.60 EUR (reverses R-1)")


def test_a_per_line_policy_rounds_the_line() -> None:
    """Under a per-line policy the text multiplies first and rounds the line."""
    rulebook = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    e = _lines(rulebook)[2].explain()
    assert e.rounded_unit_price is None
    assert str(e) == (
        "10.08 EUR / 30 days x 23 days = 7.728 x 10 = 77.28 -> 77.28 (PER_LINE_DOWN) = 77.28 EUR"
    )


def test_a_full_refund_names_every_charge_of_the_cycle() -> None:
    """A cancel in the full-refund window reverses each line of the cycle, naming each one."""
    events = (
        _EVENTS[0],
        lb.ChangeQuantity(subscription_id="S", on=dt.date(2024, 6, 1), quantity=10, event_id="R-2"),
        lb.Cancel(subscription_id="S", on=dt.date(2024, 6, 1), event_id="R-3"),
    )
    lines = lb.charge_lines(
        events, through=dt.date(2024, 6, 30), rulebook=lb.rulebooks.NEW_COMMERCE
    )
    charged, refund = lines[:3], lines[3:]
    # Newest first: each reversal line names the one line it reverses, with its opposite total.
    assert [line.reverses for line in refund] == ["R-2", "R-2", "R-1"]
    assert [line.total for line in refund] == [-line.total for line in reversed(charged)]
    explained = [line.explain() for line in refund]
    assert all(e.refund for e in explained)
    assert [e.reverses for e in explained] == [("R-2",), ("R-2",), ("R-1",)]
    assert [str(e) for e in explained] == [
        "full refund of the cycle from 2024-06-01, reversing the charge of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 10 = 100.80 EUR: -100.80 EUR"
        " (reverses R-2)",
        "full refund of the cycle from 2024-06-01, reversing the credit of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 5 = 50.40 EUR: 50.40 EUR (reverses R-2)",
        "full refund of the cycle from 2024-06-01, reversing the charge of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 5 = 50.40 EUR: -50.40 EUR (reverses R-1)",
    ]


def test_a_line_without_basis_cannot_explain_itself() -> None:
    """A line made by hand carries no basis: explain() says so with a licbill error."""
    line = _lines()[0]._replace(basis=None)
    with pytest.raises(lb.InvalidValueError, match="carries no basis"):
        line.explain()


@settings(max_examples=40)
@given(events=event_histories())
def test_every_engine_amount_is_its_explanation(events: tuple[lb.Event, ...]) -> None:
    """Every line's explanation recomputes its total (a full refund's: the line it reverses)."""
    lines = lb.charge_lines(
        events, through=dt.date(2027, 6, 30), rulebook=lb.rulebooks.NEW_COMMERCE
    )
    for line in lines:
        e = line.explain()
        assert abs(line.total) == e.amount
        if e.refund:
            assert e.reverses == (line.reverses,)
        starts = ("full refund", "credit of", "free trial: ", f"{plain(line.unit_price.amount)} ")
        assert str(e).startswith(starts)


def test_a_trial_line_says_it_is_a_free_trial() -> None:
    """A trial's zero line explains itself as the free trial, at a zero price."""
    from licbill.seeds import SCENARIOS

    s = SCENARIOS[0]
    line = lb.charge_lines(s.events, through=s.through, rulebook=s.rulebook)[0]
    assert str(line.explain()) == (
        "free trial: 0 USD / 30 days x 30 days = 0 -> 0.00 (PER_UNIT_DOWN) x 1 = 0.00 USD"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cycle_start": "2024-06-01"}, lb.InvalidTypeError),
        ({"cycle_days": True}, lb.InvalidTypeError),
        ({"billing_days": 31}, lb.InvalidValueError),
        ({"rounding": "PER_UNIT_DOWN"}, lb.InvalidTypeError),
        ({"reverses": ["R-1"]}, lb.InvalidTypeError),
        ({"refund": 1}, lb.InvalidTypeError),
    ],
)
def test_a_basis_refuses_wrong_fields(change: dict[str, object], error: type[Exception]) -> None:
    """A basis built by hand with a wrong field is refused with a licbill error naming it."""
    fields: dict[str, object] = {
        "cycle_start": dt.date(2024, 6, 1),
        "cycle_days": 30,
        "billing_days": 23,
        "rounding": lb.Rounding.PER_UNIT_DOWN,
    }
    with pytest.raises(error):
        lb.Basis(**{**fields, **change})  # type: ignore[arg-type]
