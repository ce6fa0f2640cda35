"""What each operation does to the subscriptions of a run (docs/lifecycle.md,
docs/operations.md): purchases, cycle boundaries (renewals, cycle charges, trial ends,
changes taking effect at renewal), cancellations, seat changes, upgrades and conversions,
billing-plan changes. :class:`Book` keeps the run's subscriptions and boundaries;
:class:`Operations` applies one event or one boundary, checked first by
:mod:`licbill.refusals`, its lines made by :class:`licbill.pricing.Pricing`.
"""

from __future__ import annotations

import datetime as dt
import heapq

from ._memo import Memo
from .errors import (
    DuplicateEventError,
    DuplicateSubscriptionError,
    EventError,
    EventOrderError,
    IncompatibleSkuError,
    PlanAndQuantityError,
    QuantityError,
    ReservedEventIdError,
    SubscriptionEndedError,
    TrialError,
    UnknownSubscriptionError,
)
from .lines import ChargeType, ChargeTypeName
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
from .pricing import Pricing
from .refusals import (
    check_allows,
    check_custom_end,
    check_family,
    check_partial_upgrade,
    check_seats,
    check_upgrade,
    check_upgrade_target,
    check_window,
)
from .rulebooks import Rulebook, TrialConversion
from .subscription import LiveSubscription, is_generated_reference

__all__ = ["Book", "Operations"]

_ONE_DAY = dt.timedelta(days=1)


class Book:
    """The subscriptions of one run: the live ones, the ended ones (and why), the event ids
    applied, and the day each live one's cycle ends next.

    Cycle boundaries wait in one bucket of subscription ids per day (by ordinal), with a heap
    of those days: a day holds hundreds of renewals, and a bucket append is cheaper than a heap
    push. A bucket may hold a boundary its subscription left behind (a restarted cycle); the
    run skips those.
    """

    def __init__(self, purchased: dict[str, dt.date]) -> None:
        self.purchased = purchased
        self.subs: dict[str, LiveSubscription] = {}
        self.ended: dict[str, str] = {}
        self.event_ids: set[str] = set()
        self.days: list[int] = []
        self.due: dict[int, list[str]] = {}

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


class Operations:
    """Applies events and crosses cycle boundaries for the subscriptions of one :class:`Book`;
    every line goes to ``pricing.out``."""

    def __init__(
        self, rulebook: Rulebook, *, book: Book, pricing: Pricing, ends: Memo[dt.date]
    ) -> None:
        self.rulebook = rulebook
        self.book = book
        self.pricing = pricing
        self.ends = ends
        self.names = rulebook.spellings
        # The spellings of nearly every line, looked up once for the run.
        self.renew_name = self.names[ChargeType.RENEW]
        self.cycle_name = self.names[ChargeType.CYCLE_CHARGE]
        self.new_name = self.names[ChargeType.NEW]

    def boundary(self, sub: LiveSubscription, day: dt.date) -> None:
        """Cross the boundary at the end of *sub*'s cycle, which ended the day before *day*."""
        if sub.trial:
            if not sub.auto_renew:
                self.book.end(sub, f"its free trial ended on {sub.cycle_end} without auto-renew")
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
        sub.enter_next()
        if renews:
            sub.reset_seats(day)
        self.pricing.full_cycle(sub, name, day, sub.reference(None))
        self.book.schedule(sub)

    def changes_at_boundary(
        self, sub: LiveSubscription, day: dt.date, *, renews: bool
    ) -> ChargeTypeName | None:
        """Apply what takes effect at this boundary: the term's end, a pending billing-plan
        change, a scheduled change; return the charge type of the boundary's line, or None when
        the subscription ends here."""
        if renews and (sub.cancelled or not sub.auto_renew):
            why = "it was cancelled" if sub.cancelled else "auto-renew was off"
            self.book.end(sub, f"its term ended on {sub.term_end} and {why}")
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
        self.book.schedule(sub)

    # Events ---------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if event.event_id is not None:
            if event.event_id in self.book.event_ids:
                raise DuplicateEventError(
                    f"event id {event.event_id!r} was already applied", event=event
                )
            if is_generated_reference(event.event_id):
                raise ReservedEventIdError(
                    f"event id {event.event_id!r} has the form licbill reserves for generated "
                    "references (a hyphen and four or more digits at the end); choose another",
                    event=event,
                )
            self.book.event_ids.add(event.event_id)
        if isinstance(event, Purchase):
            self.purchase(event)
            return
        sub = self.book.subs.get(event.subscription_id)
        if sub is None:
            raise self.book.missing(event)
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

    def purchase(self, event: Purchase) -> None:
        if event.subscription_id in self.book.subs or event.subscription_id in self.book.ended:
            raise DuplicateSubscriptionError(
                f"subscription {event.subscription_id!r} was already purchased", event=event
            )
        check_allows(event.sku, event.quantity, event)
        if event.custom_term_end is not None:
            check_custom_end(event, event.custom_term_end, live=self.book.subs.values())
        sub = LiveSubscription(event, self.rulebook.trial_months, self.ends)
        self.book.subs[sub.id] = sub
        self.book.schedule(sub)
        ref = sub.reference(event)
        if sub.trial:
            self.pricing.out.append(self.pricing.trial_line(sub, ChargeType.NEW, event.on, ref))
        else:
            self.pricing.full_cycle(sub, self.new_name, event.on, ref)

    def cancel(self, sub: LiveSubscription, event: Cancel) -> None:
        ref = sub.reference(event)
        if sub.trial:
            self.book.end(sub, f"its free trial was cancelled on {event.on}")
            self.pricing.out.append(
                self.pricing.trial_line(sub, self.rulebook.trial_cancel, event.on, ref)
            )
            return
        since_renewal = (event.on - sub.term_start).days
        if since_renewal < self.rulebook.full_refund_days_for(sub.sku.billing):
            self.book.end(sub, f"it was cancelled with a full refund on {event.on}")
            self.pricing.full_refund(sub, event.on, ref)
        elif since_renewal < self.rulebook.prorated_refund_days:
            self.book.end(sub, f"it was cancelled with a prorated refund on {event.on}")
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
        check_allows(to, quantity, event)
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
        check_allows(new, sub.quantity, event)
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
        check_allows(new, sub.quantity, event)
        ref = sub.reference(event)
        self.pricing.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=True, rebill=True)
        # A mid-term upgrade clears a scheduled change and a pending billing-plan change.
        sub.pending = sub.pending_plan = None
        sub.set_sku(new, event.on)
        if (new.term, new.billing) != (old.term, old.billing):
            # A longer term or another billing frequency: the new term starts today.
            sub.restart(event.on)
            sub.reset_seats(event.on)
            self.book.schedule(sub)
            self.pricing.full_cycle(sub, self.names[ChargeType.CONVERT], event.on, ref)
        else:
            self.pricing.prorated(sub, ChargeType.CONVERT, event.on, ref, credit=False)

    def partial_upgrade(self, source: LiveSubscription, event: ConvertSku, target_id: str) -> None:
        new = event.to
        moved, left = check_partial_upgrade(source, event)
        target = self.book.subs.get(target_id)
        if target is not None and target.cycle_end < event.on:
            # The target's own boundary falls today but comes later in id order: cross it
            # first, so the seats move into the cycle the target is in today.
            self.boundary(target, event.on)
            target = self.book.subs.get(target_id)
        wanted = check_upgrade_target(
            target, event, target_id=target_id, ended=self.book.ended.get(target_id)
        )
        ref = source.reference(event)
        kind = ChargeType.CONVERT if target is None else ChargeType.MOVE_QUANTITY
        # The source is credited for the seats that leave it, from today to its cycle end.
        source.take_seats(moved)
        source.quantity = moved
        self.pricing.prorated(source, kind, event.on, ref, credit=True, rebill=target is None)
        source.quantity = left
        if target is None:
            target = source.split(subscription_id=target_id, sku=new, seats=moved, on=event.on)
            self.book.subs[target_id] = target
            self.book.schedule(target)
            self.pricing.prorated(target, kind, event.on, ref, credit=False)
        else:
            target.add_seats(event.on, moved)
            target.quantity = moved
            self.pricing.prorated(target, kind, event.on, ref, credit=False)
            target.quantity = wanted
