"""Rulebooks validate every field on construction and on ``attrs.evolve`` (issue 10, finding 4)."""

from __future__ import annotations

import attrs
import pytest

import licbill as lb
from licbill.rulebooks import MAX_TRIAL_MONTHS, MAX_WINDOW_DAYS, Descriptions, Rulebook

NC = lb.rulebooks.NEW_COMMERCE
SPELLINGS = {kind: kind.value for kind in lb.ChargeType}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "", lb.InvalidTypeError),
        ("name", None, lb.InvalidTypeError),
        ("trial_cancel", "bogus", lb.InvalidTypeError),
        ("trial_conversion", "renew", lb.InvalidTypeError),
        ("rounding", "down", lb.InvalidTypeError),
        ("descriptions", None, lb.InvalidTypeError),
        ("descriptions", {"trial": "x"}, lb.InvalidTypeError),
        ("trial_months", 10**6, lb.InvalidValueError),
        ("trial_months", MAX_TRIAL_MONTHS + 1, lb.InvalidValueError),
        ("trial_months", 0, lb.InvalidValueError),
        ("trial_months", True, lb.InvalidTypeError),
        ("trial_months", 1.0, lb.InvalidTypeError),
        ("full_refund_days", -1, lb.InvalidValueError),
        ("full_refund_days", MAX_WINDOW_DAYS + 1, lb.InvalidValueError),
        ("full_refund_days", False, lb.InvalidTypeError),
        ("prorated_refund_days", "7", lb.InvalidTypeError),
        ("prorated_refund_days", 10**5000, lb.InvalidValueError),
        ("spellings", None, lb.InvalidTypeError),
        ("spellings", SPELLINGS | {lb.ChargeType.NEW: ""}, lb.InvalidValueError),
        ("spellings", SPELLINGS | {"new": "new"}, lb.InvalidValueError),
        ("spellings", SPELLINGS | {lb.ChargeType.RENEW: 3}, lb.InvalidValueError),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_evolve_refuses_a_bad_field_naming_it(field: str, value: object, error: type) -> None:
    """``attrs.evolve`` with a bad value raises the licbill error that names the field."""
    with pytest.raises(error, match=field.split("_")[0]) as raised:
        attrs.evolve(NC, **{field: value})
    assert isinstance(raised.value, lb.LicbillError)


def test_construction_checks_the_same_fields() -> None:
    """Building a Rulebook directly runs the same validators as evolve."""
    with pytest.raises(lb.InvalidTypeError, match="trial_cancel"):
        Rulebook(
            name="x",
            spellings=SPELLINGS,
            trial_conversion=lb.rulebooks.TrialConversion.RENEW,
            trial_cancel="bogus",  # type: ignore[arg-type]
            full_refund_days=1,
            rounding=lb.Rounding.PER_UNIT_DOWN,
        )


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(Descriptions)])
def test_descriptions_must_be_text(field: str) -> None:
    """Each description is a str; None is refused, naming the field."""
    with pytest.raises(lb.InvalidTypeError, match=field):
        Descriptions(**{field: None})  # type: ignore[arg-type]


def test_the_limits_themselves_are_accepted() -> None:
    """The bounds are inclusive: a 12-month trial and 366-day windows are valid."""
    book = attrs.evolve(
        NC,
        trial_months=MAX_TRIAL_MONTHS,
        full_refund_days=MAX_WINDOW_DAYS,
        prorated_refund_days=0,
    )
    assert (book.trial_months, book.full_refund_days) == (MAX_TRIAL_MONTHS, MAX_WINDOW_DAYS)
