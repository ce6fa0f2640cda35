"""Reconciling: the lines licbill makes from a partner's own events against a received file,
matched by subscription, charge type and period (docs/audit.md)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from ..lines import ChargeLine, ChargeType
from ..money import Money
from ._rows import ReconRow, as_rows

__all__ = ["Difference", "DifferenceKind", "reconcile"]


class DifferenceKind(enum.Enum):
    """How a received line differs from the expected ones."""

    #: Expected, but not in the file.
    MISSING = "missing"
    #: In the file, but not expected.
    EXTRA = "extra"
    #: In both, with another amount, quantity or unit price.
    DIFFERING = "differing"


@attrs.frozen(kw_only=True)
class Difference:
    """One difference between expected lines and a received file.

    Lines are matched by subscription, charge type and charge period. ``expected`` and
    ``actual`` are the lines (``None`` for a missing or extra one), ``row`` the file row of
    the actual line, and ``amount`` the actual total minus the expected one (a missing line
    counts as zero).
    """

    kind: DifferenceKind
    subscription_id: str
    charge_type: ChargeType
    charge_start: dt.date
    charge_end: dt.date
    expected: ChargeLine | None
    actual: ChargeLine | None
    row: int | None
    amount: Money | None

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        what = f"{self.subscription_id} {self.charge_type.value} "
        what += f"{self.charge_start}..{self.charge_end}"
        amount = "" if self.amount is None else f", difference {self.amount}"
        return f"{where}{self.kind.value} {what}{amount}"


def reconcile(
    expected: Iterable[ChargeLine | ReconRow], actual: Iterable[ChargeLine | ReconRow]
) -> tuple[Difference, ...]:
    """Compare the *expected* lines with the *actual* ones; return the differences.

    Lines are matched by subscription, charge type and charge period; within one match,
    equal lines pair first, then the rest in order. Empty when they agree.
    """
    wanted = _group(as_rows(expected))
    received = _group(as_rows(actual))
    differences: list[Difference] = []
    for key in dict.fromkeys([*wanted, *received]):
        left, right = list(wanted.get(key, ())), list(received.get(key, ()))
        for row in list(right):
            same = next((w for w in left if _same(w.line, row.line)), None)
            if same is not None:
                left.remove(same)
                right.remove(row)
        for index in range(max(len(left), len(right))):
            exp = left[index].line if index < len(left) else None
            act = right[index] if index < len(right) else None
            differences.append(_difference(key, exp, act))
    return tuple(differences)


_Key = tuple[str, ChargeType, dt.date, dt.date]


def _group(rows: list[ReconRow]) -> dict[_Key, list[ReconRow]]:
    groups: dict[_Key, list[ReconRow]] = {}
    for row in rows:
        line = row.line
        key = (line.subscription_id, line.charge_type.kind, line.charge_start, line.charge_end)
        groups.setdefault(key, []).append(row)
    return groups


def _same(left: ChargeLine, right: ChargeLine) -> bool:
    return (left.total, left.quantity, left.unit_price) == (
        right.total,
        right.quantity,
        right.unit_price,
    )


def _difference(key: _Key, expected: ChargeLine | None, actual: ReconRow | None) -> Difference:
    line = actual.line if actual is not None else None
    if expected is None:
        kind, amount = DifferenceKind.EXTRA, line.total if line else None
    elif line is None:
        kind, amount = DifferenceKind.MISSING, -expected.total
    else:
        kind = DifferenceKind.DIFFERING
        same_currency = expected.currency == line.currency
        amount = line.total - expected.total if same_currency else None
    return Difference(
        kind=kind,
        subscription_id=key[0],
        charge_type=key[1],
        charge_start=key[2],
        charge_end=key[3],
        expected=expected,
        actual=line,
        row=actual.row if actual is not None else None,
        amount=amount,
    )
