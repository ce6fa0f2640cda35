"""Every lifecycle event of docs/lifecycle.md, under both shipped rulebooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

import licbill as lb

D = dt.date
MP, NC = lb.rulebooks.MARKETPLACE_2019, lb.rulebooks.NEW_COMMERCE
SEATS = lb.Sku.monthly(id="std", name="Standard", unit_price=lb.Money("30.00", "USD"))
PRO = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("60.00", "USD"))
YEARLY = lb.Sku.annual(
    id="yr", name="Yearly", unit_price=lb.Money("12.00", "USD"), billing=lb.Billing.MONTHLY
)


def _run(events: list[lb.Event], through: dt.date, rulebook: lb.Rulebook = NC) -> list[tuple]:
    lines = lb.charge_lines(events, through=through, rulebook=rulebook)
    return [
        (str(x.charge_type), x.order_date, x.charge_start, x.charge_end, x.quantity, x.total.amount)
        for x in lines
    ]


def test_purchase_charges_the_first_cycle() -> None:
    """A purchase is one new line for the first cycle at unit price times quantity."""
    assert _run(
        [lb.Purchase(subscription_id="S", on=D(2024, 3, 15), sku=SEATS, quantity=4)], D(2024, 3, 31)
    ) == [("new", D(2024, 3, 15), D(2024, 3, 15), D(2024, 4, 14), 4, Decimal("120.00"))]


def test_monthly_term_renews_every_month_from_the_anchor() -> None:
    """A monthly term renews on the anchor day, clamped, and returns to the 31st."""
    lines = _run([lb.Purchase(subscription_id="S", on=D(2023, 1, 31), sku=SEATS)], D(2023, 4, 30))
    assert [(t, s, e) for t, _, s, e, _, _ in lines] == [
        ("new", D(2023, 1, 31), D(2023, 2, 27)),
        ("renew", D(2023, 2, 28), D(2023, 3, 30)),
        ("renew", D(2023, 3, 31), D(2023, 4, 29)),
        ("renew", D(2023, 4, 30), D(2023, 5, 30)),
    ]


def test_annual_term_billed_monthly_has_cycle_charges_then_renews() -> None:
    """Twelve cycles of a yearly term: new, eleven cycleCharge lines, then renew."""
    lines = _run(
        [lb.Purchase(subscription_id="S", on=D(2023, 5, 1), sku=YEARLY, quantity=2)], D(2024, 5, 1)
    )
    assert [t for t, *_ in lines] == ["new"] + ["cycleCharge"] * 11 + ["renew"]
    assert {total for *_, total in lines} == {Decimal("24.00")}


def test_annual_billing_charges_the_year_at_once() -> None:
    """An annual term billed annually has one line per year."""
    sku = lb.Sku.annual(id="a", name="A", unit_price=lb.Money("100", "USD"))
    lines = _run([lb.Purchase(subscription_id="S", on=D(2021, 5, 1), sku=sku)], D(2022, 12, 31))
    assert [(t, s, e) for t, _, s, e, _, _ in lines] == [
        ("new", D(2021, 5, 1), D(2022, 4, 30)),
        ("renew", D(2022, 5, 1), D(2023, 4, 30)),
    ]


def test_three_year_term_upfront() -> None:
    """A three-year term paid up front is one line covering 25 May 2021 to 24 May 2024."""
    sku = lb.Sku(
        id="t",
        name="T",
        unit_price=lb.Money("900", "USD"),
        term=lb.Term.P3Y,
        billing=lb.Billing.UPFRONT,
    )
    assert _run([lb.Purchase(subscription_id="S", on=D(2021, 5, 25), sku=sku)], D(2024, 5, 24)) == [
        ("new", D(2021, 5, 25), D(2021, 5, 25), D(2024, 5, 24), 1, Decimal("900.00"))
    ]


def test_auto_renew_off_ends_the_subscription_at_term_end() -> None:
    """With auto-renew off the term runs out and no renew line follows."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 10), sku=SEATS),
        lb.SetAutoRenew(subscription_id="S", on=D(2024, 1, 20), enabled=False),
    ]
    assert [t for t, *_ in _run(events, D(2024, 6, 30))] == ["new"]
    with pytest.raises(lb.SubscriptionEndedError, match="auto-renew was off"):
        lb.charge_lines(
            [*events, lb.ChangeQuantity(subscription_id="S", on=D(2024, 3, 1), quantity=2)],
            through=D(2024, 6, 30),
            rulebook=NC,
        )


def test_auto_renew_can_be_switched_back_on() -> None:
    """Switching auto-renew off and on again before term end keeps the renewals."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 10), sku=SEATS, auto_renew=False),
        lb.SetAutoRenew(subscription_id="S", on=D(2024, 1, 20), enabled=True),
    ]
    assert [t for t, *_ in _run(events, D(2024, 2, 10))] == ["new", "renew"]


def test_new_commerce_trial_converts_with_a_pair_of_convert_lines() -> None:
    """New commerce turns a trial into paid with the trial's zero credit and the paid charge."""
    lines = _run(
        [lb.Purchase(subscription_id="S", on=D(2019, 6, 10), sku=SEATS, quantity=3, trial=True)],
        D(2019, 7, 10),
    )
    assert lines == [
        ("new", D(2019, 6, 10), D(2019, 6, 10), D(2019, 7, 9), 3, Decimal(0)),
        ("convert", D(2019, 7, 10), D(2019, 6, 10), D(2019, 7, 9), 3, Decimal(0)),
        ("convert", D(2019, 7, 10), D(2019, 7, 10), D(2019, 8, 9), 3, Decimal("90.00")),
    ]


def test_trial_without_auto_renew_just_ends() -> None:
    """A trial with auto-renew off ends at trial end with no paid line."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2019, 6, 10), sku=SEATS, trial=True, auto_renew=False)
    ]
    assert [t for t, *_ in _run(events, D(2019, 12, 31), MP)] == ["New"]


def test_trial_cancel_in_new_commerce_is_a_zero_cancel_immediate() -> None:
    """New commerce has no plain cancel: a trial is cancelled with a zero cancelImmediate."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2019, 6, 10), sku=SEATS, trial=True),
        lb.Cancel(subscription_id="S", on=D(2019, 6, 20)),
    ]
    assert _run(events, D(2019, 12, 31))[1] == (
        "cancelImmediate",
        D(2019, 6, 20),
        D(2019, 6, 10),
        D(2019, 7, 9),
        1,
        Decimal(0),
    )


@pytest.mark.parametrize(
    ("rulebook", "cancel_on", "expected"),
    [
        (NC, D(2024, 4, 10), ("cancelImmediate", Decimal("-60.00"))),  # same day: full
        (NC, D(2024, 4, 11), ("cancelImmediate", Decimal("-58.00"))),  # day 2: 29 of 30 days
        (NC, D(2024, 4, 16), ("cancelImmediate", Decimal("-48.00"))),  # day 7: 24 of 30 days
        (NC, D(2024, 4, 17), None),  # outside 7 days: no refund
        (MP, D(2024, 4, 12), ("CancelImmediate", Decimal("-60.00"))),  # within 72 h: full
        (MP, D(2024, 4, 13), None),  # after 72 h: no refund
    ],
)
def test_refund_windows(
    rulebook: lb.Rulebook, cancel_on: dt.date, expected: tuple[str, Decimal] | None
) -> None:
    """Cancels refund fully, prorated or not at all, by the rulebook's windows."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.Cancel(subscription_id="S", on=cancel_on),
    ]
    lines = _run(events, D(2024, 4, 30), rulebook)
    assert [(t, total) for t, *_, total in lines[1:]] == ([expected] if expected else [])


def test_cancel_after_the_window_runs_out_the_term() -> None:
    """A late cancel of a yearly term keeps charging its cycles, then ends without renewal."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2023, 5, 1), sku=YEARLY),
        lb.Cancel(subscription_id="S", on=D(2023, 6, 15)),
    ]
    lines = _run(events, D(2024, 12, 31))
    assert [t for t, *_ in lines] == ["new"] + ["cycleCharge"] * 11
    with pytest.raises(lb.SubscriptionEndedError, match="cannot be changed or reactivated"):
        lb.charge_lines(
            [*events, lb.SetAutoRenew(subscription_id="S", on=D(2023, 7, 1), enabled=True)],
            through=D(2024, 1, 1),
            rulebook=NC,
        )


def test_full_refund_returns_what_the_cycle_charged_including_seat_changes() -> None:
    """Within 72 hours, a cancel refunds everything the cycle charged, seat changes included."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 11), quantity=5),
        lb.Cancel(subscription_id="S", on=D(2024, 4, 12)),
    ]
    lines = lb.charge_lines(events, through=D(2024, 6, 30), rulebook=MP)
    assert sum((x.total for x in lines), lb.Money.zero("USD")) == lb.Money.zero("USD")
    assert str(lines[-1].charge_type) == "CancelImmediate"


def test_seat_change_is_a_credit_and_a_charge_to_cycle_end() -> None:
    """Adding seats credits the old quantity and charges the new one to the cycle end."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 25), quantity=5),
    ]
    assert _run(events, D(2024, 4, 30))[1:] == [
        ("addQuantity", D(2024, 4, 25), D(2024, 4, 25), D(2024, 5, 9), 2, Decimal("-30.00")),
        ("addQuantity", D(2024, 4, 25), D(2024, 4, 25), D(2024, 5, 9), 5, Decimal("75.00")),
    ]


def test_removing_seats_is_remove_quantity_and_later_cycles_use_the_new_quantity() -> None:
    """Removing seats gives removeQuantity lines, and the next renewal bills the new quantity."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 17), quantity=1),
    ]
    lines = _run(events, D(2024, 5, 10))
    assert [t for t, *_ in lines] == ["new", "removeQuantity", "removeQuantity", "renew"]
    assert lines[-1][4:] == (1, Decimal("30.00"))


def test_conversion_credits_the_old_sku_and_charges_the_new_one() -> None:
    """A plan change credits the old SKU's unused days and charges the new SKU for them."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ConvertSku(subscription_id="S", on=D(2024, 4, 25), to=PRO),
    ]
    lines = lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)
    assert [(x.sku_id, str(x.charge_type), x.total.amount, x.description) for x in lines] == [
        ("std", "new", Decimal("60.00"), "Paid subscription"),
        ("std", "convert", Decimal("-30.00"), "Prorated rebill for paid subscription"),
        ("pro", "convert", Decimal("60.00"), "Paid subscription"),
        ("pro", "renew", Decimal("120.00"), "Paid subscription"),
    ]


def test_rulebook_variants_derive_with_evolve() -> None:
    """A derived rulebook changes only what it names: here the rounding policy."""
    per_line = attrs.evolve(NC, rounding=lb.Rounding.PER_LINE_DOWN)
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 31), sku=YEARLY, quantity=10),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 2, 10), quantity=12),
    ]
    per_unit_lines = lb.charge_lines(events, through=D(2024, 2, 10), rulebook=NC)
    per_line_lines = lb.charge_lines(events, through=D(2024, 2, 10), rulebook=per_line)
    assert [x.total.amount for x in per_unit_lines[1:]] == [Decimal("-78.60"), Decimal("94.32")]
    assert [x.total.amount for x in per_line_lines[1:]] == [Decimal("-78.62"), Decimal("94.34")]
    assert per_line.spellings == NC.spellings


def test_same_day_events_of_other_subscriptions_do_not_change_order() -> None:
    """Lines are ordered by date then subscription id, whatever the input interleaving."""
    a = [
        lb.Purchase(subscription_id="B", on=D(2024, 1, 1), sku=SEATS),
        lb.Purchase(subscription_id="A", on=D(2024, 1, 1), sku=SEATS),
    ]
    lines = lb.charge_lines(a, through=D(2024, 1, 1), rulebook=NC)
    assert [x.subscription_id for x in lines] == ["A", "B"]
    assert lines == lb.charge_lines(a[::-1], through=D(2024, 1, 1), rulebook=NC)


def test_events_after_through_wait_for_a_later_run() -> None:
    """Events dated after ``through`` are not billed yet; a later run bills them."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=SEATS),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 1, 20), quantity=2),
    ]
    early = lb.charge_lines(events, through=D(2024, 1, 10), rulebook=NC)
    late = lb.charge_lines(events, through=D(2024, 1, 31), rulebook=NC)
    assert len(early) == 1
    assert late[:1] == early
    assert len(late) == 3


def test_lazy_iterator_gives_the_same_lines() -> None:
    """iter_charge_lines over date-ordered events yields what charge_lines returns."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=SEATS),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 1, 20), quantity=2),
    ]
    lazy = lb.iter_charge_lines(events, through=D(2024, 3, 1), rulebook=NC)
    assert tuple(lazy) == lb.charge_lines(events, through=D(2024, 3, 1), rulebook=NC)


def test_lines_are_immutable() -> None:
    """A charge line cannot be edited."""
    line = lb.charge_lines(
        [lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=SEATS)],
        through=D(2024, 1, 1),
        rulebook=NC,
    )[0]
    with pytest.raises(AttributeError):
        line.quantity = 3  # type: ignore[misc]
    assert line.charge_type.kind is lb.ChargeType.NEW
    assert line.currency == "USD"


def test_many_renewals_on_one_day_stream_in_batches() -> None:
    """A day with more renewals than one batch still yields every line, in id order."""
    events = [
        lb.Purchase(subscription_id=f"S{n:04d}", on=D(2024, 1, 1), sku=SEATS) for n in range(700)
    ]
    lazy = list(lb.iter_charge_lines(events, through=D(2024, 2, 1), rulebook=NC))
    assert len(lazy) == 1400
    assert [x.subscription_id for x in lazy[700:]] == sorted(f"S{n:04d}" for n in range(700))


# New-commerce operations (docs/lifecycle.md) ------------------------------------------------

MP_BUG = lb.Sku.monthly(id="bs", name="BS", unit_price=lb.Money("10.08", "EUR"))


def test_full_refund_reverses_each_line_of_the_cycle() -> None:
    """Issue 8 bug: 12 seats on 18 Jun, 2 seats on 19 Jun, cancel on 20 Jun reverses each of
    the three lines with its own SKU, quantity and period, so the cycle nets to zero."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2019, 6, 18), sku=MP_BUG, quantity=12),
        lb.ChangeQuantity(subscription_id="S", on=D(2019, 6, 19), quantity=2),
        lb.Cancel(subscription_id="S", on=D(2019, 6, 20)),
    ]
    lines = lb.charge_lines(events, through=D(2019, 6, 30), rulebook=MP)
    refund = lines[3:]
    assert [(x.quantity, x.total.amount, x.reverses) for x in refund] == [
        (2, -lines[2].total.amount, lines[2].reference_id),
        (12, -lines[1].total.amount, lines[1].reference_id),
        (12, Decimal("-120.96"), lines[0].reference_id),
    ]
    assert sum(x.total.amount for x in lines) == 0
    assert all(
        abs(x.total.amount) <= abs(x.effective_unit_price.amount) * x.quantity for x in lines
    )


def test_full_refund_names_the_cancel_as_its_reference() -> None:
    """Reversal lines carry the cancel's own reference id and are cancelImmediate lines."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.Cancel(subscription_id="S", on=D(2024, 4, 10), event_id="c1"),
    ]
    refund = lb.charge_lines(events, through=D(2024, 4, 30), rulebook=NC)[1]
    assert (str(refund.charge_type), refund.reference_id, refund.reverses) == (
        "cancelImmediate",
        "c1",
        "S-0001",
    )


def test_new_commerce_credits_show_a_negative_effective_unit_price() -> None:
    """Under new commerce a credit line's effective unit price is negative, like its total."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 25), quantity=3),
    ]
    credit = _lines(events, NC)[1]
    assert credit.effective_unit_price.amount < 0 < -credit.total.amount


def test_marketplace_credits_keep_a_positive_effective_unit_price() -> None:
    """The 2019 marketplace rulebook keeps its credit lines' effective unit price positive."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 25), quantity=3),
    ]
    assert _lines(events, MP)[1].effective_unit_price.amount > 0


def _lines(events: list[lb.Event], rulebook: lb.Rulebook) -> lb.ChargeLines:
    return lb.charge_lines(events, through=D(2024, 4, 30), rulebook=rulebook)


def test_reduction_after_the_window_is_refused_with_its_closing_day() -> None:
    """Seats added more than 7 days before a reduction cannot be removed; the error says when
    the window closed."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 18), quantity=4),
    ]
    with pytest.raises(lb.QuantityError, match="until 2024-04-17"):
        _lines(events, NC)


def test_reduction_on_the_seventh_day_is_allowed() -> None:
    """A seat added seven days before the reduction is still inside the window."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 17), quantity=4),
    ]
    assert [x.quantity for x in _lines(events, NC)[1:]] == [5, 4]


def test_reduction_takes_the_newest_seats_first() -> None:
    """Seats added mid-term can be removed within their own window, while older ones cannot."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 1), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 20), quantity=8),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 25), quantity=5),
    ]
    assert _lines(events, NC)[-1].quantity == 5
    with pytest.raises(lb.QuantityError, match="added on 2024-04-01"):
        _lines(
            [*events[:2], lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 25), quantity=4)], NC
        )


def test_renewal_reopens_the_reduction_window() -> None:
    """A renewal adds every seat afresh, so a reduction in its first week is allowed."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 3, 10), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 12), quantity=2),
    ]
    assert _lines(events, NC)[-1].quantity == 2


def test_marketplace_has_no_reduction_window() -> None:
    """The 2019 marketplace rulebook lets seats go at any time."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 1), sku=SEATS, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 28), quantity=1),
    ]
    assert _lines(events, MP)[-1].quantity == 1


def test_annual_full_refund_window() -> None:
    """A subscription billed annually gets the annual full-refund window (14 days here)."""
    isv = attrs.evolve(NC, full_refund_days=1, annual_full_refund_days=14, prorated_refund_days=0)
    yearly = lb.Sku.annual(id="y", name="Y", unit_price=lb.Money("120", "USD"))
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 1), sku=yearly),
        lb.Cancel(subscription_id="S", on=D(2024, 4, 14)),
    ]
    assert _lines(events, isv)[-1].total.amount == Decimal("-120.00")
    monthly = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 1), sku=SEATS),
        lb.Cancel(subscription_id="S", on=D(2024, 4, 2)),
    ]
    assert len(_lines(monthly, isv)) == 1


def test_scheduled_change_bills_at_renewal_only() -> None:
    """A scheduled change writes no line now; the renewal carries the new seats and SKU."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), quantity=2, to=PRO),
    ]
    lines = lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)
    assert [(x.sku_id, x.quantity, str(x.charge_type)) for x in lines] == [
        ("std", 5, "new"),
        ("pro", 2, "renew"),
    ]


def test_later_scheduled_change_replaces_the_pending_one() -> None:
    """Of two scheduled changes the later one wins."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), quantity=2),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 21), quantity=3),
    ]
    assert lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)[-1].quantity == 3


def test_mid_term_upgrade_clears_a_scheduled_change() -> None:
    """An upgrade during the term drops the scheduled change."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), quantity=2),
        lb.ConvertSku(subscription_id="S", on=D(2024, 4, 25), to=PRO),
    ]
    assert lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)[-1].quantity == 5


def test_scheduled_change_outside_the_limits_is_refused() -> None:
    """A scheduled quantity the target SKU does not allow is refused when scheduled."""
    small = lb.Sku.monthly(id="s", name="S", unit_price=lb.Money("1", "USD"), max_quantity=3)
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 20), to=small),
    ]
    with pytest.raises(lb.QuantityError, match="outside the limits"):
        _lines(events, NC)


def test_trial_converts_on_its_last_day() -> None:
    """A trial can be converted on its last day; the paid term starts that day."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 3, 1), sku=SEATS, trial=True),
        lb.ConvertTrial(subscription_id="S", on=D(2024, 3, 31)),
    ]
    lines = _lines(events, NC)
    assert [(str(x.charge_type), x.charge_start, x.charge_end) for x in lines[1:]] == [
        ("convert", D(2024, 3, 1), D(2024, 3, 31)),
        ("convert", D(2024, 3, 31), D(2024, 4, 29)),
        ("renew", D(2024, 4, 30), D(2024, 5, 30)),
    ]


def test_converting_a_paid_subscription_as_a_trial_is_refused() -> None:
    """ConvertTrial on a subscription that is not (or no longer) a trial is refused."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 3, 1), sku=SEATS),
        lb.ConvertTrial(subscription_id="S", on=D(2024, 3, 5)),
    ]
    with pytest.raises(lb.TrialError, match="not a free trial"):
        _lines(events, NC)


def test_upgrade_to_a_longer_term_starts_a_new_term() -> None:
    """An upgrade from a monthly term to a yearly one credits the month and starts the new term
    on the upgrade day."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ConvertSku(subscription_id="S", on=D(2024, 4, 25), to=YEARLY),
    ]
    lines = _lines(events, NC)
    assert [(x.sku_id, x.charge_start, x.charge_end, x.subscription_end) for x in lines[1:]] == [
        ("std", D(2024, 4, 25), D(2024, 5, 9), D(2024, 5, 9)),
        ("yr", D(2024, 4, 25), D(2024, 5, 24), D(2025, 4, 24)),
    ]


def test_upgrade_to_a_shorter_term_is_refused() -> None:
    """An upgrade may not shorten the term."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=YEARLY, quantity=2),
        lb.ConvertSku(subscription_id="S", on=D(2024, 4, 25), to=PRO),
    ]
    with pytest.raises(lb.IncompatibleSkuError, match="cannot shorten the term"):
        _lines(events, NC)


def test_partial_upgrade_moves_seats_into_an_existing_subscription() -> None:
    """When the target subscription exists on the target SKU, seats move with moveQuantity
    lines: a credit on the source and a charge on the target."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.Purchase(subscription_id="T", on=D(2024, 4, 10), sku=PRO, quantity=1),
        lb.ConvertSku(
            subscription_id="S", on=D(2024, 4, 25), to=PRO, quantity=2, target_subscription_id="T"
        ),
    ]
    lines = _lines(events, NC)[2:]
    assert [(x.subscription_id, str(x.charge_type), x.quantity, x.total.amount) for x in lines] == [
        ("S", "moveQuantity", 2, Decimal("-30.00")),
        ("T", "moveQuantity", 2, Decimal("60.00")),
    ]


def test_partial_upgrade_must_leave_seats_behind() -> None:
    """A partial upgrade of every seat is refused (that is a full upgrade)."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=2),
        lb.ConvertSku(
            subscription_id="S", on=D(2024, 4, 25), to=PRO, quantity=2, target_subscription_id="T"
        ),
    ]
    with pytest.raises(lb.QuantityError, match="must leave"):
        _lines(events, NC)


def test_renewal_bills_the_catalogue_price_of_the_renewal_day() -> None:
    """A price change reaches a subscription at its next renewal; the running term keeps its
    price, seat changes included."""
    dear = attrs.evolve(
        YEARLY,
        price_changes=(lb.PriceChange(on=D(2024, 6, 1), unit_price=lb.Money("15.00", "USD")),),
    )
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 10), sku=dear, quantity=1),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 7, 10), quantity=2),
    ]
    lines = lb.charge_lines(events, through=D(2025, 1, 10), rulebook=NC)
    assert {x.unit_price.amount for x in lines[:-1]} == {Decimal("12.00")}
    assert (str(lines[-1].charge_type), lines[-1].unit_price.amount) == ("renew", Decimal("15.00"))


def test_custom_term_end_prorates_the_first_term_by_days() -> None:
    """A first term ending on 30 June 2023 costs 351 of the 365 days of a standard year."""
    yearly = lb.Sku.annual(id="a", name="A", unit_price=lb.Money("365.00", "USD"))
    events = [
        lb.Purchase(
            subscription_id="S", on=D(2022, 7, 15), sku=yearly, custom_term_end=D(2023, 6, 30)
        )
    ]
    first = lb.charge_lines(events, through=D(2022, 7, 31), rulebook=NC)[0]
    assert (first.charge_end, first.total.amount) == (D(2023, 6, 30), Decimal("351.00"))


def test_custom_term_end_that_aligns_with_nothing_is_refused() -> None:
    """An end date that is neither a calendar-month end of the term nor another subscription's
    term end is refused."""
    events = [
        lb.Purchase(
            subscription_id="S", on=D(2024, 4, 10), sku=SEATS, custom_term_end=D(2024, 4, 20)
        )
    ]
    with pytest.raises(lb.InvalidValueError, match="neither the calendar-month end"):
        _lines(events, NC)


def test_billing_plan_change_to_the_same_billing_is_refused() -> None:
    """A billing-plan change must change the billing frequency, within the same term."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=YEARLY),
        lb.ChangeBillingPlan(subscription_id="S", on=D(2024, 4, 20), to=YEARLY),
    ]
    with pytest.raises(lb.IncompatibleSkuError, match="keeps the term"):
        _lines(events, NC)


def test_quantity_change_clears_a_scheduled_change() -> None:
    """A mid-term quantity change deletes the scheduled change (P2)."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 12), quantity=2, to=PRO),
        lb.ChangeQuantity(subscription_id="S", on=D(2024, 4, 14), quantity=6),
    ]
    last = lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)[-1]
    assert (last.sku_id, last.quantity) == ("std", 6)


def test_scheduled_change_needs_auto_renew() -> None:
    """With auto-renew off a change at renewal is refused (P2)."""
    events = [
        lb.Purchase(
            subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5, auto_renew=False
        ),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 12), quantity=2),
    ]
    with pytest.raises(lb.EventError, match="auto-renew off"):
        lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)


def test_turning_auto_renew_off_clears_a_scheduled_change() -> None:
    """Auto-renew off, then on again: the scheduled change is gone."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2024, 4, 10), sku=SEATS, quantity=5),
        lb.ScheduleChange(subscription_id="S", on=D(2024, 4, 12), quantity=2),
        lb.SetAutoRenew(subscription_id="S", on=D(2024, 4, 13), enabled=False),
        lb.SetAutoRenew(subscription_id="S", on=D(2024, 4, 14), enabled=True),
    ]
    assert lb.charge_lines(events, through=D(2024, 5, 10), rulebook=NC)[-1].quantity == 5


def _upgrade_into_a_target_renewing_that_day() -> list[lb.Event]:
    """S (3 seats, bought 10 Jan) moves a seat into a new T on 20 Jan and another into T on
    10 Feb, the day both renew."""
    basic = lb.Sku.monthly(id="basic", name="Basic", unit_price=lb.Money("10.00", "USD"))
    pro = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("30.00", "USD"))
    return [
        lb.Purchase(subscription_id="S", on=D(2024, 1, 10), sku=basic, quantity=3),
        lb.ConvertSku(subscription_id="S", on=D(2024, 1, 20), to=pro, quantity=1,
                      target_subscription_id="T"),
        lb.ConvertSku(subscription_id="S", on=D(2024, 2, 10), to=pro, quantity=1,
                      target_subscription_id="T"),
    ]  # fmt: skip


def test_seats_moved_on_the_targets_renewal_day_join_its_new_cycle() -> None:
    """A partial upgrade into an existing target on the day both renew moves the seats into the
    target's new cycle (its renewal comes first), for the whole cycle's days."""
    events = _upgrade_into_a_target_renewing_that_day()
    lines = lb.charge_lines(events, through=D(2024, 2, 10), rulebook=NC)
    moved = [(x.subscription_id, x.charge_start, x.charge_end, x.quantity, x.total.amount)
             for x in lines if str(x.charge_type) == "moveQuantity"]  # fmt: skip
    assert moved == [
        ("S", D(2024, 2, 10), D(2024, 3, 9), 1, Decimal("-10.00")),
        ("T", D(2024, 2, 10), D(2024, 3, 9), 1, Decimal("30.00")),
    ]
    renewals = [x for x in lines if x.subscription_id == "T" and str(x.charge_type) == "renew"]
    assert [(x.order_date, x.quantity) for x in renewals] == [(D(2024, 2, 10), 1)]


def test_a_run_with_a_target_renewed_in_its_sources_turn_merges_back_unchanged() -> None:
    """merge_charge_lines accepts a run whose partial upgrade crossed its target's renewal in the
    source's turn, and gives that run back line for line."""
    events = _upgrade_into_a_target_renewing_that_day()
    lines = lb.charge_lines(events, through=D(2024, 3, 10), rulebook=NC)
    assert lb.merge_charge_lines(lines) == lines


def test_a_whole_cycle_change_shows_each_price_as_its_sku_writes_it() -> None:
    """Equal prices written alike or not ("12.5", "12.50") keep their own form on every line."""
    short = lb.Sku.annual(
        id="short", name="Short", unit_price=lb.Money("12.5", "USD"), billing=lb.Billing.MONTHLY
    )
    padded = attrs.evolve(short, id="padded", unit_price=lb.Money("12.50", "USD"))
    events = [
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=short, quantity=2),
        lb.Purchase(subscription_id="S2", on=D(2024, 1, 1), sku=padded, quantity=2),
        # On the first day of a cycle: the change's lines are priced for the whole cycle.
        lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 1), quantity=3),
        lb.ChangeQuantity(subscription_id="S2", on=D(2024, 2, 1), quantity=3),
    ]
    lines = lb.charge_lines(events, through=D(2024, 2, 1), rulebook=NC)
    shown = [(line.subscription_id, str(line.effective_unit_price)) for line in lines]
    assert shown == [
        ("S1", "12.5 USD"),
        ("S2", "12.50 USD"),
        ("S1", "12.5 USD"),
        ("S1", "-12.5 USD"),
        ("S1", "12.5 USD"),
        ("S2", "12.50 USD"),
        ("S2", "-12.50 USD"),
        ("S2", "12.50 USD"),
    ]
    assert [line.total for line in lines][-3:] == [
        lb.Money("25.00", "USD"),
        lb.Money("-25.00", "USD"),
        lb.Money("37.50", "USD"),
    ]
