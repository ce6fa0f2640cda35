"""Hypothesis properties of the audit: licbill's own files audit clean; one change is found."""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

_RULEBOOKS = st.sampled_from([lb.rulebooks.NEW_COMMERCE, lb.rulebooks.MARKETPLACE_2019])
_THROUGH = dt.date(2027, 6, 30)


def _written(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> str:
    lines = lb.charge_lines(events, through=_THROUGH, rulebook=rulebook)
    out = io.StringIO(newline="")
    lb.recon.write_csv(lines, out)
    return out.getvalue()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_histories(), rulebook=_RULEBOOKS)
def test_licbill_files_audit_clean(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> None:
    """Every recon file licbill writes audits clean under the rulebook that made it."""
    rows = lb.audit.read_recon(io.StringIO(_written(events, rulebook), newline=""))
    assert lb.audit.check(rows, rulebook=rulebook) == ()
