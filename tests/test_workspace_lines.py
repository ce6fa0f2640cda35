"""One line type for both halves: a workspace invoice as charge lines (docs/workspace.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.io import recon
from licbill.io.scenarios import load_workspaces
from licbill.seeds import SCENARIOS
from licbill.strategies import WorkspaceMonth, workspace_months

M, K = lb.Module, lb.UserKind
MAY = lb.Month(2024, 5)
EXAMPLES = Path(__file__).parent.parent / "examples"
EVERY_PRICE = lb.PriceList(
    {(p, k): lb.Money("3.10", "USD") for p in [*M, *lb.LegacyEdition] for k in K}
)


def _example_invoices() -> list[lb.Invoice]:
    scenario = load_workspaces(EXAMPLES / "workspaces.toml")
    return [
        lb.monthly_invoice(
            entry.workspace, users=entry.users, groups=entry.groups, month=MAY,
            prices=scenario.prices, counting=scenario.counting,
            history=scenario.history[entry.workspace.id], rounding=scenario.rounding,
            trial=scenario.trials.get(entry.workspace.id),
        )
        for entry in scenario.workspaces
    ]  # fmt: skip


def _month_end_invoice() -> lb.Invoice:
    workspace = lb.Workspace(
        id="w1",
        created_on=dt.date(2024, 1, 1),
        billing=lb.BillingInfo(company_name="Contoso", reference="R-1"),
    )
    users = [
        lb.User(id="a", username="a", modules={M.HYBRID, M.ENGAGE}),
        lb.User(id="b", username="b", modules={M.HYBRID}),
        lb.User(id="g", username="g", guest=True, modules={M.ENGAGE}),
    ]
    return lb.monthly_invoice(workspace, users=users, month=MAY, prices=EVERY_PRICE)


def test_a_whole_count_invoice_becomes_one_cycle_charge_per_line() -> None:
    """Each product and user kind is a cycleCharge over the month: seats, price, total."""
    invoice = _month_end_invoice()
    lines = invoice.charge_lines()
    assert isinstance(lines, lb.ChargeLines)
    got = [(x.sku_id, x.quantity, str(x.unit_price.amount), str(x.total.amount)) for x in lines]
    assert got == [
        (f"{x.product.value}-{x.user_kind.value}", int(x.quantity), "3.10", str(x.total.amount))
        for x in invoice.lines
    ]
    first = lines[0]
    assert (first.charge_start, first.charge_end, first.order_date) == (
        dt.date(2024, 5, 1), dt.date(2024, 5, 31), dt.date(2024, 5, 31),
    )  # fmt: skip
    assert str(first.charge_type) == "cycleCharge"
    assert first.charge_type.kind is lb.ChargeType.CYCLE_CHARGE
    assert first.subscription_id == "w1"
    assert first.effective_unit_price == first.unit_price
    assert first.description.startswith("Contoso: ")
    assert first.reference_id == f"w1-2024-05-{first.product_id}-regular"


def test_a_daily_prorated_line_counts_seat_days() -> None:
    """Contoso's May 2024 Hybrid line (0.6452 of a month) is 20 seat-days at 6.00 / 31 a day."""
    contoso = _example_invoices()[0]
    hybrid = contoso.charge_lines()[0]
    assert (hybrid.sku_id, hybrid.quantity, str(hybrid.total.amount)) == (
        "Hybrid-regular", 20, "3.87",
    )  # fmt: skip
    assert hybrid.effective_unit_price == lb.Money("0.1935483871", "EUR")
    assert "20 seat-days of 31" in hybrid.description


def test_charge_line_totals_add_up_to_the_invoice_exactly() -> None:
    """The example invoices' charge lines add up to 12.23 and 7.00 EUR, their totals."""
    for invoice, expected in zip(_example_invoices(), ("12.23", "7.00"), strict=True):
        lines = invoice.charge_lines()
        assert lb.total(x.total for x in lines) == invoice.total == lb.Money(expected, "EUR")


@settings(max_examples=40, deadline=None)
@given(
    drawn=workspace_months(),
    counting=st.sampled_from(lb.Counting),
    rounding=st.sampled_from(lb.Rounding),
)
def test_charge_lines_always_match_their_invoice(
    drawn: WorkspaceMonth, counting: lb.Counting, rounding: lb.Rounding
) -> None:
    """Any invoice's charge lines: one per line, same totals and order, a whole quantity that
    gives the invoice's quantity back (seats, or seat-days over the month's days)."""
    invoice = lb.monthly_invoice(
        drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
        prices=EVERY_PRICE, counting=counting, history=drawn.history, rounding=rounding,
        trial=drawn.trial,
    )  # fmt: skip
    lines = invoice.charge_lines()
    assert [x.total for x in lines] == [x.total for x in invoice.lines]
    assert sum((x.total for x in lines), lb.Money.zero("USD")) == invoice.total
    for charge, line in zip(lines, invoice.lines, strict=True):
        assert isinstance(charge.quantity, int)
        if counting is lb.Counting.DAILY_PRORATED:
            shown = (Decimal(charge.quantity) / drawn.month.days).quantize(Decimal("0.0001"))
            assert shown == line.quantity
        else:
            assert charge.quantity == line.quantity


@settings(max_examples=40, deadline=None)
@given(drawn=workspace_months().filter(lambda drawn: drawn.workspace.edition is None))
def test_seat_days_agree_with_the_seat_count(drawn: WorkspaceMonth) -> None:
    """A modules-model workspace's daily-prorated charge lines carry count_seats' seat-days."""
    workspace = drawn.workspace
    invoice = lb.monthly_invoice(
        workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
        prices=EVERY_PRICE, counting=lb.Counting.DAILY_PRORATED, history=drawn.history,
        rounding=lb.Rounding.PER_LINE_HALF_UP,
    )  # fmt: skip
    seats = lb.count_seats(
        workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
        history=drawn.history,
    )  # fmt: skip
    got = {x.sku_id: x.quantity for x in invoice.charge_lines()}
    assert got == {
        f"{product.value}-{kind.value}": seat.seat_days
        for (product, kind), seat in seats.items()
        if seat.seat_days
    }


def test_a_fractional_whole_count_quantity_is_refused() -> None:
    """A hand-built month-end invoice with 1.5 seats cannot become a charge line."""
    invoice = _month_end_invoice()
    bad = attrs.evolve(invoice, lines=(attrs.evolve(invoice.lines[0], quantity=Decimal("1.5")),))
    with pytest.raises(lb.InvalidValueError, match=r"1\.5 seats"):
        bad.charge_lines()


def test_workspace_charge_lines_round_trip_as_plain_data() -> None:
    """A workspace charge line survives to_dict and from_dict like any other line."""
    lines = _example_invoices()[0].charge_lines()
    assert lb.from_dict(lb.ChargeLines, lb.to_dict(lines)) == lines


def test_one_recon_file_holds_subscription_and_workspace_charges() -> None:
    """recon.write_csv writes a seed's subscription lines and a workspace invoice into one
    file: every row, each with its own subscription, charge type and subtotal."""
    seed = SCENARIOS[0]
    subscription = lb.charge_lines(seed.events, through=seed.through, rulebook=seed.rulebook)
    invoice = _month_end_invoice()
    mixed = lb.ChargeLines([*subscription, *invoice.charge_lines()])
    out = io.StringIO(newline="")
    customers = {"w1": recon.Customer(id="w1", name=invoice.billing.company_name)}
    assert recon.write_csv(mixed, out, customers=customers) == len(mixed)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [r["SubscriptionId"] for r in rows] == [x.subscription_id for x in mixed]
    assert [r["ChargeType"] for r in rows] == [str(x.charge_type) for x in mixed]
    workspace_rows = [r for r in rows if r["SubscriptionId"] == "w1"]
    assert {r["CustomerName"] for r in workspace_rows} == {"Contoso"}
    assert {r["TermAndBillingCycle"] for r in workspace_rows} == {"1 Month - Monthly Billing"}
    subtotal = sum(Decimal(r["Subtotal"]) for r in workspace_rows)
    assert subtotal == invoice.total.amount


def test_workspace_lines_carry_the_workspace_as_customer() -> None:
    """Every line of ``Invoice.charge_lines()`` has the workspace id as its customer id."""
    invoice = _month_end_invoice()
    assert {line.customer_id for line in invoice.charge_lines()} == {invoice.workspace_id}
