"""The order and sameness of lines: one currency a subscription, no line twice, nothing after a
cancellation (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..lines import ChargeLine
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
    """The findings of lines that repeat an earlier one field for field."""
    seen: dict[ChargeLine, int] = {}
    for row in rows:
        key = row.line._replace(basis=None)
        if key in seen:
            yield finding(row, Rule.DUPLICATE, f"repeats row {seen[key]} field for field")
        else:
            seen[key] = row.row
