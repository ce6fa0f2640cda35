"""The order and sameness of lines: one currency a subscription, no line twice, nothing after a
cancellation (docs/audit.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Final

from ..lines import ChargeLine
from ..money import Money
from ._findings import Finding, Rule, finding
from ._rows import CANCELS, ReconRow

__all__ = ["after_cancel_findings", "currency_findings", "duplicate_findings"]


def currency_findings(rows: Sequence[ReconRow]) -> Iterator[Finding]:
    """The findings of lines in another currency than the subscription's first."""
    currency = rows[0].line.currency
    for row in rows[1:]:
        if row.line.currency != currency:
            yield finding(
                row,
                Rule.CURRENCY,
                f"in {row.line.currency}, while the subscription's first line (row "
                f"{rows[0].row}) is in {currency}",
            )


def after_cancel_findings(rows: Sequence[ReconRow]) -> Iterator[Finding]:
    """The findings of lines after the subscription was cancelled."""
    cancel: ReconRow | None = None
    for row in rows:
        line = row.line
        if cancel is not None:
            ref = cancel.line.reference_id
            if line.reference_id != ref or (not ref and line.order_date > cancel.line.order_date):
                yield finding(
                    row,
                    Rule.AFTER_CANCEL,
                    f"the subscription was cancelled on row {cancel.row} "
                    f"({cancel.line.order_date})",
                )
        elif line.charge_type.kind in CANCELS and line.total.amount <= 0:
            cancel = row


def duplicate_findings(rows: Sequence[ReconRow]) -> Iterator[Finding]:
    """The findings of lines that repeat an earlier one field for field.

    A full refund reverses each line of its cycle with one of its own, and the file has no
    column naming the line reversed: two refund lines are alike when the lines they reverse
    are (a subscription bought, converted to another SKU and back, and cancelled, all on one
    day). A refund line repeats cleanly as often as earlier lines it may reverse.
    """
    seen: dict[ChargeLine, int] = {}
    times: dict[ChargeLine, int] = {}
    reversible: Counter[tuple[object, ...]] = Counter()
    for row in rows:
        line = row.line
        refund = line.charge_type.kind in CANCELS
        if not refund:
            reversible[_reversal(line, -line.total)] += 1
        key = line._replace(basis=None)
        if key not in seen:
            seen[key] = row.row
            continue
        times[key] = times.get(key, 1) + 1
        if refund and times[key] <= reversible[_reversal(line, line.total)]:
            continue
        yield finding(row, Rule.DUPLICATE, f"repeats row {seen[key]} field for field")


#: The fields a full refund's line has of its own; it keeps the others of the line it reverses.
_REFUND_OWN: Final = frozenset(
    {
        "order_date",
        "effective_unit_price",
        "total",
        "charge_type",
        "reference_id",
        "reverses",
        "basis",
    }
)


def _reversal(line: ChargeLine, total: Money) -> tuple[object, ...]:
    """What a refund line of *total* reversing *line*, or *line* itself, shares with the other."""
    kept = (
        value
        for field, value in zip(ChargeLine._fields, line, strict=True)
        if field not in _REFUND_OWN
    )
    return (*kept, total, line.effective_unit_price.amount.copy_abs())
