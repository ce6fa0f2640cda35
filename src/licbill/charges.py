"""The charge engine: lifecycle events in, immutable charge lines out (RULEBOOK A4).

One pass over date-ordered events keeps each subscription's state and a heap of the next cycle
boundary of every subscription. On any day, cycle boundaries (renewals, cycle charges, trial
ends) come before that day's events, and subscriptions are taken in id order, so the output
depends only on the events and their dates, never on how same-day events of different
subscriptions were interleaved.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, SupportsIndex, overload

from .display import html_table, line_frame, line_record
from .errors import (
    CurrencyMismatchError,
    DuplicateEventError,
    DuplicateSubscriptionError,
    EventError,
    EventOrderError,
    IncompatibleSkuError,
    InvalidTypeError,
    OutOfCalendarError,
    PlanAndQuantityError,
    QuantityError,
    ReservedEventIdError,
    SameSkuError,
    SubscriptionEndedError,
    TrialError,
    UnknownSubscriptionError,
)
from .lines import Basis, ChargeLine, ChargeType
from .models import Cancel, ChangeQuantity, ConvertSku, Event, Purchase, SetAutoRenew, Sku, SkuKind
from .money import Money
from .periods import _add_months, _inclusive_days, _period_end, check_date
from .proration import _effective_unit_price, _prorate
from .rulebooks import Rulebook, TrialConversion
from .tables import LINE_COLUMNS, LINE_NUMERIC, line_cells, render

__all__ = ["ChargeLines", "charge_lines", "iter_charge_lines"]

_ONE_DAY = dt.timedelta(days=1)
_EVENT_TYPES = (Purchase, ConvertSku, ChangeQuantity, Cancel, SetAutoRenew)
_TRIAL = ("Trial",)
# Building the named tuple from a tuple skips its generated Python __new__: one frame a line.
_new_line = tuple.__new__


class ChargeLines(tuple[ChargeLine, ...]):
    """The lines of a billing run: an immutable tuple, with views for people and tools."""

    __slots__ = ()

    def to_records(self) -> list[dict[str, Any]]:
        """Each line as a plain dict (for ``pandas.DataFrame(...)`` or any other tool)."""
        return [line_record(line) for line in self]

    @overload
    def __getitem__(self, index: SupportsIndex) -> ChargeLine: ...

    @overload
    def __getitem__(self, index: slice) -> ChargeLines: ...

    def __getitem__(self, index: SupportsIndex | slice) -> ChargeLine | ChargeLines:
        """A line, or for a slice the lines as :class:`ChargeLines` (views and all)."""
        if isinstance(index, slice):
            return ChargeLines(tuple.__getitem__(self, index))
        return tuple.__getitem__(self, index)

    def to_dataframe(self) -> Any:
        """A ``pandas.DataFrame`` with typed columns: dates ``datetime64``, money ``Decimal``
        objects with a ``currency`` column (docs/notebooks.md). Needs the ``pandas`` extra."""
        return line_frame(self)

    def to_arrow(self) -> Any:
        """The lines as a ``pyarrow.Table`` in ``licbill.arrow.LINE_SCHEMA``; extra ``arrow``."""
        from .arrow import lines_to_table

        return lines_to_table(self)

    def to_table(self, *, locale: str | None = None) -> str:
        """A plain-text table; dates, money and charge types localised when *locale* is given."""
        return render(LINE_COLUMNS, [line_cells(line, locale=locale) for line in self])

    def to_html(self, *, locale: str | None = None) -> str:
        """An HTML table, localised when *locale* is given."""
        rows = [line_cells(line, locale=locale) for line in self]
        return html_table(LINE_COLUMNS, rows, numeric=LINE_NUMERIC)

    def _repr_html_(self) -> str:
        return self.to_html()


#: The form of generated reference ids (``S1-0003``), reserved: given event ids may not take it.
_GENERATED_ID = re.compile(r"-[0-9]{4,}\Z")


def charge_lines(events: Iterable[Event], *, through: dt.date, rulebook: Rulebook) -> ChargeLines:
    """Return every charge line that *events* produce up to and including *through*.

    Events may come in any order: they are sorted by date (stably, so two events of one
    subscription on one day keep their order, a purchase always first). Lines are ordered by
    date, then subscription id, then cycle boundaries before events. Events dated after
    *through* are checked for type but not applied yet: a later run with a later *through*
    bills them, and produces exactly the lines of this run followed by the new ones.

    Raises a :class:`~licbill.LicbillError` subclass naming the event for anything the rulebook
    refuses (see :mod:`licbill.errors`); nothing is skipped silently.
    """
    _check_run(through, rulebook)
    ordered = sorted(_checked_events(events), key=_event_day)
    return ChargeLines(_Engine(rulebook, through, _purchase_dates(ordered)).run(iter(ordered)))


def iter_charge_lines(
    events: Iterable[Event], *, through: dt.date, rulebook: Rulebook
) -> Iterator[ChargeLine]:
    """Yield the lines of :func:`charge_lines` lazily from events already in date order.

    Memory holds one state per live subscription, never the lines. Raises
    :class:`~licbill.EventOrderError` (when iterated) if an event is dated before its
    predecessor in the stream.
    """
    _check_run(through, rulebook)
    return _Engine(rulebook, through, _purchase_dates(events)).run(_checked_events(events))


def _purchase_dates(events: Iterable[Event]) -> dict[str, dt.date]:
    # Knowing every purchase date lets an event that precedes its purchase say so; a stream
    # that can only be read once keeps its laziness and says "unknown subscription" instead.
    if not isinstance(events, Sequence):
        return {}
    return {e.subscription_id: e.on for e in events if isinstance(e, Purchase)}


def _check_run(through: dt.date, rulebook: Rulebook) -> None:
    check_date(through, "through")
    if not isinstance(rulebook, Rulebook):
        raise InvalidTypeError(f"rulebook must be a licbill.Rulebook, not {rulebook!r}")


def _event_day(event: Event) -> dt.date:
    return event.on


def _checked_events(events: Iterable[Event]) -> Iterator[Event]:
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidTypeError(f"events must be an iterable of licbill events, not {events!r}")
    for event in events:
        if not isinstance(event, _EVENT_TYPES):
            raise InvalidTypeError(f"not a licbill event: {event!r}")
        yield event


class _Sub:
    """The mutable state of one subscription inside a single run; never leaves the engine."""

    __slots__ = (
        "anchor",
        "auto_renew",
        "cancelled",
        "charged",
        "cycle_end",
        "cycle_months",
        "cycle_net",
        "cycle_start",
        "cycles_per_term",
        "full_total",
        "id",
        "index",
        "offset",
        "purchase",
        "quantity",
        "refs",
        "sku",
        "term_end",
        "term_months",
        "term_start",
        "trial",
        "zero",
    )

    def __init__(self, purchase: Purchase, trial_months: int) -> None:
        self.id = purchase.subscription_id
        self.purchase = purchase
        self.set_sku(purchase.sku)
        self.quantity = purchase.quantity
        self.anchor = purchase.on
        self.auto_renew = purchase.auto_renew
        self.cancelled = False
        self.trial = purchase.trial
        self.refs = 0
        # What the current cycle has charged, net: Money, so its sums use licbill's context.
        self.zero = self.cycle_net = Money.zero(purchase.sku.unit_price.currency)
        self.charged: list[str] = []  # reference ids charged in the current cycle
        # Paid cycles count from the anchor, after the trial months if there is a trial.
        self.offset = trial_months if purchase.trial else 0
        self.index = -1
        if purchase.trial:
            self.cycle_start = self.term_start = purchase.on
            try:
                self.cycle_end = self.term_end = _period_end(purchase.on, trial_months)
            except OutOfCalendarError as error:
                raise self.past_calendar(error) from None
        else:
            self.enter_cycle(0)

    def past_calendar(self, error: OutOfCalendarError) -> OutOfCalendarError:
        # A cycle or term that would end after 9999-12-31 is refused, never clipped: its
        # price is for days a date cannot name (docs/guarantees.md).
        return OutOfCalendarError(f"subscription {self.id!r} cannot be billed: {error}")

    def set_sku(self, sku: Sku) -> None:
        self.full_total: Money | None = None
        self.sku = sku
        self.cycle_months = sku.cycle_months
        self.cycles_per_term = sku.cycles_per_term
        self.term_months = sku.term.months

    def enter_cycle(self, index: int) -> None:
        # Cycle k is computed from the anchor, never from cycle k-1 (RULEBOOK A2); its start
        # is the day after cycle k-1's end, which was itself computed from the anchor.
        months = self.offset + index * self.cycle_months
        try:
            cycle_start = (
                self.cycle_end + _ONE_DAY
                if index == self.index + 1 and index > 0
                else _add_months(self.anchor, months)
            )
            cycle_end = _period_end(self.anchor, months + self.cycle_months)
            if index % self.cycles_per_term == 0:
                self.term_end = _period_end(self.anchor, months + self.term_months)
                self.term_start = cycle_start
        except (OutOfCalendarError, OverflowError):
            raise self.past_calendar(
                OutOfCalendarError(
                    f"its cycle {index}, starting {months} months after {self.anchor}, or its "
                    f"term would end after {dt.date.max}"
                )
            ) from None
        self.cycle_start, self.cycle_end, self.index = cycle_start, cycle_end, index
        self.cycle_net = self.zero
        self.charged = []

    def reference(self, event: Event | None) -> str:
        # Generated ids are "<subscription id>-<four or more digits>"; given event ids of that
        # form are refused (_Engine.apply), so the two never collide (docs/lifecycle.md).
        self.refs += 1
        if event is not None and event.event_id is not None:
            return event.event_id
        return f"{self.id}-{self.refs:04}"


class _Engine:
    """One billing run. Methods append to ``out``; ``run`` hands each day's lines on."""

    def __init__(
        self, rulebook: Rulebook, through: dt.date, purchased: dict[str, dt.date] | None = None
    ) -> None:
        self.rulebook = rulebook
        self.rounding = rulebook.rounding
        self.descriptions = rulebook.descriptions
        self.names = rulebook.spellings
        self.through = through
        self.purchased = purchased or {}
        self.subs: dict[str, _Sub] = {}
        self.ended: dict[str, str] = {}
        self.event_ids: set[str] = set()
        # Cycle boundaries wait in one bucket per day (by ordinal), with a heap of those days:
        # a day holds hundreds of renewals, and a bucket append is cheaper than a heap push.
        self.days: list[int] = []
        self.due: dict[int, list[str]] = {}
        self.out: list[ChargeLine] = []

    # The run --------------------------------------------------------------------------------

    def run(self, events: Iterator[Event]) -> Iterator[ChargeLine]:
        through = self.through
        day: dt.date | None = None
        todays: list[Event] = []
        for event in events:
            if day is not None and event.on < day:
                raise EventOrderError(
                    f"event dated before its predecessor ({day}) in a date-ordered stream",
                    event=event,
                )
            day = event.on
            if day > through:
                continue  # billed by a later run
            if todays and day != todays[0].on:
                yield from self.day(todays[0].on, todays)
                todays = []
            todays.append(event)
        if todays:
            yield from self.day(todays[0].on, todays)
        yield from self.boundaries_until(through, inclusive=True)

    def flush(self) -> list[ChargeLine]:
        lines, self.out = self.out, []
        return lines

    def boundaries_until(self, day: dt.date, *, inclusive: bool) -> Iterator[ChargeLine]:
        days, due, subs = self.days, self.due, self.subs
        last = day.toordinal() if inclusive else day.toordinal() - 1
        while days and days[0] <= last:
            when = heapq.heappop(days)
            on = dt.date.fromordinal(when)
            for sub_id in sorted(due.pop(when)):
                sub = subs.get(sub_id)
                if sub is not None:
                    self.boundary(sub, on)
            if len(self.out) >= 512:
                yield from self.flush()
        yield from self.flush()

    def day(self, day: dt.date, events: list[Event]) -> Iterator[ChargeLine]:
        yield from self.boundaries_until(day, inclusive=False)
        per_sub: dict[str, list[Event]] = {}
        for event in events:
            per_sub.setdefault(event.subscription_id, []).append(event)
        today = day.toordinal()
        due: set[str] = set()
        if self.days and self.days[0] == today:
            heapq.heappop(self.days)
            due.update(self.due.pop(today))
        for sub_id in sorted(due | per_sub.keys()):
            if sub_id in due and sub_id in self.subs:
                self.boundary(self.subs[sub_id], day)
            # A purchase always comes first among one subscription's events of one day.
            todays = sorted(per_sub.get(sub_id, ()), key=lambda e: not isinstance(e, Purchase))
            for event in todays:
                self.apply(event)
        yield from self.flush()

    # Cycle boundaries -----------------------------------------------------------------------

    def schedule(self, sub: _Sub) -> None:
        when = sub.cycle_end.toordinal() + 1
        bucket = self.due.get(when)
        if bucket is None:
            self.due[when] = [sub.id]
            heapq.heappush(self.days, when)
        else:
            bucket.append(sub.id)

    def end(self, sub: _Sub, why: str) -> None:
        del self.subs[sub.id]
        self.ended[sub.id] = why

    def boundary(self, sub: _Sub, day: dt.date) -> None:
        if sub.trial:
            if not sub.auto_renew:
                self.end(sub, f"its free trial ended on {sub.cycle_end} without auto-renew")
                return
            ref = sub.reference(None)
            trial_credit = self.trial_line(sub, ChargeType.CONVERT, day, ref)
            sub.trial = False
            sub.enter_cycle(0)
            if self.rulebook.trial_conversion is TrialConversion.RENEW:
                self.full_cycle(sub, ChargeType.RENEW, day, ref)
            else:
                self.out.append(trial_credit)
                self.full_cycle(sub, ChargeType.CONVERT, day, ref)
        elif (sub.index + 1) % sub.cycles_per_term == 0:
            if sub.cancelled or not sub.auto_renew:
                why = "it was cancelled" if sub.cancelled else "auto-renew was off"
                self.end(sub, f"its term ended on {sub.term_end} and {why}")
                return
            sub.enter_cycle(sub.index + 1)
            self.full_cycle(sub, ChargeType.RENEW, day, sub.reference(None))
        else:
            sub.enter_cycle(sub.index + 1)
            self.full_cycle(sub, ChargeType.CYCLE_CHARGE, day, sub.reference(None))
        self.schedule(sub)

    # Events ---------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if event.event_id is not None:
            if _GENERATED_ID.search(event.event_id):
                raise ReservedEventIdError(
                    f"event id {event.event_id!r} has the form licbill reserves for generated "
                    "references (a hyphen and four or more digits at the end); choose another",
                    event=event,
                )
            if event.event_id in self.event_ids:
                raise DuplicateEventError(
                    f"event id {event.event_id!r} was already applied", event=event
                )
            self.event_ids.add(event.event_id)
        if isinstance(event, Purchase):
            self.purchase(event)
            return
        sub = self.subs.get(event.subscription_id)
        if sub is None:
            raise self.missing(event)
        if sub.cancelled:
            raise SubscriptionEndedError(
                f"subscription {sub.id!r} was cancelled and ends on {sub.term_end}; "
                "it cannot be changed or reactivated",
                event=event,
            )
        if isinstance(event, Cancel):
            self.cancel(sub, event)
        elif isinstance(event, SetAutoRenew):
            sub.auto_renew = event.enabled
        elif sub.trial:
            raise TrialError("seats and plan of a free trial cannot change", event=event)
        elif isinstance(event, ChangeQuantity):
            self.change_quantity(sub, event)
        else:
            self.convert(sub, event)

    def missing(self, event: Event) -> EventError:
        sub_id = event.subscription_id
        if sub_id in self.ended:
            return SubscriptionEndedError(
                f"subscription {sub_id!r} has ended ({self.ended[sub_id]})", event=event
            )
        if sub_id in self.purchased:
            return EventOrderError(
                f"event precedes the purchase on {self.purchased[sub_id]}", event=event
            )
        return UnknownSubscriptionError(
            f"no purchase of subscription {sub_id!r} precedes this event", event=event
        )

    def purchase(self, event: Purchase) -> None:
        if event.subscription_id in self.subs or event.subscription_id in self.ended:
            raise DuplicateSubscriptionError(
                f"subscription {event.subscription_id!r} was already purchased", event=event
            )
        if not event.sku.allows(event.quantity):
            raise QuantityError(
                f"quantity {event.quantity} is outside the limits of SKU {event.sku.id!r}",
                event=event,
            )
        sub = _Sub(event, self.rulebook.trial_months)
        self.subs[sub.id] = sub
        self.schedule(sub)
        ref = sub.reference(event)
        if sub.trial:
            self.out.append(self.trial_line(sub, ChargeType.NEW, event.on, ref))
        else:
            self.full_cycle(sub, ChargeType.NEW, event.on, ref)

    def cancel(self, sub: _Sub, event: Cancel) -> None:
        ref = sub.reference(event)
        if sub.trial:
            self.end(sub, f"its free trial was cancelled on {event.on}")
            self.out.append(self.trial_line(sub, self.rulebook.trial_cancel, event.on, ref))
            return
        since_renewal = (event.on - sub.term_start).days
        if since_renewal < self.rulebook.full_refund_days:
            self.end(sub, f"it was cancelled with a full refund on {event.on}")
            self.full_refund(sub, event.on, ref)
        elif since_renewal < self.rulebook.prorated_refund_days:
            self.end(sub, f"it was cancelled with a prorated refund on {event.on}")
            self.prorated(sub, ChargeType.CANCEL_IMMEDIATE, event.on, ref, credit=True)
        else:
            # Outside every window: no refund, the paid term runs out (cycle charges included).
            sub.cancelled = True

    def change_quantity(self, sub: _Sub, event: ChangeQuantity) -> None:
        sku = sub.sku
        if sku.kind is not SkuKind.PER_SEAT:
            raise QuantityError(f"SKU {sku.id!r} is {sku.kind.value}: it has no seats", event=event)
        if event.quantity == sub.quantity:
            raise QuantityError(f"the quantity is already {sub.quantity}", event=event)
        if not sku.allows(event.quantity):
            raise QuantityError(
                f"quantity {event.quantity} is outside the limits of SKU {sku.id!r} "
                f"({sku.min_quantity}..{sku.max_quantity or 'no maximum'})",
                event=event,
            )
        up = event.quantity > sub.quantity
        kind = ChargeType.ADD_QUANTITY if up else ChargeType.REMOVE_QUANTITY
        ref = sub.reference(event)
        self.prorated(sub, kind, event.on, ref, credit=True)
        sub.quantity = event.quantity
        sub.full_total = None
        self.prorated(sub, kind, event.on, ref, credit=False)

    def convert(self, sub: _Sub, event: ConvertSku) -> None:
        old, new = sub.sku, event.to
        if new.id == old.id:
            raise SameSkuError(f"subscription {sub.id!r} already has SKU {old.id!r}", event=event)
        if event.quantity is not None and event.quantity != sub.quantity:
            raise PlanAndQuantityError(
                f"plan and quantity ({sub.quantity} -> {event.quantity}) cannot both change "
                "in one event",
                event=event,
            )
        if new.unit_price.currency != old.unit_price.currency:
            raise CurrencyMismatchError(
                f"cannot convert {old.id!r} ({old.unit_price.currency}) to {new.id!r} "
                f"({new.unit_price.currency}): {event!r}"
            )
        if (new.term, new.billing, new.kind) != (old.term, old.billing, old.kind):
            raise IncompatibleSkuError(
                f"SKU {new.id!r} ({new.term.name}, {new.billing.value}, {new.kind.value}) does not "
                f"share term, billing and kind with {old.id!r} ({old.term.name}, "
                f"{old.billing.value}, {old.kind.value})",
                event=event,
            )
        if not new.allows(sub.quantity):
            raise QuantityError(
                f"quantity {sub.quantity} is outside the limits of SKU {new.id!r}", event=event
            )
        ref = sub.reference(event)
        self.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=True, rebill=True)
        sub.set_sku(new)
        self.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=False)

    # Lines ----------------------------------------------------------------------------------

    def full_cycle(self, sub: _Sub, kind: ChargeType, day: dt.date, ref: str) -> None:
        price = sub.sku.unit_price
        total = sub.full_total
        if total is None:
            # A whole cycle costs the same each time, until the SKU or the quantity changes.
            total = sub.full_total = _prorate(price, sub.quantity, 1, 1, self.rounding)
        sub.cycle_net += total
        days = _inclusive_days(sub.cycle_start, sub.cycle_end)
        basis = Basis(
            cycle_start=sub.cycle_start, cycle_days=days, billing_days=days, rounding=self.rounding
        )
        self.line(sub, kind, day, price, total, ref, sub.cycle_start, False, basis)

    def prorated(
        self,
        sub: _Sub,
        kind: ChargeType,
        day: dt.date,
        ref: str,
        *,
        credit: bool,
        rebill: bool = False,
    ) -> None:
        sku = sub.sku
        cycle_days = _inclusive_days(sub.cycle_start, sub.cycle_end)
        # Custom-meter lines are at the full unit price (RULEBOOK A7).
        custom = sku.kind is SkuKind.CUSTOM_METER
        billing_days = cycle_days if custom else _inclusive_days(day, sub.cycle_end)
        price, rounding = sku.unit_price, self.rounding
        total = _prorate(
            price, sub.quantity, billing_days, cycle_days, rounding, -1 if credit else 1
        )
        eup = _effective_unit_price(price, billing_days, cycle_days)
        sub.cycle_net += total
        basis = Basis(
            cycle_start=sub.cycle_start,
            cycle_days=cycle_days,
            billing_days=billing_days,
            rounding=rounding,
            reverses=tuple(sub.charged[-1:]) if credit else (),
        )
        self.line(sub, kind, day, eup, total, ref, day, rebill, basis)

    def full_refund(self, sub: _Sub, day: dt.date, ref: str) -> None:
        # Everything charged in the current cycle goes back, seat changes included.
        total = -sub.cycle_net
        sub.cycle_net = sub.zero
        price = sub.sku.unit_price
        days = _inclusive_days(sub.cycle_start, sub.cycle_end)
        basis = Basis(
            cycle_start=sub.cycle_start,
            cycle_days=days,
            billing_days=days,
            rounding=self.rounding,
            reverses=tuple(sub.charged),
            refund=True,
        )
        kind = ChargeType.CANCEL_IMMEDIATE
        self.line(sub, kind, day, price, total, ref, sub.cycle_start, False, basis)

    def trial_line(self, sub: _Sub, kind: ChargeType, day: dt.date, ref: str) -> ChargeLine:
        # Every line of a trial mirrors the trial itself: its days, its seats, amount zero.
        zero = Money.zero(sub.sku.unit_price.currency)
        end = _period_end(sub.purchase.on, self.rulebook.trial_months)
        days = _inclusive_days(sub.purchase.on, end)
        return ChargeLine(
            subscription_id=sub.id,
            order_date=day,
            sku_id=sub.sku.id,
            sku_name=sub.sku.name,
            charge_start=sub.purchase.on,
            charge_end=end,
            unit_price=zero,
            effective_unit_price=zero,
            quantity=sub.quantity,
            total=zero,
            charge_type=self.names[kind],
            description=self.descriptions.trial,
            reference_id=ref,
            product_qualifiers=_TRIAL,
            product_id=sub.sku.product_id,
            term=sub.sku.term,
            billing=sub.sku.billing,
            subscription_start=sub.purchase.on,
            subscription_end=sub.term_end,
            basis=Basis(
                cycle_start=sub.purchase.on,
                cycle_days=days,
                billing_days=days,
                rounding=self.rounding,
            ),
        )

    def line(
        self,
        sub: _Sub,
        kind: ChargeType,
        day: dt.date,
        eup: Money,
        total: Money,
        ref: str,
        start: dt.date,
        rebill: bool,
        basis: Basis,
    ) -> None:
        sku = sub.sku
        texts = self.descriptions
        if sku.kind is SkuKind.CUSTOM_METER:
            start = end = day
            description = texts.custom_meter_rebill if rebill else texts.custom_meter
        else:
            end = sub.cycle_end
            description = texts.paid_rebill if rebill else texts.paid
        if total.amount > 0 and ref not in sub.charged:
            sub.charged.append(ref)
        self.out.append(
            _new_line(
                ChargeLine,
                (
                    sub.id,
                    day,
                    sku.id,
                    sku.name,
                    start,
                    end,
                    sku.unit_price,
                    eup,
                    sub.quantity,
                    total,
                    self.names[kind],
                    description,
                    ref,
                    (),
                    sku.product_id,
                    sku.term,
                    sku.billing,
                    sub.purchase.on,
                    sub.term_end,
                    basis,
                ),
            )
        )
