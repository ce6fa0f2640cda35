"""The reconciliation-file export of docs/recon.md."""

from __future__ import annotations

import csv
import datetime as dt
import io

import attrs
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
        [
            lb.Purchase(subscription_id="+S", on=D(2024, 1, 1), sku=evil),
            lb.Cancel(subscription_id="+S", on=D(2024, 1, 1)),
        ],
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


def test_customers_must_be_customer_values() -> None:
    """``customers={"S1": "Contoso"}`` (a name, not a Customer) is refused, naming the entry."""
    with pytest.raises(lb.InvalidTypeError, match=r"customers\['S1'\].*'Contoso'"):
        lb.recon.write_csv(_seed_lines(1), io.StringIO(), customers={"S1": "Contoso"})  # type: ignore[dict-item]


def test_customers_must_be_a_mapping() -> None:
    """A list of customers is refused before anything is written."""
    out = io.StringIO()
    with pytest.raises(lb.InvalidTypeError, match="customers must map"):
        lb.recon.write_csv(_seed_lines(1), out, customers=[lb.recon.Customer("C")])  # type: ignore[arg-type]
    assert out.getvalue() == ""


def test_customer_fields_are_text() -> None:
    """A Customer's id and name are text; a number is refused at construction."""
    with pytest.raises(lb.InvalidTypeError, match=r"Customer\.id"):
        lb.recon.Customer(7)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "=cmd|' /C calc'!A0"),
        ("quantity", True),
        ("total", "=1+1"),
        ("unit_price", lb.Money("1", "EUR")),
        ("order_date", "=NOW()"),
        ("charge_end", dt.datetime(2024, 1, 1)),
        ("subscription_start", "2024-01-01"),
        ("sku_name", 3),
        ("charge_type", "new"),
        ("product_qualifiers", ["Trial"]),
        ("term", "P1M"),
        ("billing", "monthly"),
    ],
)
def test_hand_built_lines_with_wrong_fields_are_refused(field: str, value: object) -> None:
    """A hand-built line with a wrong type in a field is refused, naming the line and the field."""
    lines = list(_seed_lines(1))
    lines[1] = lines[1]._replace(**{field: value})
    with pytest.raises(lb.InvalidTypeError) as caught:
        lb.recon.write_csv(lines, io.StringIO())
    assert str(caught.value).startswith(f"charge line 1: {field} must be ")


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("partner_id", 1), ("invoice_number", None), ("tax", "21%")],
)
def test_other_parameters_are_checked(keyword: str, value: object) -> None:
    """A partner id or invoice number that is not text, or a tax not callable, is refused."""
    with pytest.raises(lb.InvalidTypeError, match=keyword):
        lb.recon.write_csv(_seed_lines(1), io.StringIO(), **{keyword: value})  # type: ignore[arg-type]


def test_lines_must_be_an_iterable_of_lines() -> None:
    """A string or a number in place of the lines is refused."""
    with pytest.raises(lb.InvalidTypeError, match="lines must be"):
        lb.recon.rows("lines")  # type: ignore[arg-type]


def _with_customer(customer_id: str) -> tuple[lb.ChargeLine, ...]:
    scenario = SCENARIOS[2]
    events = [
        attrs.evolve(e, customer_id=customer_id) if isinstance(e, lb.Purchase) else e
        for e in scenario.events
    ]
    return lb.charge_lines(events, through=scenario.through, rulebook=scenario.rulebook)


def test_customer_id_comes_from_the_line() -> None:
    """A purchase's customer_id is every row's CustomerId, with no customers mapping given."""
    out = io.StringIO(newline="")
    lb.recon.write_csv(_with_customer("C-7"), out)
    assert [(r["CustomerId"], r["CustomerName"]) for r in _read(out.getvalue())] == [
        ("C-7", ""), ("C-7", ""), ("C-7", ""),
    ]  # fmt: skip


def test_customers_keyed_by_customer_id_supply_the_names() -> None:
    """``customers`` keyed by the lines' customer id fills CustomerName."""
    out = io.StringIO(newline="")
    lb.recon.write_csv(
        _with_customer("C-7"), out, customers={"C-7": lb.recon.Customer("C-7", "Contoso")}
    )
    assert {(r["CustomerId"], r["CustomerName"]) for r in _read(out.getvalue())} == {
        ("C-7", "Contoso")
    }


def test_a_customer_that_contradicts_the_line_is_refused() -> None:
    """A Customer under a line's subscription id with another id than the line's is refused."""
    with pytest.raises(lb.InvalidValueError, match=r"charge line 0: customers\['S3'\].*'C-7'"):
        lb.recon.write_csv(
            _with_customer("C-7"), io.StringIO(), customers={"S3": lb.recon.Customer("C-9")}
        )
