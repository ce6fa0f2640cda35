"""Hypothesis properties of the audit: licbill's own files audit clean; one change is found."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

_RULEBOOKS = st.sampled_from([lb.rulebooks.NEW_COMMERCE, lb.rulebooks.MARKETPLACE_2019])
_THROUGH = dt.date(2027, 6, 30)
# Fifty examples keep the suite quick; HYPOTHESIS_PROFILE=thorough (tests/conftest.py) must not
# be capped by them, so under it each property runs the profile's number of examples.
_EXAMPLES = (
    settings.default.max_examples if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 50
)


def _written(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> str:
    lines = lb.charge_lines(events, through=_THROUGH, rulebook=rulebook)
    out = io.StringIO(newline="")
    lb.recon.write_csv(lines, out)
    return out.getvalue()


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_histories(), rulebook=_RULEBOOKS)
def test_licbill_files_audit_clean(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> None:
    """Every recon file licbill writes audits clean under the rulebook that made it."""
    rows = lb.audit.read_recon(io.StringIO(_written(events, rulebook), newline=""))
    assert lb.audit.check(rows, rulebook=rulebook) == ()


def _changed(text: str, index: int, field: str, change: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    row = rows[index]
    if field == "ChargeEndDate":
        row[field] = (dt.date.fromisoformat(row[field]) - dt.timedelta(days=1)).isoformat()
    elif field == "Quantity":
        row[field] = row["BillableQuantity"] = str(int(row[field]) + 1)
    else:
        row[field] = change
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=lb.recon.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_histories(),
    rulebook=_RULEBOOKS,
    field=st.sampled_from(["Subtotal", "ChargeEndDate", "Quantity"]),
    pick=st.integers(0, 10_000),
    cents=st.integers(1, 500),
)
def test_one_changed_amount_date_or_quantity_is_found(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, field: str, pick: int, cents: int
) -> None:
    """A single changed amount, charge end date or quantity of a charged row is found."""
    text = _written(events, rulebook)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    charged = [i for i, row in enumerate(rows) if lb.Money(row["Subtotal"], "USD").amount != 0]
    if not charged:
        return
    index = charged[pick % len(charged)]
    money = lb.Money(rows[index]["Subtotal"], rows[index]["Currency"])
    step = lb.Money.from_minor(cents, money.currency)
    change = str((money + step).amount)
    mutated = _changed(text, index, field, change)
    findings = lb.audit.check(
        lb.audit.read_recon(io.StringIO(mutated, newline="")), rulebook=rulebook
    )
    assert findings, f"{field} of row {index + 2} changed, nothing found"


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_histories(),
    rulebook=_RULEBOOKS,
    pick=st.integers(0, 10_000),
    column=st.sampled_from(lb.recon.COLUMNS),
    cell=st.text(max_size=12) | st.dates().map(str) | st.decimals(allow_nan=False).map(str),
)
def test_any_changed_cell_is_read_or_refused_cleanly(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, pick: int, column: str, cell: str
) -> None:
    """Any cell changed to anything is read and checked, or refused with a licbill error."""
    text = _written(events, rulebook)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    rows[pick % len(rows)][column] = cell
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=lb.recon.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    try:
        read = lb.audit.read_recon(io.StringIO(out.getvalue(), newline=""))
    except lb.audit.ReconFileError as error:
        refused = error
    else:
        assert isinstance(lb.audit.check(read, rulebook=rulebook), tuple)
        return
    assert refused.line is not None
