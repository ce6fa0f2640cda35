"""The reconciliation-file export of RULEBOOK A6."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

import licbill as lb
from licbill.seeds import SCENARIOS

D = dt.date


def _seed_lines(number: int) -> tuple[lb.ChargeLine, ...]:
    scenario = SCENARIOS[number - 1]
    return lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_and_values_of_seed_three() -> None:
    """The recon CSV has A6's columns in order and seed 3's values, machine-readable."""
    out = io.StringIO(newline="")
    assert lb.recon.write_csv(_seed_lines(3), out, partner_id="P-1") == 3
    header = out.getvalue().splitlines()[0]
    assert header == ",".join(lb.recon.COLUMNS)
    rows = _read(out.getvalue())
    assert [(r["SkuName"], r["ChargeType"], r["Subtotal"], r["ChargeStartDate"]) for r in rows] == [
        ("Silver", "New", "20.00", "2019-06-10"),
        ("Silver", "Convert", "-20.00", "2019-06-10"),
        ("Bronze", "Convert", "10.00", "2019-06-10"),
    ]
    first = rows[0]
    assert first["PartnerId"] == "P-1"
    assert first["Currency"] == "USD"
    assert (
        first["TaxTotal"] == first["Total"] == first["CustomerId"] == first["InvoiceNumber"] == ""
    )
    assert first["TermAndBillingCycle"] == "1 Month - Monthly Billing"
    assert first["SubscriptionStartDate"] == "2019-06-10"


def test_trial_qualifier_and_customer_and_tax_columns() -> None:
    """Qualifiers are written as a list; customers and tax fill their columns when given."""
    out = io.StringIO(newline="")
    lb.recon.write_csv(
        _seed_lines(1),
        out,
        customers={"S1": lb.recon.Customer("C-9", "Contoso")},
        tax=lambda line: lb.Money(line.total.amount * 21 / 100, line.currency),
        invoice_number="INV-7",
    )
    rows = _read(out.getvalue())
    assert rows[0]["ProductQualifiers"] == '["Trial"]'
    assert rows[1]["ProductQualifiers"] == ""
    assert rows[1]["CustomerName"] == "Contoso"
    assert rows[1]["InvoiceNumber"] == "INV-7"
    assert (rows[1]["TaxTotal"], rows[1]["Total"]) == ("0.42", "2.42")


def test_formula_cells_are_neutralised_and_numbers_are_not() -> None:
    """Text that a spreadsheet would run gets a quote; negative amounts stay numbers."""
    evil = lb.Sku.monthly(id="=cmd|' /C calc'!A0", name="@SUM(1)", unit_price=lb.Money(5, "USD"))
    lines = lb.charge_lines(
        [lb.Purchase("+S", D(2024, 1, 1), evil), lb.Cancel("+S", D(2024, 1, 1))],
        through=D(2024, 1, 1),
        rulebook=lb.rulebooks.NEW_COMMERCE,
    )
    out = io.StringIO(newline="")
    lb.recon.write_csv(lines, out)
    rows = _read(out.getvalue())
    assert rows[0]["SkuId"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["SkuName"] == "'@SUM(1)"
    assert rows[0]["SubscriptionId"] == "'+S"
    assert rows[1]["Subtotal"] == "-5.00"


def test_round_trip_through_csv() -> None:
    """Reading the file back with csv gives every line's values again."""
    lines = _seed_lines(3) + _seed_lines(1)
    out = io.StringIO(newline="")
    lb.recon.write_csv(lines, out)
    rows = _read(out.getvalue())
    assert [
        (r["SubscriptionId"], r["OrderDate"], r["Subtotal"], r["Quantity"], r["ReferenceId"])
        for r in rows
    ] == [
        (
            x.subscription_id,
            x.order_date.isoformat(),
            str(x.total.amount),
            str(x.quantity),
            x.reference_id,
        )
        for x in lines
    ]


def test_wrong_input_is_refused() -> None:
    """Rows of something other than charge lines, or tax in another currency, are refused."""
    with pytest.raises(lb.InvalidTypeError):
        list(lb.recon.rows(["line"]))  # type: ignore[list-item]
    with pytest.raises(lb.CurrencyMismatchError):
        list(lb.recon.rows(_seed_lines(1), tax=lambda line: lb.Money(1, "EUR")))
