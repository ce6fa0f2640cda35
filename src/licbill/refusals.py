"""What the rulebook refuses: the checks an operation must pass before it changes anything.

Each raises a licbill error naming the event (docs/errors.md); the rules are stated in
docs/operations.md (custom term ends, seat changes and their reduction window, upgrades).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ._calendar import add_months, period_end
from .errors import (
    CurrencyMismatchError,
    IncompatibleSkuError,
    InvalidValueError,
    QuantityError,
    SameSkuError,
    SubscriptionEndedError,
)
from .models import ConvertSku, Event, Purchase, Sku, SkuKind
from .subscription import LiveSubscription

__all__ = [
    "check_allows",
    "check_custom_end",
    "check_family",
    "check_partial_upgrade",
    "check_seats",
    "check_upgrade",
    "check_upgrade_target",
    "check_window",
    "coterm_end",
]

_ONE_DAY = dt.timedelta(days=1)


def check_custom_end(event: Purchase, end: dt.date, *, live: Iterable[LiveSubscription]) -> None:
    # "Align subscription end dates" (docs/operations.md): the last day of the calendar
    # month that ends the first term, or the term end of another live subscription.
    sku = event.sku
    if event.trial or sku.kind is SkuKind.CUSTOM_METER:
        raise InvalidValueError(
            "only a paid licence-based subscription can have a custom term end, not a free "
            f"trial or a custom-meter SKU: {event!r}"
        )
    standard = period_end(event.on, sku.term.months)
    if not event.on <= end <= standard:
        raise InvalidValueError(
            f"custom_term_end {end} must lie within the first term, from the purchase day "
            f"{event.on} to {standard}: {event!r}"
        )
    calendar = add_months(event.on.replace(day=1), sku.term.months) - _ONE_DAY
    if end == calendar:
        return
    month_end = (end + _ONE_DAY).day == 1
    for other in live:
        if other.trial or not coterm_end(other, end):
            continue
        if sku.term.months > 1 and other.sku.term.months == 1:
            continue  # annual and triennial terms never coterminate with a monthly one
        if sku.term.months == 1 and end.day >= 28 and not month_end:
            continue  # a monthly term aligns with a 28th-30th only at a month's end
        return
    raise InvalidValueError(
        f"custom_term_end {end} is neither the calendar-month end of the first term "
        f"({calendar}) nor the term end of another subscription it may coterminate "
        f"with: {event!r}"
    )


def coterm_end(other: LiveSubscription, end: dt.date) -> bool:
    # The other subscription's term end, or one of its later term ends if it renews.
    months = other.term_end_months
    candidate = other.term_end
    while candidate < end:
        months += other.term_months
        candidate = period_end(other.anchor, months)
    return candidate == end


def check_seats(sub: LiveSubscription, quantity: int, event: Event) -> None:
    sku = sub.sku
    if sku.kind is not SkuKind.PER_SEAT:
        raise QuantityError(f"SKU {sku.id!r} is {sku.kind.value}: it has no seats", event=event)
    if quantity == sub.quantity:
        raise QuantityError(f"the quantity is already {sub.quantity}", event=event)
    if not sku.allows(quantity):
        raise QuantityError(
            f"quantity {quantity} is outside the limits of SKU {sku.id!r} "
            f"({sku.min_quantity}..{sku.max_quantity or 'no maximum'})",
            event=event,
        )


def check_window(sub: LiveSubscription, seats: int, event: Event, *, window: int | None) -> None:
    # The newest seats go first; each must lie within its window (docs/operations.md).
    if window is None:
        return
    left = seats
    for added, count in reversed(sub.batches):
        if (event.on - added).days > window:
            closed = added + dt.timedelta(days=window)
            raise QuantityError(
                f"{seats} seat(s) cannot be removed: seats added on {added} could be removed "
                f"until {closed}, when their {window}-day reduction window closed; a "
                "reduction at renewal is a ScheduleChange",
                event=event,
            )
        left -= count
        if left <= 0:
            return


def check_family(old: Sku, new: Sku, event: Event, *, same_plan: bool) -> None:
    if new.unit_price.currency != old.unit_price.currency:
        raise CurrencyMismatchError(
            f"cannot convert {old.id!r} ({old.unit_price.currency}) to {new.id!r} "
            f"({new.unit_price.currency}): {event!r}"
        )
    if new.kind is not old.kind or (
        same_plan and (new.term, new.billing) != (old.term, old.billing)
    ):
        raise IncompatibleSkuError(
            f"SKU {new.id!r} ({new.term.name}, {new.billing.value}, {new.kind.value}) does not "
            f"share term, billing and kind with {old.id!r} ({old.term.name}, "
            f"{old.billing.value}, {old.kind.value})",
            event=event,
        )


def check_upgrade(sub: LiveSubscription, event: ConvertSku) -> None:
    old, new = sub.sku, event.to
    if new.id == old.id:
        raise SameSkuError(f"subscription {sub.id!r} already has SKU {old.id!r}", event=event)
    check_family(old, new, event, same_plan=False)
    if new.term.months < old.term.months:
        raise IncompatibleSkuError(
            f"an upgrade cannot shorten the term: SKU {new.id!r} is {new.term.name}, "
            f"{old.id!r} is {old.term.name}",
            event=event,
        )


def check_partial_upgrade(source: LiveSubscription, event: ConvertSku) -> tuple[int, int]:
    """The seats a partial upgrade moves out of *source* and the seats it leaves there."""
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
    return moved, left


def check_upgrade_target(
    target: LiveSubscription | None, event: ConvertSku, *, target_id: str, ended: str | None
) -> int:
    """The seats *target* holds after a partial upgrade moves ``event.quantity`` into it (a new
    subscription when *target* is None); *ended* is why the target ended, if it did."""
    new = event.to
    if target is None and ended is not None:
        raise SubscriptionEndedError(
            f"target subscription {target_id!r} has ended ({ended})", event=event
        )
    if target is not None and (target.sku.id != new.id or target.trial or target.cancelled):
        raise IncompatibleSkuError(
            f"target subscription {target_id!r} is not a live paid subscription on SKU {new.id!r}",
            event=event,
        )
    moved = event.quantity
    assert moved is not None  # ConvertSku requires it with a target
    wanted = moved if target is None else target.quantity + moved
    check_allows(new, wanted, event)
    return wanted


def check_allows(sku: Sku, quantity: int, event: Event) -> None:
    """*quantity* lies within *sku*'s limits (``Sku.allows``)."""
    if not sku.allows(quantity):
        raise QuantityError(
            f"quantity {quantity} is outside the limits of SKU {sku.id!r}", event=event
        )
