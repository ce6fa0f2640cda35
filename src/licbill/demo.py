"""The demo the README runs: seed scenarios and a seat-change month, printed as tables."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from . import rulebooks
from .charges import charge_lines
from .lines import ChargeLine
from .models import Billing, Cancel, ChangeQuantity, ConvertSku, Event, Purchase, Sku
from .money import Money
from .seeds import SCENARIOS
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


def _section(out: TextIO, title: str, lines: tuple[ChargeLine, ...]) -> None:
    rows = [line_cells(line) for line in lines]
    out.write(f"{title}\n\n{render(LINE_COLUMNS, rows)}\n\n")
