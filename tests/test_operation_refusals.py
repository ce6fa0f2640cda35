"""Every refusal of the new-commerce operations: a licbill error that names the bad value."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

import licbill as lb

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
USD = lb.Money("30", "USD")
STD = lb.Sku.monthly(id="std", name="Std", unit_price=USD)
PRO = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("60", "USD"), max_quantity=3)
FLAT = lb.Sku.monthly(id="flat", name="Flat", unit_price=USD, kind=lb.SkuKind.FLAT)
YEAR = lb.Sku.annual(id="yr", name="Yr", unit_price=USD, billing=lb.Billing.MONTHLY)
BUY = lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=STD, quantity=5)


def _bill(*events: lb.Event) -> lb.ChargeLines:
    return lb.charge_lines(events, through=D(2024, 12, 31), rulebook=NC)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: lb.PriceChange(on=D(2024, 1, 1), unit_price=lb.Money("-1", "USD")),
            lb.InvalidValueError,
            "-1",
        ),
        (lambda: attrs.evolve(STD, price_changes="soon"), lb.InvalidTypeError, "soon"),
        (lambda: attrs.evolve(STD, price_changes=("x",)), lb.InvalidTypeError, "'x'"),
        (
            lambda: attrs.evolve(
                STD,
                price_changes=(lb.PriceChange(on=D(2024, 1, 1), unit_price=lb.Money("1", "EUR")),),
            ),
            lb.InvalidValueError,
            "EUR",
        ),
        (
            lambda: attrs.evolve(
                STD,
                price_changes=(
                    lb.PriceChange(on=D(2024, 2, 1), unit_price=USD),
                    lb.PriceChange(on=D(2024, 1, 1), unit_price=USD),
                ),
            ),
            lb.InvalidValueError,
            "increasing",
        ),
        (
            lambda: lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 10)),
            lb.InvalidValueError,
            "needs",
        ),
        (
            lambda: lb.ConvertSku(
                subscription_id="S", on=D(2024, 4, 10), to=PRO, target_subscription_id="T"
            ),
            lb.InvalidValueError,
            "needs a quantity",
        ),
        (
            lambda: lb.ConvertSku(
                subscription_id="S",
                on=D(2024, 4, 10),
                to=PRO,
                quantity=1,
                target_subscription_id="S",
            ),
            lb.InvalidValueError,
            "itself",
        ),
        (lambda: attrs.evolve(NC, reduction_window_days=-1), lb.InvalidValueError, "-1"),
        (lambda: attrs.evolve(NC, signed_credit_prices="yes"), lb.InvalidTypeError, "yes"),
    ],
)
def test_malformed_values_are_refused(build: object, error: type, message: str) -> None:
    """A malformed price change, scheduled change, partial upgrade or rulebook field is refused
    with an error naming it."""
    with pytest.raises(error, match=message):
        build()  # type: ignore[operator]


def _upgrade(*, on: dt.date, to: lb.Sku, quantity: int) -> lb.ConvertSku:
    """A partial upgrade on *on*: *quantity* seats of S move to subscription T on SKU *to*."""
    return lb.ConvertSku(
        subscription_id="S", on=on, to=to, quantity=quantity, target_subscription_id="T"
    )


@pytest.mark.parametrize(
    ("events", "error", "message"),
    [
        (
            (lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), quantity=2, to=FLAT),),
            lb.IncompatibleSkuError,
            "flat",
        ),
        (
            (lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), to=PRO),),
            lb.QuantityError,
            "limits",
        ),
        (
            (lb.ChangeBillingPlan(subscription_id="S", on=D(2024, 4, 20), to=FLAT),),
            lb.IncompatibleSkuError,
            "flat",
        ),
        (
            (_upgrade(on=D(2024, 4, 20), to=YEAR, quantity=2),),
            lb.IncompatibleSkuError,
            "keeps term and billing",
        ),
        (
            (_upgrade(on=D(2024, 4, 20), to=PRO, quantity=4),),
            lb.QuantityError,
            "outside the limits",
        ),
        (
            (
                lb.Purchase(subscription_id="T", on=D(2024, 4, 10), sku=STD),
                _upgrade(on=D(2024, 4, 20), to=PRO, quantity=1),
            ),
            lb.IncompatibleSkuError,
            "not a live paid subscription",
        ),
        (
            (
                lb.Purchase(subscription_id="T", on=D(2024, 4, 10), sku=PRO, auto_renew=False),
                _upgrade(on=D(2024, 6, 20), to=PRO, quantity=1),
            ),
            lb.SubscriptionEndedError,
            "has ended",
        ),
    ],
)
def test_refused_operations(events: tuple[lb.Event, ...], error: type, message: str) -> None:
    """Each operation the rulebook refuses raises its own error, naming the offending value."""
    with pytest.raises(error, match=message):
        _bill(BUY, *events)


def test_flat_sku_cannot_schedule_seats() -> None:
    """A scheduled seat count on a SKU without seats is refused."""
    flat = lb.Purchase(subscription_id="F", on=D(2024, 4, 10), sku=FLAT)
    with pytest.raises(lb.QuantityError, match="no seats"):
        _bill(flat, lb.ScheduleChange(subscription_id="F", on=D(2024, 4, 20), quantity=2))


def test_billing_plan_change_outside_the_limits_is_refused() -> None:
    """A billing-plan change to a SKU whose limits exclude the seats is refused."""
    small = lb.Sku.annual(id="small", name="Small", unit_price=USD, max_quantity=2)
    bought = lb.Purchase(subscription_id="Y", on=D(2024, 4, 10), sku=YEAR, quantity=5)
    with pytest.raises(lb.QuantityError, match="outside the limits"):
        _bill(bought, lb.ChangeBillingPlan(subscription_id="Y", on=D(2024, 4, 20), to=small))


@pytest.mark.parametrize(
    ("on", "sku", "end", "trial", "message"),
    [
        (D(2024, 4, 10), STD, D(2024, 4, 30), True, "trial"),
        (D(2024, 4, 10), STD, D(2024, 4, 9), False, "within the first"),
        (D(2024, 4, 10), YEAR, D(2024, 5, 9), False, "neither"),
        (D(2024, 4, 12), STD, D(2024, 4, 29), False, "neither"),
    ],
)
def test_refused_custom_term_ends(
    on: dt.date, sku: lb.Sku, end: dt.date, trial: bool, message: str
) -> None:
    """Custom term ends the alignment page does not allow are refused: on a trial, outside the
    first term, a yearly term aligned with a monthly one (S ends on 9 May), or a monthly term
    aligned with another's 29th that is no month end."""
    other = lb.Purchase(subscription_id="M", on=D(2024, 3, 30), sku=STD)
    purchase = lb.Purchase(subscription_id="C", on=on, sku=sku, trial=trial, custom_term_end=end)
    with pytest.raises(lb.InvalidValueError, match=message):
        _bill(BUY, other, purchase)


def test_monthly_term_aligns_with_another_subscription() -> None:
    """A monthly term may end with another subscription's term end."""
    lines = _bill(
        BUY,
        lb.Purchase(subscription_id="C", on=D(2024, 4, 20), sku=STD, custom_term_end=D(2024, 5, 9)),
    )
    assert next(x.charge_end for x in lines if x.subscription_id == "C") == D(2024, 5, 9)


def test_converting_a_trial_after_its_end_is_refused() -> None:
    """A trial that has already converted at its end cannot be converted again."""
    trial = lb.Purchase(subscription_id="T", on=D(2024, 4, 10), sku=STD, trial=True)
    with pytest.raises(lb.TrialError, match="not a free trial"):
        _bill(trial, lb.ConvertTrial(subscription_id="T", on=D(2024, 5, 10)))


def test_a_later_billing_plan_change_replaces_the_pending_one() -> None:
    """Two billing-plan changes in one cycle: only the later one takes effect."""
    annual = lb.Sku.annual(id="a", name="A", unit_price=lb.Money("300", "USD"))
    other = attrs.evolve(annual, id="b", unit_price=lb.Money("360", "USD"))
    events = [
        lb.Purchase(subscription_id="Y", on=D(2024, 4, 10), sku=YEAR, quantity=1),
        lb.ChangeBillingPlan(subscription_id="Y", on=D(2024, 4, 12), to=annual),
        lb.ChangeBillingPlan(subscription_id="Y", on=D(2024, 4, 13), to=other),
    ]
    lines = lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)
    assert (lines[-1].sku_id, str(lines[-1].charge_type)) == ("b", "changeBillingPlan")
