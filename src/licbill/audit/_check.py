"""Checking lines against every rule: each subscription's lines on their own, then the file's
duplicates; findings in row order (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from ..errors import InvalidTypeError
from ..lines import ChargeLine
from ..rulebooks import Rulebook
from ._amounts import amount_findings
from ._cycles import Cycles, cycle_starts, cycles_of, period_findings, share_term_ends
from ._findings import Finding, Rule
from ._history import after_cancel_findings, currency_findings, duplicate_findings
from ._rows import ReconRow, as_rows
from ._seats import overlap_findings, workspace_line_findings
from ._windows import window_findings

__all__ = ["check"]


def check(
    lines: Iterable[ChargeLine | ReconRow], *, rulebook: Rulebook | None = None
) -> tuple[Finding, ...]:
    """Return the findings of *lines* (rows of :func:`read_recon`, or licbill's own lines).

    Empty when the lines are clean. With a *rulebook*, amounts must follow its rounding policy
    and its refund windows (and its seat-reduction window, where it has one) apply; without
    one, any of the six :class:`~licbill.Rounding` policies explains an amount and the window
    checks are skipped. Findings come in row order. Raises :class:`~licbill.InvalidTypeError`
    for values that are not lines or rows, or a rulebook that is not a :class:`Rulebook`.
    """
    if rulebook is not None and not isinstance(rulebook, Rulebook):
        raise InvalidTypeError(f"rulebook must be a licbill.Rulebook or None, not {rulebook!r}")
    rows = as_rows(lines)
    subscriptions: dict[str, list[ReconRow]] = {}
    for row in rows:
        subscriptions.setdefault(row.line.subscription_id, []).append(row)
    starts = cycle_starts(rows)
    cycles = share_term_ends([cycles_of(sub_rows, starts) for sub_rows in subscriptions.values()])
    findings: list[Finding] = []
    for sub_rows, sub_cycles in zip(subscriptions.values(), cycles, strict=True):
        findings.extend(_subscription_findings(sub_rows, sub_cycles, rulebook))
    findings.extend(duplicate_findings(rows))
    order = list(Rule)
    return tuple(sorted(findings, key=lambda f: (f.row, order.index(f.rule))))


def _subscription_findings(
    rows: Sequence[ReconRow], cycles: Cycles, rulebook: Rulebook | None
) -> Iterator[Finding]:
    """The findings of one subscription's lines, in file order."""
    yield from currency_findings(rows)
    for row in rows:
        yield from period_findings(cycles, row)
    yield from amount_findings(rows, cycles, rulebook=rulebook)
    yield from overlap_findings(rows, cycles)
    yield from workspace_line_findings(rows)
    yield from after_cancel_findings(rows)
    if rulebook is not None:
        yield from window_findings(rows, anchor=cycles.anchor, rulebook=rulebook)
