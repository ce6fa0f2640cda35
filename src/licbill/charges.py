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
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, SupportsIndex, overload

import attrs

from ._calendar import period_end
from ._collector import collector_paused
from ._memo import Memo
from .errors import (
    EventOrderError,
    InvalidTypeError,
    InvalidValueError,
)
from .lines import ChargeLine
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
)
from .operations import Book, Operations
from .periods import check_date
from .pricing import Pricing
from .rulebooks import Rulebook
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
    refuses (see :mod:`licbill.errors`); nothing is skipped silently. The cyclic garbage
    collector is paused while the lines pile up, and switched on again when the call returns
    or raises, if it was on (docs/scale-out.md).
    """
    _check_run(through, rulebook)
    ordered = sorted(_checked_events(events), key=_event_day)
    with collector_paused():
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
    and whatever :func:`charge_lines` raises for the events. Pauses the garbage collector
    while it bills, as :func:`charge_lines` does.
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
    with collector_paused():
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


class _Engine:
    """One billing run: the day loop over date-ordered events and the boundaries between
    them. What each event or boundary does is :class:`~licbill.operations.Operations`; the
    lines come from ``pricing`` (its ``out``); ``run`` hands each day's lines on."""

    def __init__(
        self, rulebook: Rulebook, through: dt.date, purchased: dict[str, dt.date] | None = None
    ) -> None:
        self.through = through
        self.book = Book(purchased or {})
        self.pricing = Pricing(rulebook)
        # Every subscription of the run shares the table of cycle ends (licbill._memo): without
        # it a run took 1.08 to 1.17 (mixed), 1.20 to 1.33 (steady) times as long (two runs of
        # ``python bench/engine_ablation.py --subscriptions 3000``; with 20,000, 1.25 and 1.28;
        # 2026-11-23).
        self.ends: Memo[dt.date] = Memo(period_end)
        self.operations = Operations(rulebook, book=self.book, pricing=self.pricing, ends=self.ends)

    def restore(self, state: RunState) -> None:
        """Take up a run where *state* left it: the boundary heap holds each live
        subscription's next boundary (the stale entries a run may carry never act)."""
        book = self.book
        for sub_state in state.subscriptions:
            sub = LiveSubscription.restore(sub_state, self.ends)
            book.subs[sub.id] = sub
            book.schedule(sub)
        book.ended = dict(state.ended)
        book.event_ids = set(state.event_ids)

    def snapshot(self) -> RunState:
        book = self.book
        return RunState(
            subscriptions=tuple(book.subs[sub_id].snapshot() for sub_id in sorted(book.subs)),
            ended=tuple(sorted(book.ended.items())),
            event_ids=frozenset(book.event_ids),
        )

    # The run --------------------------------------------------------------------------------

    def run(self, events: Iterator[Event]) -> Iterator[ChargeLine]:
        """The lines of *events*, lazily, a day's batch at a time."""
        for batch in self.batches(events):
            yield from batch

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
        days, due, subs = self.book.days, self.book.due, self.book.subs
        boundary = self.operations.boundary
        last = day.toordinal() if inclusive else day.toordinal() - 1
        while days and days[0] <= last:
            when = heapq.heappop(days)
            on = dt.date.fromordinal(when)
            eve = on - _ONE_DAY
            for sub_id in sorted(due.pop(when)):
                sub = subs.get(sub_id)
                # A subscription whose cycle was restarted left this boundary behind.
                if sub is not None and sub.cycle_end == eve:
                    boundary(sub, on)
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
        book, operations = self.book, self.operations
        due: set[str] = set()
        if book.days and book.days[0] == today:
            heapq.heappop(book.days)
            due.update(book.due.pop(today))
        # Only a day with boundaries has an eve to compare with (1-1-1 has none).
        eve = day - _ONE_DAY if due else None
        subs = book.subs
        for sub_id in sorted(due | per_sub.keys()):
            if sub_id in due:
                sub = subs.get(sub_id)
                if sub is not None and sub.cycle_end == eve:
                    operations.boundary(sub, day)
            todays = per_sub.get(sub_id)
            if todays is not None:
                # A purchase always comes first among one subscription's events of one day
                # (a lone event needs no sort, nor a call of its key).
                if len(todays) > 1:
                    todays.sort(key=_not_a_purchase)
                for event in todays:
                    operations.apply(event)
        if self.pricing.out:
            yield self.flush()
