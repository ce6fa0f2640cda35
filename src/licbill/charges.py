"""The charge engine: lifecycle events in, immutable charge lines out (docs/lifecycle.md).

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
from itertools import chain
from typing import Any, SupportsIndex, overload

import attrs

from ._calendar import period_end
from ._memo import Memo
from .errors import (
    DuplicateEventError,
    DuplicateSubscriptionError,
    EventError,
    EventOrderError,
    IncompatibleSkuError,
    InvalidTypeError,
    InvalidValueError,
    OutOfCalendarError,
    PlanAndQuantityError,
    QuantityError,
    ReservedEventIdError,
    SubscriptionEndedError,
    TrialError,
    UnknownSubscriptionError,
)
from .lines import ChargeLine, ChargeType, ChargeTypeName
from .models import (
    Cancel,
    ChangeBillingPlan,
    ChangeQuantity,
    ConvertSku,
    ConvertTrial,
    Event,
    Purchase,
    ScheduleChange,
    SetAutoRenew,
    SkuKind,
)
from .periods import check_date
from .pricing import Pricing
from .refusals import check_custom_end, check_family, check_seats, check_upgrade, check_window
from .rulebooks import Rulebook, TrialConversion
from .subscription import LiveSubscription, SubscriptionState

__all__ = [
    "ChargeLines",
    "RunState",
    "SubscriptionState",
    "charge_lines",
    "continue_charge_lines",
    "iter_charge_lines",
]

_ONE_DAY = dt.timedelta(days=1)
_EVENT_TYPES = (
    Purchase,
    ConvertSku,
    ChangeQuantity,
    Cancel,
    SetAutoRenew,
    ChangeBillingPlan,
    ScheduleChange,
    ConvertTrial,
)


def _not_a_purchase(event: Event) -> bool:
    return not isinstance(event, Purchase)


class ChargeLines(tuple[ChargeLine, ...]):
    """The lines of a billing run: an immutable tuple, with views for people and tools."""

    __slots__ = ()

    def to_records(self) -> list[dict[str, Any]]:
        """Each line as a plain dict (for ``pandas.DataFrame(...)`` or any other tool)."""
        from .io.display import line_record

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
        from .io.display import line_frame

        return line_frame(self)

    def to_arrow(self) -> Any:
        """The lines as a ``pyarrow.Table`` in ``licbill.arrow.LINE_SCHEMA``; extra ``arrow``."""
        from .arrow import lines_to_table

        return lines_to_table(self)

    def to_table(self, *, locale: str | None = None) -> str:
        """A plain-text table; dates, money and charge types localised when *locale* is given."""
        from .io.tables import LINE_COLUMNS, line_cells, render

        return render(LINE_COLUMNS, [line_cells(line, locale=locale) for line in self])

    def to_html(self, *, locale: str | None = None) -> str:
        """An HTML table, localised when *locale* is given."""
        from .io.display import html_table
        from .io.tables import LINE_COLUMNS, LINE_NUMERIC, line_cells

        rows = [line_cells(line, locale=locale) for line in self]
        return html_table(LINE_COLUMNS, rows, numeric=LINE_NUMERIC)

    def _repr_html_(self) -> str:
        return self.to_html()


def charge_lines(events: Iterable[Event], *, through: dt.date, rulebook: Rulebook) -> ChargeLines:
    """Return every charge line that *events* produce up to and including *through*.

    Events may come in any order: they are sorted by date (stably, so two events of one
    subscription on one day keep their order, a purchase always first). Lines are ordered by
    date, then subscription id, then cycle boundaries before events; a partial upgrade's lines
    for its target (and a target renewal it crosses first) come in the source's turn. Events
    dated after
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


@attrs.frozen(kw_only=True)
class RunState:
    """What a billing run must remember to go on (docs/state.md): the live subscriptions, and
    the ids that must stay refused.

    ``ended`` maps the id of every subscription that ended to why (a new purchase under it is
    a :class:`~licbill.DuplicateSubscriptionError`, any other event a
    :class:`~licbill.SubscriptionEndedError`); ``event_ids`` holds every event id applied (a
    second event with one is a :class:`~licbill.DuplicateEventError`). Both are text only; the
    full state is kept for live subscriptions alone.
    """

    subscriptions: tuple[SubscriptionState, ...] = ()
    ended: tuple[tuple[str, str], ...] = ()
    event_ids: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.subscriptions, tuple) or not all(
            isinstance(sub, SubscriptionState) for sub in self.subscriptions
        ):
            raise InvalidTypeError(
                f"subscriptions must be a tuple of SubscriptionState, not {self.subscriptions!r}"
            )
        if not isinstance(self.ended, tuple) or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(t, str) for t in pair)
            for pair in self.ended
        ):
            raise InvalidTypeError(f"ended must be a tuple of (id, why) pairs, not {self.ended!r}")
        if not isinstance(self.event_ids, frozenset) or not all(
            isinstance(event_id, str) for event_id in self.event_ids
        ):
            raise InvalidTypeError(f"event_ids must be a frozenset of str, not {self.event_ids!r}")
        ids = [sub.subscription_id for sub in self.subscriptions]
        if len(set(ids)) != len(ids):
            raise InvalidValueError("not a consistent run state: a subscription id is live twice")
        both = set(ids) & {sub_id for sub_id, _ in self.ended}
        if both:
            raise InvalidValueError(
                f"not a consistent run state: subscriptions {sorted(both)!r} are both live "
                "and ended"
            )


def continue_charge_lines(
    events: Iterable[Event],
    *,
    state: RunState,
    since: dt.date | None,
    through: dt.date,
    rulebook: Rulebook,
) -> tuple[ChargeLines, RunState]:
    """Bill *events* dated after *since* and up to *through* from *state*; return the lines and
    the state to go on from (``BillingState.advance`` is the public way in, docs/state.md).

    *state* is what a run through *since* left (an empty :class:`RunState` and ``since=None``
    at the start). The lines are exactly those that one run over all the events through
    *through* adds to a run through *since*. Raises :class:`~licbill.EventOrderError` for an
    event dated on or before *since* (already billed) or after *through* (for a later run),
    and whatever :func:`charge_lines` raises for the events.
    """
    _check_run(through, rulebook)
    if not isinstance(state, RunState):
        raise InvalidTypeError(f"state must be a licbill.charges.RunState, not {state!r}")
    if since is not None:
        check_date(since, "since")
        if through < since:
            raise InvalidValueError(f"through {through} is before the state's date {since}")
    ordered = sorted(_checked_events(events), key=_event_day)
    for event in ordered:
        if since is not None and event.on <= since:
            raise EventOrderError(
                f"event dated on or before {since}, which the state has already billed",
                event=event,
            )
        if event.on > through:
            raise EventOrderError(
                f"event dated after through ({through}): give it to a later run", event=event
            )
    engine = _Engine(rulebook, through, _purchase_dates(ordered))
    engine.restore(state)
    lines = ChargeLines(engine.run(iter(ordered)))
    return lines, engine.snapshot()


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


#: The form of generated reference ids (``S1-0003``), reserved: given event ids may not take it.
_GENERATED_ID = re.compile(r"-[0-9]{4,}\Z")


class _Engine:
    """One billing run: the boundary heap, the day loop and what each operation does. Lines
    come from ``pricing`` (its ``out``); ``run`` hands each day's lines on."""

    def __init__(
        self, rulebook: Rulebook, through: dt.date, purchased: dict[str, dt.date] | None = None
    ) -> None:
        self.rulebook = rulebook
        self.names = rulebook.spellings
        # Looked up once: hashing an enum member runs Python code, once per line otherwise.
        self.renew_name = self.names[ChargeType.RENEW]
        self.cycle_name = self.names[ChargeType.CYCLE_CHARGE]
        self.through = through
        self.purchased = purchased or {}
        self.subs: dict[str, LiveSubscription] = {}
        self.ended: dict[str, str] = {}
        self.event_ids: set[str] = set()
        # Cycle boundaries wait in one bucket per day (by ordinal), with a heap of those days:
        # a day holds hundreds of renewals, and a bucket append is cheaper than a heap push.
        self.days: list[int] = []
        self.due: dict[int, list[str]] = {}
        # Every subscription of the run shares the table of cycle ends (licbill._memo).
        self.ends: Memo[dt.date] = Memo(period_end)
        self.pricing = Pricing(rulebook)

    def restore(self, state: RunState) -> None:
        """Take up a run where *state* left it: the boundary heap holds each live
        subscription's next boundary (the stale entries a run may carry never act)."""
        for sub_state in state.subscriptions:
            sub = LiveSubscription.restore(sub_state, self.ends)
            self.subs[sub.id] = sub
            self.schedule(sub)
        self.ended = dict(state.ended)
        self.event_ids = set(state.event_ids)

    def snapshot(self) -> RunState:
        return RunState(
            subscriptions=tuple(self.subs[sub_id].snapshot() for sub_id in sorted(self.subs)),
            ended=tuple(sorted(self.ended.items())),
            event_ids=frozenset(self.event_ids),
        )

    # The run --------------------------------------------------------------------------------

    def run(self, events: Iterator[Event]) -> Iterator[ChargeLine]:
        """The lines of *events*, lazily: the engine hands them on a day's batch at a time, and
        ``chain`` passes each line on in C rather than through nested generators (about a
        tenth of a steady run's time, bench/lifecycle.py)."""
        return chain.from_iterable(self.batches(events))

    def batches(self, events: Iterator[Event]) -> Iterator[list[ChargeLine]]:
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
        pricing = self.pricing
        lines, pricing.out = pricing.out, []
        return lines

    def boundaries_until(self, day: dt.date, *, inclusive: bool) -> Iterator[list[ChargeLine]]:
        days, due, subs = self.days, self.due, self.subs
        last = day.toordinal() if inclusive else day.toordinal() - 1
        while days and days[0] <= last:
            when = heapq.heappop(days)
            on = dt.date.fromordinal(when)
            eve = on - _ONE_DAY
            for sub_id in sorted(due.pop(when)):
                sub = subs.get(sub_id)
                # A subscription whose cycle was restarted left this boundary behind.
                if sub is not None and sub.cycle_end == eve:
                    self.boundary(sub, on)
            if len(self.pricing.out) >= 512:
                yield self.flush()
        if self.pricing.out:
            yield self.flush()

    def day(self, day: dt.date, events: list[Event]) -> Iterator[list[ChargeLine]]:
        yield from self.boundaries_until(day, inclusive=False)
        per_sub: dict[str, list[Event]] = {}
        for event in events:
            per_sub.setdefault(event.subscription_id, []).append(event)
        today = day.toordinal()
        due: set[str] = set()
        if self.days and self.days[0] == today:
            heapq.heappop(self.days)
            due.update(self.due.pop(today))
        # Only a day with boundaries has an eve to compare with (1-1-1 has none).
        eve = day - _ONE_DAY if due else None
        subs = self.subs
        for sub_id in sorted(due | per_sub.keys()):
            if sub_id in due:
                sub = subs.get(sub_id)
                if sub is not None and sub.cycle_end == eve:
                    self.boundary(sub, day)
            todays = per_sub.get(sub_id)
            if todays is not None:
                # A purchase always comes first among one subscription's events of one day.
                todays.sort(key=_not_a_purchase)
                for event in todays:
                    self.apply(event)
        if self.pricing.out:
            yield self.flush()

    # Cycle boundaries -----------------------------------------------------------------------

    def schedule(self, sub: LiveSubscription) -> None:
        when = sub.cycle_end.toordinal() + 1
        bucket = self.due.get(when)
        if bucket is None:
            self.due[when] = [sub.id]
            heapq.heappush(self.days, when)
        else:
            bucket.append(sub.id)

    def end(self, sub: LiveSubscription, why: str) -> None:
        del self.subs[sub.id]
        self.ended[sub.id] = why

    def boundary(self, sub: LiveSubscription, day: dt.date) -> None:
        """Cross the boundary at the end of *sub*'s cycle, which ended the day before *day*."""
        if sub.trial:
            if not sub.auto_renew:
                self.end(sub, f"its free trial ended on {sub.cycle_end} without auto-renew")
                return
            self.convert_trial(sub, day, sub.reference(None))
            return
        renews = sub.cycle_end == sub.term_end
        if renews or sub.pending_plan is not None:
            name = self.changes_at_boundary(sub, day, renews=renews)
            if name is None:
                return
        else:
            name = self.cycle_name  # a cycle charge inside the term, the most common line
        try:
            sub.next_cycle()
        except (OutOfCalendarError, OverflowError) as error:
            raise sub.past_calendar(error) from None
        if renews:
            sub.reset_seats(day)
        self.pricing.full_cycle(sub, name, day, sub.reference(None))
        self.schedule(sub)

    def changes_at_boundary(
        self, sub: LiveSubscription, day: dt.date, *, renews: bool
    ) -> ChargeTypeName | None:
        """Apply what takes effect at this boundary: the term's end, a pending billing-plan
        change, a scheduled change; return the charge type of the boundary's line, or None when
        the subscription ends here."""
        if renews and (sub.cancelled or not sub.auto_renew):
            why = "it was cancelled" if sub.cancelled else "auto-renew was off"
            self.end(sub, f"its term ended on {sub.term_end} and {why}")
            return None
        name = self.renew_name if renews else self.cycle_name
        plan = sub.pending_plan
        if plan is not None:
            # A billing-plan change takes effect at the end of the paid cycle (docs/operations.md).
            sub.pending_plan = None
            sub.set_sku(plan, day)
            name = self.names[ChargeType.CHANGE_BILLING_PLAN]
        if renews and sub.pending is not None:
            quantity, to = sub.pending
            sub.pending = None
            if to is not None:
                sub.set_sku(to, day)
            if quantity is not None:
                sub.quantity = quantity
                sub.full_total = None
        if renews and plan is None:
            # A new-commerce price is locked for a term; a renewal takes today's catalogue price.
            sub.set_sku(sub.sku, day)
        return name

    def convert_trial(self, sub: LiveSubscription, day: dt.date, ref: str) -> None:
        trial_credit = self.pricing.trial_line(sub, ChargeType.CONVERT, day, ref)
        sub.trial = False
        sub.set_sku(sub.sku, day)
        if day <= sub.cycle_end:
            # Converted before the trial ends: the paid term starts on the conversion day.
            sub.restart(day)
        else:
            sub.enter_next()
        sub.reset_seats(day)
        if self.rulebook.trial_conversion is TrialConversion.RENEW:
            self.pricing.full_cycle(sub, self.names[ChargeType.RENEW], day, ref)
        else:
            self.pricing.out.append(trial_credit)
            self.pricing.full_cycle(sub, self.names[ChargeType.CONVERT], day, ref)
        self.schedule(sub)

    # Events ---------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if event.event_id is not None:
            if event.event_id in self.event_ids:
                raise DuplicateEventError(
                    f"event id {event.event_id!r} was already applied", event=event
                )
            if _GENERATED_ID.search(event.event_id):
                raise ReservedEventIdError(
                    f"event id {event.event_id!r} has the form licbill reserves for generated "
                    "references (a hyphen and four or more digits at the end); choose another",
                    event=event,
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
            if not event.enabled:
                sub.pending = None  # turning auto-renew off deletes a scheduled change
        elif isinstance(event, ConvertTrial):
            if not sub.trial:
                raise TrialError(f"subscription {sub.id!r} is not a free trial", event=event)
            self.convert_trial(sub, event.on, sub.reference(event))
        elif sub.trial:
            raise TrialError("seats and plan of a free trial cannot change", event=event)
        elif isinstance(event, ChangeQuantity):
            self.change_quantity(sub, event)
        elif isinstance(event, ScheduleChange):
            self.schedule_change(sub, event)
        elif isinstance(event, ChangeBillingPlan):
            self.change_billing_plan(sub, event)
        elif event.target_subscription_id is not None:
            self.partial_upgrade(sub, event, event.target_subscription_id)
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
        if event.custom_term_end is not None:
            check_custom_end(event, event.custom_term_end, live=self.subs.values())
        sub = LiveSubscription(event, self.rulebook.trial_months, self.ends)
        self.subs[sub.id] = sub
        self.schedule(sub)
        ref = sub.reference(event)
        if sub.trial:
            self.pricing.out.append(self.pricing.trial_line(sub, ChargeType.NEW, event.on, ref))
        else:
            self.pricing.full_cycle(sub, self.names[ChargeType.NEW], event.on, ref)

    def cancel(self, sub: LiveSubscription, event: Cancel) -> None:
        ref = sub.reference(event)
        if sub.trial:
            self.end(sub, f"its free trial was cancelled on {event.on}")
            self.pricing.out.append(
                self.pricing.trial_line(sub, self.rulebook.trial_cancel, event.on, ref)
            )
            return
        since_renewal = (event.on - sub.term_start).days
        if since_renewal < self.rulebook.full_refund_days_for(sub.sku.billing):
            self.end(sub, f"it was cancelled with a full refund on {event.on}")
            self.pricing.full_refund(sub, event.on, ref)
        elif since_renewal < self.rulebook.prorated_refund_days:
            self.end(sub, f"it was cancelled with a prorated refund on {event.on}")
            self.pricing.prorated(sub, ChargeType.CANCEL_IMMEDIATE, event.on, ref, credit=True)
        else:
            # Outside every window: no refund, the paid term runs out (cycle charges included).
            sub.cancelled = True

    def change_quantity(self, sub: LiveSubscription, event: ChangeQuantity) -> None:
        check_seats(sub, event.quantity, event)
        up = event.quantity > sub.quantity
        if not up:
            window = self.rulebook.reduction_window_days
            check_window(sub, sub.quantity - event.quantity, event, window=window)
        kind = ChargeType.ADD_QUANTITY if up else ChargeType.REMOVE_QUANTITY
        ref = sub.reference(event)
        sub.pending = None  # a mid-term quantity change deletes a scheduled change
        self.pricing.prorated(sub, kind, event.on, ref, credit=True)
        if up:
            sub.add_seats(event.on, event.quantity - sub.quantity)
        else:
            sub.take_seats(sub.quantity - event.quantity)
        sub.quantity = event.quantity
        sub.full_total = None
        self.pricing.prorated(sub, kind, event.on, ref, credit=False)

    def schedule_change(self, sub: LiveSubscription, event: ScheduleChange) -> None:
        if not sub.auto_renew:
            raise EventError(
                f"subscription {sub.id!r} has auto-renew off: a change at renewal needs it on",
                event=event,
            )
        to = event.to or sub.sku
        quantity = sub.quantity if event.quantity is None else event.quantity
        if event.to is not None:
            check_family(sub.sku, to, event, same_plan=False)
        if event.quantity is not None and to.kind is not SkuKind.PER_SEAT:
            raise QuantityError(f"SKU {to.id!r} is {to.kind.value}: it has no seats", event=event)
        if not to.allows(quantity):
            raise QuantityError(
                f"quantity {quantity} is outside the limits of SKU {to.id!r}", event=event
            )
        # A later scheduled change replaces the pending one.
        sub.pending = (event.quantity, event.to)

    def change_billing_plan(self, sub: LiveSubscription, event: ChangeBillingPlan) -> None:
        old, new = sub.sku, event.to
        check_family(old, new, event, same_plan=False)
        if new.term is not old.term or new.billing is old.billing:
            raise IncompatibleSkuError(
                f"a billing-plan change keeps the term ({old.term.name}) and changes the billing "
                f"({old.billing.value}); SKU {new.id!r} is {new.term.name} billed "
                f"{new.billing.value}",
                event=event,
            )
        if not new.allows(sub.quantity):
            raise QuantityError(
                f"quantity {sub.quantity} is outside the limits of SKU {new.id!r}", event=event
            )
        # It takes effect when the paid cycle ends; a later change replaces it.
        sub.pending_plan = new

    def convert(self, sub: LiveSubscription, event: ConvertSku) -> None:
        old, new = sub.sku, event.to
        check_upgrade(sub, event)
        if event.quantity is not None and event.quantity != sub.quantity:
            raise PlanAndQuantityError(
                f"plan and quantity ({sub.quantity} -> {event.quantity}) cannot both change "
                "in one event",
                event=event,
            )
        if not new.allows(sub.quantity):
            raise QuantityError(
                f"quantity {sub.quantity} is outside the limits of SKU {new.id!r}", event=event
            )
        ref = sub.reference(event)
        self.pricing.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=True, rebill=True)
        # A mid-term upgrade clears a scheduled change and a pending billing-plan change.
        sub.pending = sub.pending_plan = None
        sub.set_sku(new, event.on)
        if (new.term, new.billing) != (old.term, old.billing):
            # A longer term or another billing frequency: the new term starts today.
            sub.restart(event.on)
            sub.reset_seats(event.on)
            self.schedule(sub)
            self.pricing.full_cycle(sub, self.names[ChargeType.CONVERT], event.on, ref)
        else:
            self.pricing.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=False)

    def partial_upgrade(self, source: LiveSubscription, event: ConvertSku, target_id: str) -> None:
        new = event.to
        check_upgrade(source, event)
        if (new.term, new.billing) != (source.sku.term, source.sku.billing):
            raise IncompatibleSkuError(
                f"a partial upgrade keeps term and billing ({source.sku.term.name}, "
                f"{source.sku.billing.value}); SKU {new.id!r} is {new.term.name} billed "
                f"{new.billing.value}",
                event=event,
            )
        moved = event.quantity
        assert moved is not None  # ConvertSku requires it with a target
        left = source.quantity - moved
        if left < 1 or not source.sku.allows(left):
            raise QuantityError(
                f"a partial upgrade of {moved} seat(s) must leave the source {source.id!r} "
                f"({source.quantity} seats) a quantity SKU {source.sku.id!r} allows",
                event=event,
            )
        target = self.subs.get(target_id)
        if target is not None and target.cycle_end == event.on - _ONE_DAY:
            # The target's own boundary falls today but comes later in id order: cross it
            # first, so the seats move into the cycle the target is in today.
            self.boundary(target, event.on)
            target = self.subs.get(target_id)
        if target is None and target_id in self.ended:
            raise SubscriptionEndedError(
                f"target subscription {target_id!r} has ended ({self.ended[target_id]})",
                event=event,
            )
        if target is not None and (target.sku.id != new.id or target.trial or target.cancelled):
            raise IncompatibleSkuError(
                f"target subscription {target_id!r} is not a live paid subscription on SKU "
                f"{new.id!r}",
                event=event,
            )
        wanted = moved if target is None else target.quantity + moved
        if not new.allows(wanted):
            raise QuantityError(
                f"quantity {wanted} is outside the limits of SKU {new.id!r}", event=event
            )
        ref = source.reference(event)
        kind = ChargeType.CONVERT if target is None else ChargeType.MOVE_QUANTITY
        # The source is credited for the seats that leave it, from today to its cycle end.
        source.take_seats(moved)
        source.quantity = moved
        self.pricing.prorated(source, kind, event.on, ref, credit=True, rebill=target is None)
        source.quantity = left
        source.full_total = None
        if target is None:
            # A new subscription, coterminous with the source; it inherits the source's
            # cancellation window (the cancellation policy page) and customer.
            target = LiveSubscription(
                Purchase(
                    subscription_id=target_id,
                    on=event.on,
                    sku=new,
                    quantity=moved,
                    customer_id=source.customer_id,
                ),
                self.rulebook.trial_months,
                self.ends,
            )
            for name in ("anchor", "next_months", "term_end_months", "share"):
                setattr(target, name, getattr(source, name))
            target.cycle_start, target.cycle_end = source.cycle_start, source.cycle_end
            target.term_start, target.term_end = source.term_start, source.term_end
            target.auto_renew = source.auto_renew
            self.subs[target_id] = target
            self.schedule(target)
            self.pricing.prorated(target, kind, event.on, ref, credit=False)
        else:
            target.add_seats(event.on, moved)
            target.quantity = moved
            self.pricing.prorated(target, kind, event.on, ref, credit=False)
            target.quantity = wanted
            target.full_total = None
