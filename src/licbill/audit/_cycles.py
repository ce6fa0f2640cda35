"""A subscription's cycles and terms as its lines show them: the anchors its cycles count
from, the grids that reach a term's end, the cycle of a one-day line, and the period checks
(docs/operations.md, docs/audit.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, TypeAlias

import attrs

from ..errors import LicbillError
from ..lines import ChargeLine, ChargeType
from ..periods import Period, add_months, months_between, period_end
from ._findings import Finding, Rule, finding
from ._rows import CYCLE_STARTS, DAY, OPENS, TERM_STARTS, ReconRow

__all__ = [
    "CycleStarts",
    "Cycles",
    "cycle_starts",
    "cycles_of",
    "grid_months",
    "period_findings",
    "share_term_ends",
]

#: The charge types of the lines a partial upgrade's pair share a reference id on.
_MOVES: Final = frozenset({ChargeType.CONVERT, ChargeType.MOVE_QUANTITY})

#: The first days of the lines that may open a cycle, by their charge end (across the file).
CycleStarts: TypeAlias = Mapping[dt.date, Sequence[tuple[dt.date, ReconRow]]]


def cycle_starts(rows: Sequence[ReconRow]) -> dict[dt.date, list[tuple[dt.date, ReconRow]]]:
    """Index the first days of the lines that may open a cycle by their charge end."""
    starts: dict[dt.date, list[tuple[dt.date, ReconRow]]] = {}
    for row in rows:
        line = row.line
        if line.charge_type.kind in CYCLE_STARTS and line.charge_start < line.charge_end:
            starts.setdefault(line.charge_end, []).append((line.charge_start, row))
    return starts


def grid_months(anchor: dt.date, end: dt.date) -> int | None:
    """The *n* (any sign) with ``add_months(anchor, n) - 1 day == end``, or ``None``."""
    guess = months_between(start=anchor, end=end + DAY)
    for n in (guess, guess - 1, guess + 1):
        try:
            if add_months(anchor, n) - DAY == end:
                return n
        except LicbillError:
            continue
    return None


def _cycle_containing(anchor: dt.date, months: int, day: dt.date, offset: int) -> Period | None:
    """The cycle of *months* months, counted from *anchor* after *offset* months, holding *day*."""
    if day < add_months(anchor, offset):
        return None
    k = max((months_between(start=anchor, end=day) - offset) // months - 1, 0)
    while True:
        start = add_months(anchor, offset + k * months)
        end = period_end(anchor, offset + (k + 1) * months)
        if start <= day <= end:
            return Period(start, end)
        k += 1


@attrs.frozen(kw_only=True)
class Cycles:
    """Where the cycles of one subscription count from, as its lines show it.

    ``anchor`` is the subscription start (the given one, else the first charge); ``own`` the
    days its own lines start cycles on; ``after_ends`` the days after its term ends;
    ``anchors`` every day its cycles may count from (coterminous subscriptions' included);
    ``shared`` those lent by subscriptions that only end a term on the same day, no line
    tying them to this one (:func:`share_term_ends`); ``trials`` the months of a free trial
    before the paid cycles, by the anchor they follow (a partial upgrade's source's included);
    ``moves`` the reference ids of its ``convert`` and
    ``moveQuantity`` lines (a partial upgrade's pair share one); ``starts`` the file's index
    of cycle-opening lines (:func:`cycle_starts`).
    """

    anchor: dt.date
    own: tuple[dt.date, ...]
    after_ends: tuple[dt.date, ...]
    term_ends: tuple[dt.date, ...]
    anchors: tuple[dt.date, ...]
    trials: Mapping[dt.date, int] = attrs.field(eq=False)
    moves: frozenset[str]
    starts: CycleStarts = attrs.field(eq=False)
    shared: tuple[dt.date, ...] = ()

    def cycle_of(self, line: ChargeLine) -> Period | None:
        """The cycle of a one-day (custom-meter) line; ``None`` when no cycle holds it."""
        months = line.billing.cycle_months(line.term)
        day = line.charge_start
        grids = self.term_grids(line) if day <= line.charge_end else []
        # Of the grids that reach the term end, the latest anchor on or before the day rules
        # (two grids meet where a month end clamps: 2024-01-30 + 13 months is 2025-02-28).
        before = sorted((grid for grid in grids if grid[0] <= day), reverse=True)
        found: list[Period] = []
        for anchor, n in before + [grid for grid in grids if grid[0] > day]:
            for k in range(1, line.term.months // months + 1):
                start = add_months(anchor, n - k * months)
                if start <= day:
                    if line.charge_type.kind in OPENS:
                        start = day  # the line opens its cycle (a short one included)
                    end = add_months(anchor, n - (k - 1) * months) - DAY
                    if max(start, self.anchor) <= end:  # else the period check reports it
                        found.append(Period(max(start, self.anchor), end))
                    break
        if found:
            # A prorated line runs to its cycle's end: below the full price, the cycle that
            # ends on the line's last day is its own, whichever grid has it.
            prorated = line.effective_unit_price.amount.copy_abs() != line.unit_price.amount
            ending = [cycle for cycle in found if cycle.end == line.charge_end]
            return ending[0] if prorated and ending else found[0]
        # Else the latest anchor on or before the day counts the cycles the line falls in.
        for anchor in sorted((a for a in self.anchors if a <= day), reverse=True):
            offset = self.trials.get(anchor, 0)
            cycle = _cycle_containing(anchor, months, day, offset)
            if cycle is not None:
                return cycle
        return None

    def term_grids(self, line: ChargeLine) -> list[tuple[dt.date, int]]:
        """The anchors whose month grids reach the term end of *line*, with the end's index.

        The cycles of a term count back from its end, on the grid of an anchor that reaches
        the end: the subscription start, a new term's first day, a coterminous subscription's,
        or the day after the end (a custom first term) (docs/operations.md). Where month ends
        clamp, several grids reach one end (2024-01-30 + 13 months and 2024-02-29 + 12 months
        both end 2025-02-27): each is kept, and a period any of them explains is accepted.
        Empty when the line names no term end.

        A grid of this subscription (or of its partial upgrade's pair) that reaches the end a
        whole number of terms after its anchor (a trial's months aside) is a term's own and
        rules alone. Lent anchors count only where no such grid exists: bought 2019-02-28 and
        2020-02-29, both first terms end 2021-02-27 on different grids; a partial upgrade's
        new subscription from 2024-03-28 (11 months before its end 2025-02-27) bills in its
        source's cycles from 2024-02-29, even where no line in the file ties the two.
        """
        end = line.subscription_end
        if end is None or end >= dt.date.max or end < line.charge_start:
            return []
        own = self._reaching([a for a in self.anchors if a not in self.shared], end)
        whole = [
            (anchor, n)
            for anchor, n in own
            if (n - self.trials.get(anchor, 0)) % line.term.months == 0
        ]
        # The day after the end always reaches it: it counts only when no other anchor does.
        for grids in (whole, own + self._reaching(list(self.shared), end)):
            if grids:
                return grids
        after = [a for a in self.anchors if a in self.after_ends]
        return [(anchor, n) for anchor in after if (n := grid_months(anchor, end)) is not None]

    def _reaching(self, anchors: list[dt.date], end: dt.date) -> list[tuple[dt.date, int]]:
        """The *anchors* (days after a term end aside) whose grids reach *end*, with its index."""
        grids = []
        for anchor in anchors:
            n = None if anchor in self.after_ends else grid_months(anchor, end)
            if n is not None:
                grids.append((anchor, n))
        return grids

    def grid_starts(self, line: ChargeLine) -> list[dt.date]:
        """The first days of the standard cycles, counted from an anchor, that end with *line*."""
        months = line.billing.cycle_months(line.term)
        found = []
        grids = self.term_grids(line)
        for anchor in [grid[0] for grid in grids] or self.anchors:
            n = grid_months(anchor, line.charge_end)
            if n is not None:
                try:
                    found.append(add_months(anchor, n - months))
                except LicbillError:
                    continue
        return found


def cycles_of(rows: Sequence[ReconRow], starts: CycleStarts) -> Cycles:
    """The cycles of one subscription's *rows*, counted from its own lines alone."""
    first = rows[0].line
    given = [r.line.subscription_start for r in rows if "start" in r.given]
    given_starts = [day for day in given if day is not None]
    # Without a subscription start date, the subscription starts with its first charge.
    anchor = given_starts[0] if given_starts else min(r.line.charge_start for r in rows)
    # Cycles are counted from the subscription start, from the day after a term end (a
    # custom first term counts its cycles back from its end), or from the first day of a
    # term that starts mid-cycle (a trial converted early, an upgrade to a longer term).
    anchors = dict.fromkeys([anchor, *given_starts])
    ends: dict[dt.date, None] = {}
    for row in rows:
        line = row.line
        end = line.subscription_end if "end" in row.given else None
        starts_term = line.total.amount > 0
        if end is not None:
            # A charge starts a term when it shows a new term end, even at price zero (a trial
            # converted early to a free SKU: a `convert`, or a `renew` on the trial's last
            # day). A conversion keeping a term end an earlier line shows starts none (a
            # same-term upgrade keeps its cycles), though its day's grid may clamp onto the
            # end (2019-03-29 + 23 months is 2021-02-28, the day after the end 2021-02-27).
            starts_term = line.total.amount >= 0 and end not in ends
        if line.charge_type.kind in TERM_STARTS and starts_term:
            anchors[line.charge_start] = None
        if end is not None:
            ends[end] = None
    own = tuple(anchors)
    after_ends = tuple(end + DAY for end in ends if end < dt.date.max)
    # Paid cycles of a free trial count from the anchor after the trial's months.
    trials: dict[dt.date, int] = {}
    if "Trial" in first.product_qualifiers and first.charge_end >= anchor:
        trials[anchor] = months_between(start=anchor, end=first.charge_end + DAY)
    return Cycles(
        anchor=anchor,
        own=own,
        after_ends=after_ends,
        term_ends=tuple(ends),
        anchors=tuple(dict.fromkeys([*own, *after_ends])),
        trials=trials,
        moves=frozenset(
            row.line.reference_id
            for row in rows
            if row.line.charge_type.kind in _MOVES and row.line.reference_id
        ),
        starts=starts,
    )


def share_term_ends(subscriptions: Sequence[Cycles]) -> list[Cycles]:
    """*subscriptions* with the anchors of those ending their terms on the same day shared.

    A coterminous subscription (a partial upgrade's new one) bills in its source's cycles.
    The pair end a term on the same day and, where the file holds the upgrade's ``convert``
    lines or a later ``moveQuantity`` pair, share their reference id: their anchors are
    shared outright. A subscription that merely ends a term on the same day may be unrelated
    (bought 2019-02-28 and 2020-02-29, both end 2021-02-27): its anchors are only ``shared``,
    counted when the subscription's own reach no term end (:meth:`Cycles.term_grids`).
    """
    by_end: dict[dt.date, dict[dt.date, None]] = {}
    by_move: dict[str, list[Cycles]] = {}
    for sub in subscriptions:
        for end in sub.term_ends:
            by_end.setdefault(end, {}).update(dict.fromkeys(sub.own))
        for reference in sub.moves:
            by_move.setdefault(reference, []).append(sub)
    shared = []
    for sub in subscriptions:
        own = dict.fromkeys(sub.own)
        trials = dict(sub.trials)
        for pair in (pair for ref in sorted(sub.moves) for pair in by_move[ref]):
            if not set(pair.term_ends).isdisjoint(sub.term_ends):
                own.update(dict.fromkeys(pair.own))
                trials = {**pair.trials, **trials}
        lent = [day for end in sub.term_ends for day in by_end[end] if day not in own]
        anchors = tuple(dict.fromkeys([*own, *lent, *sub.after_ends]))
        shared.append(
            attrs.evolve(sub, anchors=anchors, shared=tuple(dict.fromkeys(lent)), trials=trials)
        )
    return shared


def period_findings(cycles: Cycles, row: ReconRow) -> Iterator[Finding]:
    """The findings of a charge period that breaks the term and cycle rules."""
    line = row.line
    start, end = line.charge_start, line.charge_end
    if end < start:
        yield finding(row, Rule.PERIOD, f"the charge period ends ({end}) before it starts")
        return
    if "end" in row.given and line.subscription_end and end > line.subscription_end:
        yield finding(
            row,
            Rule.PERIOD,
            f"the charge period ends {end}, after the term ends {line.subscription_end}",
        )
        return
    if start < cycles.anchor:
        yield finding(
            row,
            Rule.PERIOD,
            f"the charge starts {start}, before the subscription {cycles.anchor}",
        )
        return
    if start == end:
        return  # one day: a custom-meter line, dated on its event
    starts = cycles.grid_starts(line)
    if not starts:
        counted = ", ".join(str(anchor) for anchor in cycles.anchors)
        yield finding(
            row,
            Rule.PERIOD,
            f"the charge period ends {end}, which is no cycle end counted from "
            f"{counted} ({line.billing.cycle_months(line.term)}-month cycles, month ends "
            "clamped)",
        )
    elif start < min(starts):
        yield finding(
            row,
            Rule.PERIOD,
            f"the charge period {start}..{end} is longer than its cycle {min(starts)}..{end}",
        )
