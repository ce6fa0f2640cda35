"""Audit a reconciliation file licbill did not produce: read it, check it, reconcile it.

- :func:`read_recon` reads a recon CSV (licbill's layout, or the Partner Center column names,
  case-insensitive; extra columns are ignored) into :class:`ReconRow` values;
- :func:`check` returns the :class:`Finding` values of the rules the lines break;
- :func:`reconcile` compares the lines licbill makes from a partner's own events with the
  lines of a received file.

Every check uses licbill's own rules (:func:`~licbill.prorate`,
:func:`~licbill.effective_unit_price`, :func:`~licbill.period_end`, the rulebook's windows);
docs/audit.md states each rule and its source.
"""

# One private module per concern, re-exported here (docs/architecture.md lists them), so the
# public names stay those of one module.

from __future__ import annotations

from ._check import check
from ._findings import FINDING_COLUMNS, Finding, Rule
from ._read import ReconFileError, read_recon
from ._reconcile import Difference, DifferenceKind, reconcile
from ._rows import ReconRow

__all__ = [
    "FINDING_COLUMNS",
    "Difference",
    "DifferenceKind",
    "Finding",
    "ReconFileError",
    "ReconRow",
    "Rule",
    "check",
    "read_recon",
    "reconcile",
]
