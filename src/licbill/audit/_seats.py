"""Seats: no seat charged twice for the same days, refunds giving back the seats in force,
seats moved between subscriptions, and one workspace invoice line per product and user kind
a month (docs/audit.md)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

from ..lines import ChargeLine, ChargeType
from ._cycles import Cycles
from ._findings import Finding, Rule, finding
from ._rows import CANCELS, DAY, ReconRow, is_workspace_line

__all__ = ["overlap_findings", "workspace_line_findings"]


def overlap_findings(rows: Sequence[ReconRow], cycles: Cycles) -> Iterator[Finding]:
    """The findings of seats charged twice (or refunded unequally) for the same days."""
    spans = _seat_spans(rows, cycles)
    bounds = sorted({start for _, start, _ in spans} | {end + DAY for _, _, end in spans})
    reported: set[int] = set()
    moves = _moves(rows)
    for first, after in itertools.pairwise(bounds):
        covering = [(r, end) for r, start, end in spans if start <= first <= end]
        if any(r.line.total.amount == 0 for r, _ in covering):
            continue  # a zero total has no sign: the seats of these days are unknown
        seats = 0
        done: list[ChargeLine] = []
        for row, end in covering:
            line = row.line
            credit = line.total.amount < 0
            done.append(line)
            if line.charge_type.kind in CANCELS and any(
                other.quantity == line.quantity and other.total == -line.total
                for other in done[:-1]
                if other.charge_type.kind not in CANCELS
            ):
                # A refund line that reverses one earlier line gives back its seats.
                seats += -line.quantity if credit else line.quantity
                continue
            if credit and line.charge_type.kind in CANCELS:
                # A refund gives back the seats in force at the end of its period.
                last = after > end
                if last and seats != line.quantity and row.row not in reported:
                    reported.add(row.row)
                    yield finding(
                        row,
                        Rule.OVERLAP,
                        f"refunds {line.quantity} seats, but {seats} are charged for "
                        f"{first}..{after - DAY}",
                    )
                seats = 0
                continue
            seats += -line.quantity if credit else line.quantity
            expected = 0 if credit else line.quantity
            if row.row in moves:
                # Seats moved out may leave some behind; seats moved in join those there.
                expected = seats if seats >= 0 else 0
            if seats != expected and row.row not in reported:
                reported.add(row.row)
                yield finding(
                    row,
                    Rule.OVERLAP,
                    f"{seats} seats are charged for {first}..{after - DAY} after this "
                    f"line, not {expected}",
                )


def _seat_spans(
    rows: Sequence[ReconRow], cycles: Cycles
) -> list[tuple[ReconRow, dt.date, dt.date]]:
    """The priced lines with the first and last day whose seats each charges."""
    spans: list[tuple[ReconRow, dt.date, dt.date]] = []
    for row in rows:
        line = row.line
        if line.unit_price.amount == 0 or line.charge_end < line.charge_start:
            continue
        if is_workspace_line(line):
            continue  # seats per product and kind: checked by workspace_line_findings
        start, end = line.charge_start, line.charge_end
        full_price = line.effective_unit_price.amount.copy_abs() == line.unit_price.amount
        if start == end and full_price:
            # A one-day (custom-meter) line charges its whole cycle at the full price.
            # A one-day line on its cycle's last day (a prorated seat change) is that day,
            # at a fraction of the price: no cycle is 1 day long.
            cycle = cycles.cycle_of(line)
            if cycle is not None and cycle.end != end:
                start, end = cycle.start, cycle.end
        spans.append((row, start, end))
    return spans


def _moves(rows: Sequence[ReconRow]) -> set[int]:
    """The rows that move seats between subscriptions (docs/operations.md).

    A ``moveQuantity`` line, and a ``convert`` credit no ``convert`` charge of its
    reference id follows in this subscription (a partial upgrade's source).
    """
    moved: set[int] = set()
    for index, row in enumerate(rows):
        line = row.line
        kind = line.charge_type.kind
        # A partial upgrade's source: no convert charge of its reference id follows.
        source = (
            kind is ChargeType.CONVERT
            and line.total.amount < 0
            and not any(
                later.line.charge_type.kind is ChargeType.CONVERT
                and later.line.reference_id == line.reference_id
                and later.line.total.amount > 0
                for later in rows[index + 1 :]
            )
        )
        if source or kind is ChargeType.MOVE_QUANTITY:
            moved.add(row.row)
    return moved


def workspace_line_findings(rows: Sequence[ReconRow]) -> Iterator[Finding]:
    """A workspace invoice has one line per product and user kind a month."""
    seen: dict[tuple[str, dt.date], ReconRow] = {}
    for row in rows:
        line = row.line
        if not is_workspace_line(line):
            continue
        key = (line.sku_id, line.charge_start)
        first = seen.setdefault(key, row)
        if first is not row and first.line._replace(basis=None) != line._replace(basis=None):
            yield finding(
                row,
                Rule.OVERLAP,
                f"a second {line.sku_id} line for {line.charge_start:%Y-%m} (the first is "
                f"row {first.row}); a workspace invoice has one per product and user kind",
            )
