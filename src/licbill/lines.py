"""Charge lines: the immutable rows of the reconciliation file (RULEBOOK A1, A6)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import attrs

from ._enums import FastEnum
from .models import Billing, Term
from .money import Money

__all__ = ["ChargeLine", "ChargeType", "ChargeTypeName"]


class ChargeType(FastEnum):
    """The kinds of charge line; how each is spelled depends on the rulebook in force."""

    NEW = "new"
    RENEW = "renew"
    CYCLE_CHARGE = "cycleCharge"
    ADD_QUANTITY = "addQuantity"
    REMOVE_QUANTITY = "removeQuantity"
    MOVE_QUANTITY = "moveQuantity"
    CANCEL = "cancel"
    CANCEL_IMMEDIATE = "cancelImmediate"
    CONVERT = "convert"
    CHANGE_BILLING_PLAN = "changeBillingPlan"
    EXTEND_TERM = "extendTerm"
    CUSTOMER_CREDIT = "customerCredit"


@attrs.frozen
class ChargeTypeName:
    """A charge type as one rulebook spells it: ``str()`` gives the spelling, ``kind`` the kind."""

    kind: ChargeType
    spelling: str

    def __str__(self) -> str:
        return self.spelling


class ChargeLine(NamedTuple):
    """One row of the reconciliation file. Lines are never edited; changes are new lines.

    A named tuple: immutable, light enough to stream millions of, and ``line._asdict()`` gives
    a plain record. ``total`` is signed (credits are negative) and rounded to the currency's
    minor unit by the rulebook's policy; ``effective_unit_price`` is the prorated unit price,
    for display (negative on credit lines under rulebooks with ``signed_credit_prices``).
    ``subscription_start`` and ``subscription_end`` are the term in force when the line was made
    (the trial, for trial lines). ``reverses`` is the reference id of the line a full refund
    reverses (``None`` on every other line).
    """

    subscription_id: str
    order_date: dt.date
    sku_id: str
    sku_name: str
    charge_start: dt.date
    charge_end: dt.date
    unit_price: Money
    effective_unit_price: Money
    quantity: int
    total: Money
    charge_type: ChargeTypeName
    description: str
    reference_id: str
    product_qualifiers: tuple[str, ...] = ()
    product_id: str = ""
    term: Term = Term.P1M
    billing: Billing = Billing.MONTHLY
    subscription_start: dt.date | None = None
    subscription_end: dt.date | None = None
    reverses: str | None = None

    @property
    def currency(self) -> str:
        """The currency of the line."""
        return self.total.currency
