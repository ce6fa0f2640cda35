"""The demo the README runs: seed scenarios, a seat-change month and a workspace month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Final, TextIO

from .. import rulebooks
from ..charges import charge_lines
from ..invoice import Invoice, InvoiceLine, PriceList, monthly_invoice
from ..legacy import ModuleTrial
from ..lines import ChargeLine
from ..models import Billing, Cancel, ChangeQuantity, ConvertSku, Event, Purchase, Sku
from ..money import Money
from ..periods import Month
from ..proration import Rounding
from ..seats import Counting, Revision
from ..seeds import SCENARIOS
from ..workspace import (
    BillingInfo,
    Group,
    LegacyEdition,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
)
from .tables import LINE_COLUMNS, line_cells, render

__all__ = ["run_demo"]


def run_demo(out: TextIO) -> None:
    """Write the demo's tables to *out*."""
    for scenario in SCENARIOS:
        lines = charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
        _section(out, f"Seed {scenario.title} ({scenario.rulebook.name})", lines)
    e3 = Sku.annual(
        id="e3", name="E3 annual", unit_price=Money("36.00", "USD"), billing=Billing.MONTHLY
    )
    e5 = Sku.annual(
        id="e5", name="E5 annual", unit_price=Money("57.00", "USD"), billing=Billing.MONTHLY
    )
    events: list[Event] = [
        Purchase(subscription_id="C-100", on=dt.date(2024, 1, 31), sku=e3, quantity=10),
        Purchase(subscription_id="C-200", on=dt.date(2024, 2, 29), sku=e3, quantity=3),
        ChangeQuantity(subscription_id="C-100", on=dt.date(2024, 2, 10), quantity=12),
        ConvertSku(subscription_id="C-100", on=dt.date(2024, 2, 20), to=e5),
        ChangeQuantity(subscription_id="C-200", on=dt.date(2024, 3, 1), quantity=2),
        Cancel(subscription_id="C-200", on=dt.date(2024, 3, 4)),
    ]
    lines = charge_lines(events, through=dt.date(2024, 3, 31), rulebook=rulebooks.NEW_COMMERCE)
    _section(out, "Seat changes, a conversion and a prorated cancel (new-commerce)", lines)
    _workspace_month(out)


#: The columns of the demo's invoice tables.
_INVOICE_COLUMNS: Final = ("counting", "product", "users", "quantity", "unit", "total")


def _workspace_month(out: TextIO) -> None:
    """Write a modern workspace's May 2024 invoice under each counting, then a legacy one's."""
    may_invoice = partial(
        monthly_invoice,
        users=_demo_users(),
        groups=_demo_groups(),
        month=Month(2024, 5),
        prices=_demo_prices(),
    )
    _modern_invoices(out, may_invoice)
    _legacy_invoice(out, may_invoice)


def _modern_invoices(out: TextIO, may_invoice: Callable[..., Invoice]) -> None:
    """Write one table of Contoso's May invoice under each counting, with May's changes."""
    out.write(
        "Workspace month May 2024 (Contoso): eve gets Unify on the 11th, ann is deactivated on "
        "the 16th, Sales loses Hybrid on the 21st\n\n"
    )
    modern = Workspace(
        id="ws-contoso",
        created_on=dt.date(2024, 3, 1),
        billing=BillingInfo(company_name="Contoso", reference="C-17", customer_type="MSP"),
    )
    history = _demo_history()
    rows: list[tuple[str, ...]] = []
    for counting in Counting:
        invoice = may_invoice(
            modern, counting=counting, history=history, rounding=Rounding.PER_LINE_HALF_UP
        )
        rows += _counting_rows(counting, invoice)
    out.write(render(_INVOICE_COLUMNS, rows) + "\n\n")


def _legacy_invoice(out: TextIO, may_invoice: Callable[..., Invoice]) -> None:
    """Write Fabrikam's May invoice: a legacy workspace whose modules are in their trial."""
    legacy = Workspace(
        id="ws-fabrikam", created_on=dt.date(2022, 9, 1), edition=LegacyEdition.ADAPT
    )
    invoice = may_invoice(legacy, trial=ModuleTrial(ends_on=dt.date(2024, 6, 30)))
    out.write(
        "Legacy workspace (Fabrikam, Adapt edition): modules free in the trial, to 30 June\n\n"
    )
    rows = [_invoice_cells("MONTH_END", line) for line in invoice.lines]
    out.write(render(_INVOICE_COLUMNS, rows) + "\n\n")


def _demo_users() -> list[User]:
    """The users on 1 May: one of each kind the counting rules tell apart."""
    m, status = Module, UserStatus
    return [
        User(id="ann", username="ann", modules={m.ENGAGE}),
        User(id="bob", username="bob", groups={"sales"}),
        User(id="cat", username="cat", guest=True, modules={m.ENGAGE}),
        User(id="dan", username="dan", status=status.INACTIVE, modules={m.UNIFY}),
        User(id="eve", username="eve"),
    ]


def _demo_groups() -> list[Group]:
    return [Group(id="sales", name="Sales", modules={Module.HYBRID})]


def _demo_history() -> list[Revision]:
    """The changes during May: eve gets Unify, ann is deactivated, Sales loses Hybrid."""
    return [
        Revision(dt.date(2024, 5, 11), User(id="eve", username="eve", modules={Module.UNIFY})),
        Revision(dt.date(2024, 5, 16), User(id="ann", username="ann", status=UserStatus.INACTIVE)),
        Revision(dt.date(2024, 5, 21), Group(id="sales", name="Sales")),
    ]


def _demo_prices() -> PriceList:
    m, kind = Module, UserKind
    return PriceList(
        {
            (m.HYBRID, kind.REGULAR): Money("6.00", "EUR"),
            (m.ENGAGE, kind.REGULAR): Money("4.00", "EUR"),
            (m.ENGAGE, kind.GUEST): Money("1.00", "EUR"),
            (m.UNIFY, kind.REGULAR): Money("8.00", "EUR"),
            (LegacyEdition.ADAPT, kind.REGULAR): Money("5.00", "EUR"),
            (LegacyEdition.ADAPT, kind.GUEST): Money("2.00", "EUR"),
        }
    )


def _counting_rows(counting: Counting, invoice: Invoice) -> list[tuple[str, ...]]:
    """*invoice*'s lines, then its total, each row labelled with *counting*."""
    rows = [_invoice_cells(counting.name, line) for line in invoice.lines]
    rows.append((counting.name, "total", "", "", "", str(invoice.total.amount)))
    return rows


def _invoice_cells(counting: str, line: InvoiceLine) -> tuple[str, ...]:
    return (
        counting,
        line.product.value,
        line.user_kind.value,
        str(line.quantity),
        str(line.unit_price.amount),
        str(line.total.amount),
    )


def _section(out: TextIO, title: str, lines: tuple[ChargeLine, ...]) -> None:
    rows = [line_cells(line) for line in lines]
    out.write(f"{title}\n\n{render(LINE_COLUMNS, rows)}\n\n")
