"""What the audit reports: the rules it checks and a finding naming the row that breaks one."""

from __future__ import annotations

import enum
from typing import Final

import attrs

from ._rows import ReconRow

__all__ = ["FINDING_COLUMNS", "Finding", "Rule", "finding"]


class Rule(enum.Enum):
    """The rules :func:`check` enforces; each finding names one."""

    #: An effective unit price or total that no rounding policy explains.
    AMOUNT = "amount"
    #: A charge period that breaks the term and cycle rules.
    PERIOD = "period"
    #: Credits exceeding the charges they reverse, per subscription and cycle.
    CREDIT = "credit"
    #: A seat reduction outside the rulebook's reduction window.
    REDUCTION_WINDOW = "reduction-window"
    #: A refund outside the rulebook's refund windows.
    REFUND_WINDOW = "refund-window"
    #: The same line twice.
    DUPLICATE = "duplicate"
    #: Seats charged twice for the same days.
    OVERLAP = "overlap"
    #: A line after the subscription was cancelled.
    AFTER_CANCEL = "after-cancel"
    #: More than one currency within a subscription.
    CURRENCY = "currency"


#: The keys of :meth:`Finding.to_record`, in order (the CLI's CSV and table columns).
FINDING_COLUMNS: Final = ("row", "reference_id", "subscription_id", "rule", "message")


@attrs.frozen(kw_only=True)
class Finding:
    """A rule a line breaks: its row number, reference id, subscription and what is wrong."""

    row: int
    reference_id: str
    subscription_id: str
    rule: Rule
    message: str

    def to_record(self) -> dict[str, str | int]:
        """The finding as a plain dict (for CSV or JSON)."""
        return {
            "row": self.row,
            "reference_id": self.reference_id,
            "subscription_id": self.subscription_id,
            "rule": self.rule.value,
            "message": self.message,
        }

    def __str__(self) -> str:
        ref = f" ({self.reference_id})" if self.reference_id else ""
        return f"row {self.row}{ref}, {self.subscription_id}: {self.rule.value}: {self.message}"


def finding(row: ReconRow, rule: Rule, message: str) -> Finding:
    """The finding that *row* breaks *rule*, said by *message*."""
    line = row.line
    return Finding(
        row=row.row,
        reference_id=line.reference_id,
        subscription_id=line.subscription_id,
        rule=rule,
        message=message,
    )
