"""The published seed scenarios (docs/seeds.md) as inputs: events, horizon and rulebook.

The expected tables live in the tests and in ``docs/``, written from the rulebook, never derived
from this module.
"""

from __future__ import annotations

import datetime as dt

import attrs

from . import rulebooks
from .models import Cancel, ConvertSku, Event, Purchase, Sku, SkuKind
from .money import Money
from .rulebooks import Rulebook

__all__ = ["SCENARIOS", "Scenario"]

_ON = dt.date(2019, 6, 10)


@attrs.frozen
class Scenario:
    """A named list of events, billed through a date under a rulebook."""

    title: str
    events: tuple[Event, ...]
    through: dt.date
    rulebook: Rulebook


_PAID = Sku.monthly(id="saas-plan", name="SaaS plan", unit_price=Money("2", "USD"))
_SILVER = Sku.monthly(
    id="silver", name="Silver", unit_price=Money("20", "USD"), kind=SkuKind.CUSTOM_METER
)
_BRONZE = Sku.monthly(
    id="bronze", name="Bronze", unit_price=Money("10", "USD"), kind=SkuKind.CUSTOM_METER
)

#: Seed tables 1 to 4, in the rulebook's order.
SCENARIOS = (
    Scenario(
        "1. Free trial converted to paid",
        (Purchase(subscription_id="S1", on=_ON, sku=_PAID, quantity=1, trial=True),),
        dt.date(2019, 7, 31),
        rulebooks.MARKETPLACE_2019,
    ),
    Scenario(
        "2. Free trial cancelled",
        (
            Purchase(subscription_id="S2", on=_ON, sku=_PAID, quantity=11, trial=True),
            Cancel(subscription_id="S2", on=_ON),
        ),
        dt.date(2019, 6, 30),
        rulebooks.MARKETPLACE_2019,
    ),
    Scenario(
        "3. Custom-meter subscription converted Silver -> Bronze",
        (
            Purchase(subscription_id="S3", on=_ON, sku=_SILVER),
            ConvertSku(subscription_id="S3", on=_ON, to=_BRONZE),
        ),
        dt.date(2019, 6, 30),
        rulebooks.MARKETPLACE_2019,
    ),
    Scenario(
        "4. Custom-meter subscription bought and cancelled on one date",
        (
            Purchase(subscription_id="S4", on=_ON, sku=_BRONZE),
            Cancel(subscription_id="S4", on=_ON),
        ),
        dt.date(2019, 6, 30),
        rulebooks.MARKETPLACE_2019,
    ),
)
