"""Invariants of the charge engine (docs/guarantees.md), over the shipped strategies.

Each test compares the engine's lines with an oracle written here from the rulebook: the
exact value of the seats a subscription held, over the days it held them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories, monies

THROUGH = dt.date(2027, 12, 31)
ONE_DAY = dt.timedelta(days=1)
#: The refund windows, written out per rulebook (docs/lifecycle.md), not read from the rulebook
#: under test: a cancel fewer than *full* days after the term started is refunded in full, one
#: fewer than *prorated* days after it from the cancel date on, later ones not at all.
REFUND_WINDOWS = {"marketplace-2019": (3, 0), "new-commerce": (1, 7)}

RULEBOOKS = st.sampled_from([lb.rulebooks.MARKETPLACE_2019, lb.rulebooks.NEW_COMMERCE]).flatmap(
    lambda book: st.sampled_from(lb.Rounding).map(lambda r: attrs.evolve(book, rounding=r))
)


def exact_value(events: list[lb.Event], rulebook: lb.Rulebook, through: dt.date) -> Fraction:
    """What one subscription's seats were worth: price x seats x days held / cycle days,
    summed over every cycle that started by *through*; a fully refunded cycle is worth 0, and
    a custom-meter cycle is worth the full price of the SKU it ends on (docs/lifecycle.md,
    custom-meter plans).

    The price is the catalogue price on the term's first day (a trial's first paid day, or an
    upgrade's day); a
    scheduled change takes effect at the next term; a trial converted early starts its paid
    term that day; a custom first term ends on its date, its days priced at the standard
    cycle's daily rate (docs/operations.md)."""
    purchase, rest = events[0], [e for e in events[1:] if e.on <= through]
    assert isinstance(purchase, lb.Purchase)
    sku, quantity, anchor, auto = purchase.sku, purchase.quantity, purchase.on, purchase.auto_renew
    months, term = sku.cycle_months, sku.term.months
    offset = rulebook.trial_months if purchase.trial else 0
    base = offset
    priced_on = purchase.on  # a paid term takes the catalogue price of its first day
    if purchase.trial:
        early = next((e for e in rest if isinstance(e, lb.ConvertTrial)), None)
        paid_from = lb.add_months(anchor, offset) if early is None else early.on
        priced_on = paid_from
        during = [e for e in rest if e.on < paid_from or e is early]
        if any(isinstance(e, lb.Cancel) for e in during):
            return Fraction(0)
        for event in during:
            if isinstance(event, lb.SetAutoRenew):
                auto = event.enabled
        if not auto or paid_from > through:
            return Fraction(0)
        rest = rest[len(during) :]
        if early is not None:
            anchor, offset, base = early.on, 0, 0
    elif purchase.custom_term_end is not None:
        anchor = purchase.custom_term_end + ONE_DAY
        while lb.add_months(anchor, offset - months) > purchase.on:
            offset -= months
    total, k, i, cancelled = Fraction(0), 0, 0, False
    price, pending = sku.price_on(priced_on), None
    first = True
    while (start := lb.add_months(anchor, offset + k * months)) <= through or first:
        m = offset + k * months
        end = lb.add_months(anchor, m + months) - ONE_DAY
        term_start = max(lb.add_months(anchor, base + (m - base) // term * term), purchase.on)
        rate_days = (end - start).days + 1
        if first:
            start = purchase.on if offset < 0 or purchase.custom_term_end else start
            if purchase.custom_term_end is not None:
                end = lb.add_months(anchor, offset) - ONE_DAY if offset < 0 else end
                end = min(end, purchase.custom_term_end)
                term_start = purchase.on
                rate_days = (lb.add_months(start, months) - start).days
                k -= 1
            first = False
        elif start == term_start:
            if pending is not None:
                seats, later = pending
                quantity, sku, pending = seats or quantity, later or sku, None
            price = sku.price_on(start)
        if start > through:
            break
        value, since, ended = Fraction(0), start, False
        while i < len(rest) and rest[i].on <= end and not ended:
            event = rest[i]
            i += 1
            held = Fraction(price.amount) * quantity * (event.on - since).days
            if isinstance(event, lb.ChangeQuantity | lb.ConvertSku):
                value, since = value + held, event.on
                if isinstance(event, lb.ChangeQuantity):
                    quantity, pending = event.quantity, None
                else:
                    sku, price, pending = event.to, event.to.price_on(event.on), None
            elif isinstance(event, lb.ScheduleChange):
                pending = (event.quantity, event.to)
            elif isinstance(event, lb.SetAutoRenew):
                auto = event.enabled
                pending = pending if auto else None
            elif isinstance(event, lb.Cancel):
                days_in = (event.on - term_start).days
                full, prorated = REFUND_WINDOWS[rulebook.name]
                if days_in < full:
                    value, ended = Fraction(0), True
                elif days_in < prorated:
                    value, ended = value + held, True
                    if sku.kind is lb.SkuKind.CUSTOM_METER:
                        value = Fraction(0)
                else:
                    cancelled = True
        if not ended:
            value += Fraction(price.amount) * quantity * ((end - since).days + 1)
            if sku.kind is lb.SkuKind.CUSTOM_METER:
                value = Fraction(price.amount) * rate_days
        total += value / rate_days
        term_ends = (end + ONE_DAY) == lb.add_months(anchor, base + ((m - base) // term + 1) * term)
        if purchase.custom_term_end is not None and end == purchase.custom_term_end:
            term_ends = True
        if ended or (term_ends and (cancelled or not auto)):
            break
        k += 1
    return total


def _by_subscription(events: tuple[lb.Event, ...]) -> dict[str, list[lb.Event]]:
    grouped: dict[str, list[lb.Event]] = defaultdict(list)
    for event in events:
        grouped[event.subscription_id].append(event)
    return grouped


@settings(max_examples=300)
@given(events=event_histories(), rulebook=RULEBOOKS)
def test_conservation(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> None:
    """The net of a subscription's lines is the exact value of the seats it held, within the
    policy's bound summed over its lines (streams without partial upgrades and billing-plan
    changes: the oracle does not follow seats into another subscription or a short cycle)."""
    assume(
        not any(
            isinstance(e, lb.ChangeBillingPlan)
            or (isinstance(e, lb.ConvertSku) and e.target_subscription_id)
            for e in events
        )
    )
    lines = lb.charge_lines(events, through=THROUGH, rulebook=rulebook)
    for sub_id, sub_events in _by_subscription(events).items():
        sub_lines = [x for x in lines if x.subscription_id == sub_id]
        net = sum((Fraction(x.total.amount) for x in sub_lines), Fraction(0))
        exact = exact_value(sub_events, rulebook, THROUGH)
        scale = 10 ** lb.Money.zero(sub_events[0].sku.unit_price.currency).minor_units  # type: ignore[union-attr]
        bound = sum(rulebook.rounding.bound(x.quantity) for x in sub_lines)
        assert abs(net - exact) * scale <= bound, (net, exact, bound)


@settings(max_examples=200)
@given(
    price=monies(currencies=st.sampled_from(["USD", "JPY", "BHD"]), max_value=300, extra_places=2),
    start=st.integers(1, 40),
    detour=st.lists(st.integers(1, 40), min_size=1, max_size=5),
    offset=st.integers(0, 27),
    rulebook=RULEBOOKS,
)
def test_seat_changes_that_come_back_cost_nothing(
    price: lb.Money, start: int, detour: list[int], offset: int, rulebook: lb.Rulebook
) -> None:
    """Changing seats and coming back to where it started, on one day, costs what no change
    costs, within the bound of the change lines (without a reduction window, which would
    refuse the reductions of a late day)."""
    rulebook = attrs.evolve(rulebook, reduction_window_days=None)
    sku = lb.Sku.monthly(id="s", name="S", unit_price=price)
    quantities = []
    for q in [*detour, start]:
        if q != (quantities[-1] if quantities else start):
            quantities.append(q)
    anchor = dt.date(2024, 1, 31)
    day = anchor + dt.timedelta(days=offset)
    changes = [lb.ChangeQuantity(subscription_id="S", on=day, quantity=q) for q in quantities]
    still = lb.charge_lines(
        [lb.Purchase(subscription_id="S", on=anchor, sku=sku, quantity=start)],
        through=anchor,
        rulebook=rulebook,
    )
    moved = lb.charge_lines(
        [lb.Purchase(subscription_id="S", on=anchor, sku=sku, quantity=start), *changes],
        through=day,
        rulebook=rulebook,
    )
    difference = sum((x.total for x in moved), lb.Money.zero(price.currency)) - still[0].total
    bound = sum(rulebook.rounding.bound(x.quantity) for x in moved[1:])
    assert abs(difference.amount) * 10**price.minor_units <= bound


@given(events=event_histories(), rulebook=RULEBOOKS)
def test_nothing_is_charged_after_a_cancellation(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook
) -> None:
    """After a cancel, a subscription gets no line but its refund and, when cancelled outside
    the windows, the cycle charges of its running term."""
    lines = lb.charge_lines(events, through=THROUGH, rulebook=rulebook)
    for sub_id, sub_events in _by_subscription(events).items():
        cancel = next((e for e in sub_events if isinstance(e, lb.Cancel)), None)
        if cancel is None or cancel.on > THROUGH:
            continue
        after = [x for x in lines if x.subscription_id == sub_id and x.order_date > cancel.on]
        assert all(x.charge_type.kind is lb.ChargeType.CYCLE_CHARGE for x in after)
        assert all(x.subscription_end == after[0].subscription_end for x in after)
