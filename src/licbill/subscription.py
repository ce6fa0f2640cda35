"""One subscription as a billing run holds it: its cycle and term, seats and references.

:class:`LiveSubscription` is the engine's mutable working state (docs/lifecycle.md, dates from
the anchor as docs/dates.md states); :class:`SubscriptionState` is the same subscription as plain
values between two runs (docs/state.md). The seat-batch rule (a reduction removes the newest
seats first, docs/operations.md) is :func:`take_newest_seats`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from ._calendar import add_months, inclusive_days, period_end
from ._memo import Memo
from .errors import InvalidTypeError, InvalidValueError, OutOfCalendarError
from .lines import ChargeLine
from .models import Event, Purchase, Sku
from .money import Money
from .periods import check_date

__all__ = ["LiveSubscription", "SubscriptionState", "is_generated_reference", "take_newest_seats"]

#: The form of generated reference ids (``S1-0003``), reserved: given event ids may not take it.
_GENERATED_ID = re.compile(r"-[0-9]{4,}\Z")


def is_generated_reference(reference_id: str) -> bool:
    """Whether *reference_id* has the form of the ids :meth:`LiveSubscription.reference`
    generates (a hyphen and four or more digits at the end)."""
    return _GENERATED_ID.search(reference_id) is not None


_ONE_DAY = dt.timedelta(days=1)
#: The endings of generated references 1..999: a hyphen and the number in four digits.
_FOUR_DIGITS = tuple(f"-{n:04}" for n in range(1000))


def take_newest_seats(batches: list[list[Any]], seats: int) -> list[tuple[dt.date, int]]:
    """Take *seats* from seat *batches* (``[day added, seats]``, oldest first), newest first,
    in place; return the (day added, seats) taken. The one statement of the rule that a seat
    reduction removes the most recently added seats (docs/operations.md); the audit uses it
    to read a received file's batches."""
    taken = []
    while seats > 0 and batches:
        day, count = batches[-1]
        used = min(count, seats)
        taken.append((day, used))
        seats -= used
        if used == count:
            batches.pop()
        else:
            batches[-1][1] = count - used
    return taken


def _price_on(sku: Sku, day: dt.date) -> Money:
    # The catalogue price in force on *day*; a SKU without price changes has one.
    return sku.price_on(day) if sku.price_changes else sku.unit_price


def _state_error(what: str) -> InvalidValueError:
    return InvalidValueError(f"not a consistent subscription state: {what}")


def _a(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        raise InvalidTypeError(f"{what} must be a {getattr(kind, '__name__', kind)}, not {value!r}")


@attrs.frozen(kw_only=True)
class SubscriptionState:
    """One live subscription between two runs, as plain values (docs/state.md).

    What the engine keeps of a subscription: its SKU and the unit price locked for the term,
    seats and the days their batches were added (for the reduction window), the cycle and term
    it is in (counted in months from ``anchor``, so every later boundary is computed as in one
    run), ``share`` (the part of the unit price a short cycle costs), a scheduled change and a
    pending billing-plan change, the count of references generated, and the lines of the
    current cycle (what a full refund reverses). Made by :func:`continue_charge_lines`; read
    back from JSON by ``BillingState.from_json``.
    """

    subscription_id: str
    customer_id: str | None = None
    sku: Sku
    price: Money
    quantity: int
    auto_renew: bool
    cancelled: bool = False
    trial: bool = False
    started: dt.date
    anchor: dt.date
    cycle_start: dt.date
    cycle_end: dt.date
    next_months: int
    term_start: dt.date
    term_end: dt.date
    term_end_months: int
    share: tuple[int, int] = (1, 1)
    references: int
    batches: tuple[tuple[dt.date, int], ...]
    pending_quantity: int | None = None
    pending_sku: Sku | None = None
    pending_plan: Sku | None = None
    cycle_lines: tuple[ChargeLine, ...] = ()

    def __attrs_post_init__(self) -> None:
        name = f"subscription state {self.subscription_id!r}"
        _a(self.subscription_id, str, "subscription_id")
        _a(self.customer_id, (str, type(None)), f"{name}: customer_id")
        for what in ("sku", "pending_sku", "pending_plan"):
            value = getattr(self, what)
            if value is not None or what == "sku":
                _a(value, Sku, f"{name}: {what}")
        _a(self.price, Money, f"{name}: price")
        for what in ("quantity", "next_months", "term_end_months", "references"):
            _a(getattr(self, what), int, f"{name}: {what}")
        for what in ("auto_renew", "cancelled", "trial"):
            _a(getattr(self, what), bool, f"{name}: {what}")
        for what in ("started", "anchor", "cycle_start", "cycle_end", "term_start", "term_end"):
            check_date(getattr(self, what), f"{name}: {what}")
        if self.price.currency != self.sku.unit_price.currency:
            raise _state_error(f"{name}: price {self.price} is not in the SKU's currency")
        if not (self.cycle_start <= self.cycle_end and self.term_start <= self.term_end):
            raise _state_error(f"{name}: a cycle or term ends before it starts")
        num, den = self.share
        if not (type(num) is int and type(den) is int and 0 < num <= den):
            raise _state_error(f"{name}: share {self.share!r} is not a part of a cycle")
        if not all(isinstance(line, ChargeLine) for line in self.cycle_lines):
            raise InvalidTypeError(f"{name}: cycle_lines must be licbill.ChargeLine values")
        if sum(seats for _, seats in self.batches) != self.quantity:
            raise _state_error(f"{name}: the seat batches do not add up to {self.quantity}")


class LiveSubscription:
    """The mutable state of one subscription inside a single run; never leaves the engine
    (its plain-value twin, :class:`SubscriptionState`, is what a run hands on).

    Cycles are counted in months from ``anchor``: the current cycle ends ``next_months`` months
    after it and the current term ``term_end_months`` months after it, so every boundary is
    computed from the anchor, never from the cycle before (``docs/dates.md``). A cycle may be
    shorter than the SKU's cycle (a custom first term, the rest of a term after a billing-plan
    change); ``share`` is then the fraction of the unit price it costs.
    """

    __slots__ = (
        "anchor",
        "auto_renew",
        "batches",
        "cancelled",
        "customer_id",
        "cycle_end",
        "cycle_lines",
        "cycle_months",
        "cycle_start",
        "ends",
        "id",
        "next_months",
        "pending",
        "pending_plan",
        "price",
        "quantity",
        "refs",
        "share",
        "sku",
        "started",
        "term_end",
        "term_end_months",
        "term_months",
        "term_start",
        "trial",
        "whole_line",
    )
    sku: Sku
    price: Money
    whole_line: list[Any] | None
    cycle_months: int
    term_months: int

    def __init__(self, purchase: Purchase, trial_months: int, ends: Memo[dt.date]) -> None:
        self.ends = ends
        self.id = purchase.subscription_id
        self.customer_id = purchase.customer_id
        self.started = purchase.on
        self.take_sku(purchase.sku, purchase.on)
        self.quantity = purchase.quantity
        self.auto_renew = purchase.auto_renew
        self.cancelled = False
        self.trial = purchase.trial
        self.refs = 0
        self.cycle_lines: list[ChargeLine] = []
        # Seat batches, oldest first: [day added, seats] (docs/operations.md).
        self.batches: list[list[Any]] = [[purchase.on, purchase.quantity]]
        self.pending: tuple[int | None, Sku | None] | None = None
        self.pending_plan: Sku | None = None
        self.share = (1, 1)
        self.anchor = purchase.on
        try:
            self.first_cycle(purchase, trial_months)
        except (OutOfCalendarError, OverflowError) as error:
            raise self.past_calendar(error) from None

    @classmethod
    def restore(cls, state: SubscriptionState, ends: Memo[dt.date]) -> LiveSubscription:
        """The subscription *state* describes, as the engine holds it."""
        sub = cls.__new__(cls)
        sub.ends = ends
        sub.id = state.subscription_id
        sub.customer_id = state.customer_id
        sub.started = state.started
        sub.take_sku(state.sku, state.term_start)
        sub.price = state.price
        sub.quantity = state.quantity
        sub.auto_renew = state.auto_renew
        sub.cancelled = state.cancelled
        sub.trial = state.trial
        sub.refs = state.references
        sub.cycle_lines = list(state.cycle_lines)
        sub.batches = [[day, seats] for day, seats in state.batches]
        quantity, to = state.pending_quantity, state.pending_sku
        sub.pending = None if quantity is None and to is None else (quantity, to)
        sub.pending_plan = state.pending_plan
        sub.share = state.share
        sub.anchor = state.anchor
        sub.cycle_start, sub.cycle_end = state.cycle_start, state.cycle_end
        sub.term_start, sub.term_end = state.term_start, state.term_end
        sub.next_months, sub.term_end_months = state.next_months, state.term_end_months
        return sub

    def snapshot(self) -> SubscriptionState:
        """The subscription as a plain value (``whole_line`` is a cache, made again)."""
        quantity, to = self.pending if self.pending is not None else (None, None)
        return SubscriptionState(
            subscription_id=self.id,
            customer_id=self.customer_id,
            sku=self.sku,
            price=self.price,
            quantity=self.quantity,
            auto_renew=self.auto_renew,
            cancelled=self.cancelled,
            trial=self.trial,
            started=self.started,
            anchor=self.anchor,
            cycle_start=self.cycle_start,
            cycle_end=self.cycle_end,
            next_months=self.next_months,
            term_start=self.term_start,
            term_end=self.term_end,
            term_end_months=self.term_end_months,
            share=self.share,
            references=self.refs,
            batches=tuple((day, seats) for day, seats in self.batches),
            pending_quantity=quantity,
            pending_sku=to,
            pending_plan=self.pending_plan,
            cycle_lines=tuple(self.cycle_lines),
        )

    def split(self, *, subscription_id: str, sku: Sku, seats: int, on: dt.date) -> LiveSubscription:
        """A new subscription of *seats* on *sku* from *on*, coterminous with this one (a
        partial upgrade, docs/operations.md): same anchor, cycle, term, share and auto-renew;
        it inherits the cancellation window (the cancellation policy page) and the customer."""
        split = LiveSubscription(
            Purchase(
                subscription_id=subscription_id,
                on=on,
                sku=sku,
                quantity=seats,
                customer_id=self.customer_id,
            ),
            1,  # not a trial: the trial length is never read
            self.ends,
        )
        split.anchor, split.share = self.anchor, self.share
        split.next_months, split.term_end_months = self.next_months, self.term_end_months
        split.cycle_start, split.cycle_end = self.cycle_start, self.cycle_end
        split.term_start, split.term_end = self.term_start, self.term_end
        split.auto_renew = self.auto_renew
        return split

    def past_calendar(self, error: Exception) -> OutOfCalendarError:
        # A cycle or term that would end after 9999-12-31 is refused, never clipped: its
        # price is for days a date cannot name (docs/guarantees.md).
        return OutOfCalendarError(
            f"subscription {self.id!r} cannot be billed: a cycle or term from {self.anchor} "
            f"would end after {dt.date.max} ({error})"
        )

    def first_cycle(self, purchase: Purchase, trial_months: int) -> None:
        if purchase.trial:
            self.cycle_start = self.term_start = purchase.on
            self.cycle_end = self.term_end = period_end(purchase.on, trial_months)
            self.next_months = self.term_end_months = trial_months
        elif purchase.custom_term_end is not None:
            # The first term ends on the custom date; standard terms follow from the day after.
            # Its cycles count back from that day, so only the first is short (docs/operations.md).
            end = purchase.custom_term_end
            self.anchor = end + _ONE_DAY
            self.term_end_months = 0
            months = 0
            while add_months(self.anchor, months - self.cycle_months) > purchase.on:
                months -= self.cycle_months
            self.next_months = months
            self.cycle_start = self.term_start = purchase.on
            self.cycle_end = period_end(self.anchor, months)
            self.term_end = end
            standard = inclusive_days(purchase.on, period_end(purchase.on, self.cycle_months))
            self.share = (inclusive_days(purchase.on, self.cycle_end), standard)
        else:
            self.restart(purchase.on)

    def set_sku(self, sku: Sku, day: dt.date) -> None:
        # The fields of a whole cycle's line are kept until the SKU or its price changes (a
        # renewal keeps them when the catalogue price did not move); Pricing.whole_cycle checks
        # the seats where it uses them.
        if sku is not self.sku:
            self.take_sku(sku, day)
            return
        price = _price_on(sku, day)
        if price is not self.price:
            self.whole_line = None
        self.price = price

    def take_sku(self, sku: Sku, day: dt.date) -> None:
        """Take *sku* at its price on *day*: a subscription's first SKU, or another one."""
        self.sku = sku
        self.cycle_months = sku.cycle_months
        self.term_months = sku.term.months
        self.whole_line = None
        self.price = _price_on(sku, day)

    def restart(self, day: dt.date) -> None:
        """Start a new term on *day* (a purchase, a trial converted early, a longer term)."""
        self.anchor = day
        self.next_months = self.term_end_months = 0
        self.cycle_end = self.term_end = day - _ONE_DAY
        self.enter_next()

    def enter_next(self) -> bool:
        """Enter the cycle after the current one; True when it starts a new term."""
        # The next cycle starts the day after this one ends, which was computed from the anchor.
        months = self.next_months
        try:
            start = self.cycle_start = self.cycle_end + _ONE_DAY
            renews = start > self.term_end
            if renews:
                self.term_start = start
                self.term_end_months = months + self.term_months
                self.term_end = self.ends[self.anchor, self.term_end_months]
            # Cycles are aligned to the term's start: after a billing-plan change the first
            # annual cycle runs to the end of the billing year (docs/operations.md).
            last = self.term_end_months
            step = self.cycle_months
            first = last - self.term_months
            end_months = first + ((months - first) // step + 1) * step
            if end_months > last:
                end_months = last
            self.cycle_end = self.ends[self.anchor, end_months]
        except (OutOfCalendarError, OverflowError) as error:
            raise self.past_calendar(error) from None
        self.next_months = end_months
        self.share = (end_months - months, step)
        self.cycle_lines.clear()
        return renews

    def reset_seats(self, day: dt.date) -> None:
        """Every seat counts as added on *day* (a renewal, a conversion, a new term)."""
        self.batches.clear()
        self.batches.append([day, self.quantity])

    def add_seats(self, day: dt.date, seats: int) -> None:
        self.batches.append([day, seats])

    def take_seats(self, seats: int) -> list[tuple[dt.date, int]]:
        """Remove *seats* from the newest batches first; return (day added, seats) taken."""
        return take_newest_seats(self.batches, seats)

    def reference(self, event: Event | None) -> str:
        # Generated ids are "<subscription id>-<four or more digits>"; given event ids of that
        # form are refused (is_generated_reference), so the two never collide
        # (docs/lifecycle.md).
        refs = self.refs = self.refs + 1
        if event is not None and event.event_id is not None:
            return event.event_id
        # Looked up, not formatted: formatting each made a run take 1.08 to 1.14 (mixed) and
        # 1.07 to 1.11 (steady) times as long (two runs of ``python bench/engine_ablation.py
        # --subscriptions 3000``; with 20,000, 1.12 and 1.06; 2026-11-23).
        return self.id + (_FOUR_DIGITS[refs] if refs < 1000 else f"-{refs}")
