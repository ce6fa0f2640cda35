"""The rulebook's windows: seat reductions within the reduction window (newest seats first),
refunds within the refund windows of the term they fall in (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from ..lines import ChargeLine, ChargeType
from ..rulebooks import Rulebook
from ..subscription import take_newest_seats
from ._findings import Finding, Rule, finding
from ._rows import CANCELS, TERM_STARTS, ReconRow

__all__ = ["window_findings"]


def window_findings(
    rows: Sequence[ReconRow], *, anchor: dt.date, rulebook: Rulebook
) -> Iterator[Finding]:
    """The findings of seat reductions and refunds outside *rulebook*'s windows; the first
    term starts on *anchor*, the subscription start."""
    window = rulebook.reduction_window_days
    term_start = anchor
    # Seats by the day they were added, oldest first; a reduction takes the newest first.
    batches: list[list[Any]] = []
    previous: ReconRow | None = None
    pair: ReconRow | None = None  # the credit row of a seat change (its first row)
    for row in rows:
        line = row.line
        kind, amount = line.charge_type.kind, line.total.amount
        same_pair = pair is not None and pair.line.reference_id == line.reference_id
        if kind in (ChargeType.ADD_QUANTITY, ChargeType.REMOVE_QUANTITY):
            if pair is not None and same_pair and pair.line.charge_type.kind is kind:
                yield from _seat_change(rulebook, window, batches, pair, line)
                pair = None
            else:
                pair = row
        elif kind in TERM_STARTS | {ChargeType.CHANGE_BILLING_PLAN} and amount > 0:
            if _starts_term(row, previous):
                term_start = line.order_date
                batches[:] = [[line.order_date, line.quantity]]
        elif kind in (ChargeType.CONVERT, ChargeType.MOVE_QUANTITY) and amount < 0:
            pair = row
        elif kind is ChargeType.MOVE_QUANTITY and amount > 0:
            batches.append([line.order_date, line.quantity])
        if pair is not None and pair is not row and not same_pair:
            if pair.line.charge_type.kind in (ChargeType.CONVERT, ChargeType.MOVE_QUANTITY):
                # Seats moved to another subscription leave this one's, newest first.
                take_newest_seats(batches, pair.line.quantity)
            pair = None
        if amount < 0 and kind in CANCELS:
            yield from _refund(rulebook, row, term_start)
        previous = row


def _starts_term(row: ReconRow, previous: ReconRow | None) -> bool:
    """Whether the charge on *row* starts a term (docs/operations.md)."""
    line = row.line
    kind = line.charge_type.kind
    if kind in (ChargeType.NEW, ChargeType.RENEW):
        return True
    if kind not in (ChargeType.CONVERT, ChargeType.CHANGE_BILLING_PLAN):
        return False
    if previous is None:
        return kind is ChargeType.CONVERT  # a partial upgrade's new subscription
    if "end" in row.given and "end" in previous.given:
        # A trial that becomes paid, an upgrade to a longer term, a plan change at renewal.
        return line.subscription_end != previous.line.subscription_end
    return kind is ChargeType.CONVERT and "Trial" in previous.line.product_qualifiers


def _seat_change(
    rulebook: Rulebook,
    window: int | None,
    batches: list[list[Any]],
    first: ReconRow,
    second: ChargeLine,
) -> Iterator[Finding]:
    # A seat change credits the old quantity, then charges the new one.
    change = second.quantity - first.line.quantity
    day = second.order_date
    if change > 0:
        batches.append([day, change])
        return
    for added, _count in take_newest_seats(batches, -change):
        since = (day - added).days
        if window is not None and since > window:
            yield finding(
                first,
                Rule.REDUCTION_WINDOW,
                f"{-change} seat(s) removed {since} days after the newest of them were "
                f"added on {added}; the {rulebook.name} window is {window} days",
            )
            return


def _refund(rulebook: Rulebook, row: ReconRow, term_start: dt.date) -> Iterator[Finding]:
    line = row.line
    full_days = rulebook.full_refund_days_for(line.billing)
    refund_days = max(full_days, rulebook.prorated_refund_days)
    since = (line.order_date - term_start).days
    if since >= refund_days:
        yield finding(
            row,
            Rule.REFUND_WINDOW,
            f"a refund {since} days after the term started on {term_start}; "
            f"{rulebook.name} refunds only within {refund_days} days",
        )
    elif since >= full_days and line.charge_start < line.order_date:
        yield finding(
            row,
            Rule.REFUND_WINDOW,
            f"a full refund from {line.charge_start}, {since} days after the term "
            f"started on {term_start}; {rulebook.name} refunds in full only within "
            f"{full_days} days",
        )
