"""Amounts and credits: a total (and effective unit price) some rounding policy explains from
the line's price, days and quantity, and credits within what their cycle charged
(docs/audit.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from ..errors import LicbillError
from ..lines import ChargeLine
from ..money import Money, RoundingMode, decimal_context, round_div
from ..periods import add_months, inclusive_days, months_between, period_end
from ..proration import Rounding, effective_unit_price, prorate
from ..rulebooks import Rulebook
from ._cycles import Cycles
from ._findings import Finding, Rule, finding
from ._rows import DAY, OPENS, ReconRow, is_workspace_line

__all__ = ["amount_findings"]


def amount_findings(
    rows: Sequence[ReconRow], cycles: Cycles, *, rulebook: Rulebook | None
) -> Iterator[Finding]:
    """The findings of amounts no rounding policy explains and of credits exceeding charges.

    With a *rulebook*, amounts follow its rounding policy; without one, any of the six.
    """
    policies = tuple(Rounding) if rulebook is None else (rulebook.rounding,)
    ctx = decimal_context()  # licbill's context, never the caller's
    net: dict[Any, Decimal] = {}
    charged: dict[Any, list[_Charged]] = {}
    for row in rows:
        line = row.line
        one_day = line.charge_start == line.charge_end
        cycle = cycles.cycle_of(line) if one_day else None
        # All the lines of a cycle end with it.
        key = cycle.end if cycle is not None else line.charge_end
        before = net.get(key, Decimal(0))
        amount = line.total.amount
        if line.charge_start <= line.charge_end and not _reverses(
            line, before, charged.get(key, [])
        ):
            yield from _amount(row, cycles, policies)
        charged.setdefault(key, []).append(
            (amount, line.quantity, line.charge_start, line.charge_end)
        )
        net[key] = ctx.add(before, amount)
        if amount < 0 and net[key] < 0:
            yield finding(
                row,
                Rule.CREDIT,
                f"the credit {line.total} exceeds the {before} {line.currency} charged "
                f"before it in the cycle ending {key}",
            )


def _amount(row: ReconRow, cycles: Cycles, policies: Sequence[Rounding]) -> Iterator[Finding]:
    line = row.line
    price, quantity = line.unit_price, line.quantity
    candidates = _spans(cycles, line)
    if is_workspace_line(line):
        # Seats at the unit price, or seat-days at the price of one seat-day (its
        # effective unit price); the invoice's own rounding policy may be any.
        days = line.charge_end.day
        candidates = [_Span(1, 1, "whole seats"), _Span(1, days, f"seat-days of {days}")]
        policies = tuple(Rounding)
    if not candidates:
        return
    want = abs(line.total)
    tried: list[str] = []
    matched: list[_Span] = []
    for span in candidates:
        span_days = {"billing_days": span.billing_days, "cycle_days": span.cycle_days}
        for policy in policies:
            got = prorate(unit_price=price, quantity=quantity, rounding=policy, **span_days)
            if got == want:
                matched.append(span)
                break
            tried.append(f"{policy.name} gives {got.amount}")
    if matched:
        eup = line.effective_unit_price
        if "eup" in row.given and not any(
            _eup_matches(eup, price, span.billing_days, span.cycle_days) for span in matched
        ):
            span = matched[0]
            yield finding(
                row,
                Rule.AMOUNT,
                f"the effective unit price {eup} is not "
                f"{price} / {span.cycle_days} days x {span.billing_days} days",
            )
        return
    span_text = ", ".join(span.text for span in candidates)
    yield finding(
        row,
        Rule.AMOUNT,
        f"the total {line.total} is not {price} x {quantity} over {span_text} under any "
        f"rounding policy tried: {'; '.join(tried)}",
    )


def _spans(cycles: Cycles, line: ChargeLine) -> list[_Span]:
    """The ways licbill's rules may price *line* (docs/audit.md)."""
    end = line.charge_end
    # A custom-meter line is at the full unit price; a one-day line may also be the first,
    # one-day cycle of a custom first term.
    one_day = [_Span(1, 1, "1 of 1 days")] if line.charge_start == end else []
    cycle = cycles.cycle_of(line) if one_day else None
    if cycle is not None:
        # A custom-meter line of a short cycle costs the cycle's share of the price.
        months = line.billing.cycle_months(line.term)
        share = months_between(start=cycle.start, end=cycle.end + DAY)
        if 0 < share < months:
            one_day.append(_Span(share, months, f"{share} of {months} months"))
        standard = inclusive_days(cycle.start, period_end(cycle.start, months))
        # Only a one-day cycle is the line's own: a custom-meter line is never priced by days
        # (custom meters have no custom term), and a one-day line of a longer short cycle
        # charges one of its days (a custom first term's two days, the end moved to the first,
        # charge 1 of 29 days, not the 2 of 29 the cycle costs).
        if cycle.days == 1 < standard and cycle.start in cycles.anchors:
            one_day.append(_Span(cycle.days, standard, f"{cycle.days} of {standard} days"))
    starts = dict.fromkeys(cycles.grid_starts(line))
    # A short cycle starts with its first line: a custom first term, or a billing-plan
    # change's share of a billing year.
    for start, row in cycles.starts.get(end, ()):
        other = row.line
        months = months_between(start=start, end=end + DAY)
        try:
            on_grid = any(
                add_months(anchor, months_between(start=anchor, end=start)) == start
                for anchor in cycles.anchors
            )
        except LicbillError:
            on_grid = False
        is_start = "start" in row.given and other.subscription_start == start
        if start <= line.charge_start and months >= 0 and (on_grid or is_start):
            starts[start] = None
    if line.charge_type.kind in OPENS and line.charge_start in starts:
        starts = {line.charge_start: None}  # a line that opens its cycle charges all of it
    months = line.billing.cycle_months(line.term)
    billing_days = inclusive_days(line.charge_start, end)
    spans: dict[tuple[int, int], str] = {}
    for start in starts:
        if start > line.charge_start:
            continue
        days = inclusive_days(start, end)
        spans.setdefault((billing_days, days), f"{billing_days} of {days} days")
        share = months_between(start=start, end=end + DAY)
        if 0 < share < months:
            spans.setdefault(
                (billing_days * share, days * months),
                f"{billing_days} of {days} days x {share}/{months} months",
            )
        if start in cycles.anchors:
            # A custom first term's short cycle is priced by days of a standard one.
            standard = inclusive_days(start, period_end(start, months))
            spans.setdefault(
                (billing_days, standard), f"{billing_days} of a standard {standard} days"
            )
    return one_day + [_Span(b, c, text) for (b, c), text in spans.items() if 0 < b <= c]


#: An earlier line of a cycle, as a credit may reverse it: total, quantity, charge start and end.
_Charged: TypeAlias = tuple[Decimal, int, dt.date, dt.date]


@attrs.frozen
class _Span:
    """A way to price a line: days charged over days of the cycle, and how to say it."""

    billing_days: int
    cycle_days: int
    text: str


def _reverses(line: ChargeLine, before: Decimal, charged: Sequence[_Charged]) -> bool:
    """Whether the credit *line* gives back charges of its cycle, so is not re-priced.

    *charged* holds the total, quantity and charge period of each earlier line of the cycle,
    *before* their sum. A full refund reverses each line with a line of the opposite total and
    the same quantity and period; a refund of the whole cycle in one line, where no single line
    has the opposite total, is what the cycle charged so far. A line of the opposite total but
    another quantity or period reverses nothing: it is priced like any credit (a conversion's
    credit over the cycle's last two days may come to a charge's opposite) (docs/audit.md).
    """
    amount = line.total.amount
    if amount >= 0:
        return False
    back = amount.copy_negate()
    if (back, line.quantity, line.charge_start, line.charge_end) in charged:
        return True
    return back == before and all(total != back for total, *_ in charged)


def _eup_matches(given: Money, unit_price: Money, billing_days: int, cycle_days: int) -> bool:
    # The file may show licbill's effective unit price, the exact prorated price, or the price
    # rounded to the places it prints. Exact integers only: no caller's context rounds here.
    if (
        given.amount.copy_abs()
        == effective_unit_price(
            unit_price=unit_price, billing_days=billing_days, cycle_days=cycle_days
        ).amount
    ):
        return True
    _sign, digits, exponent = given.amount.as_tuple()
    assert isinstance(exponent, int)  # a Money amount is finite
    target = int("".join(map(str, digits)) or "0") * 10 ** max(exponent, 0)
    places = max(-exponent, 0)
    numerator, denominator = unit_price.amount.as_integer_ratio()
    numerator *= billing_days * 10**places
    denominator *= cycle_days
    if numerator == target * denominator:
        return True
    return any(round_div(numerator, denominator, mode) == target for mode in RoundingMode)
