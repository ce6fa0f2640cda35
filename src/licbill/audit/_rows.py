"""The lines under audit: each with its row in the file, and the kinds of line the checks tell
apart (what opens a cycle, starts a term or cancels; a workspace invoice line)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import attrs

from ..errors import InvalidTypeError
from ..lines import ChargeLine, ChargeType
from ..workspace import UserKind

__all__ = [
    "CANCELS",
    "CYCLE_STARTS",
    "DAY",
    "OPENS",
    "TERM_STARTS",
    "ReconRow",
    "as_rows",
    "is_workspace_line",
]

DAY: Final = dt.timedelta(days=1)

#: The charge types of a cancellation.
CANCELS: Final = frozenset({ChargeType.CANCEL, ChargeType.CANCEL_IMMEDIATE})
#: The charge types of a line that may start a term.
TERM_STARTS: Final = frozenset({ChargeType.NEW, ChargeType.RENEW, ChargeType.CONVERT})
#: Lines dated on the first day of the cycle they charge.
OPENS: Final = frozenset(
    {ChargeType.NEW, ChargeType.RENEW, ChargeType.CYCLE_CHARGE, ChargeType.CHANGE_BILLING_PLAN}
)
#: Lines that charge a whole cycle from its first day (a short one included).
CYCLE_STARTS: Final = frozenset(
    {
        ChargeType.NEW,
        ChargeType.RENEW,
        ChargeType.CYCLE_CHARGE,
        ChargeType.CONVERT,
        ChargeType.CHANGE_BILLING_PLAN,
    }
)


@attrs.frozen(kw_only=True)
class ReconRow:
    """One row of a reconciliation file: its line number in the file and its charge line.

    ``given`` names the optional facts the file carried: ``"eup"`` (an effective unit price),
    ``"start"`` (a subscription start date), ``"end"`` (a subscription end date) and ``"term"``
    (a term and billing frequency). Checks that need a fact the file lacks are skipped or use
    the documented fallback (docs/audit.md).
    """

    row: int
    line: ChargeLine
    given: frozenset[str] = frozenset({"eup", "start", "end", "term"})


def as_rows(lines: Iterable[ChargeLine | ReconRow]) -> list[ReconRow]:
    """*lines* as rows: recon rows as they are, charge lines numbered as a file would hold them."""
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise InvalidTypeError(f"lines must be charge lines or recon rows, not {lines!r}")
    found = []
    for number, item in enumerate(lines, start=2):
        if isinstance(item, ReconRow):
            found.append(item)
        elif isinstance(item, ChargeLine):
            # Numbered as write_csv would write them: the header is row 1.
            found.append(ReconRow(row=number, line=item))
        else:
            raise InvalidTypeError(f"not a charge line or recon row: {item!r}")
    return found


def is_workspace_line(line: ChargeLine) -> bool:
    """Whether *line* is a workspace invoice line (docs/workspace.md, "The invoice as charge
    lines"): a ``cycleCharge`` over one whole calendar month, SKU ``<product>-<kind>`` of a user
    kind, reference id ``<workspace>-<YYYY-MM>-<product>-<kind>``."""
    start, end = line.charge_start, line.charge_end
    return (
        line.charge_type.kind is ChargeType.CYCLE_CHARGE
        and start.day == 1
        and (end + DAY).day == 1
        and (start.year, start.month) == (end.year, end.month)
        and any(line.sku_id == f"{line.product_id}-{kind.value}" for kind in UserKind)
        and line.reference_id == f"{line.subscription_id}-{start:%Y-%m}-{line.sku_id}"
    )
