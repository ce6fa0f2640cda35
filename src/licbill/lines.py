"""Charge lines: the immutable rows of the reconciliation file (docs/recon.md)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, NamedTuple

import attrs

from ._validators import flag, whole
from .errors import InvalidTypeError, InvalidValueError
from .models import Billing, Term
from .money import Money
from .periods import check_date
from .proration import Rounding

if TYPE_CHECKING:
    from .explain import Explanation

__all__ = [
    "RECORD_FIELDS",
    "Basis",
    "ChargeLine",
    "ChargeType",
    "ChargeTypeName",
]


class ChargeType(enum.Enum):
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


@attrs.frozen(kw_only=True)
class Basis:
    """What a line's amount was derived from, as the engine recorded it (see docs/audit.md).

    ``cycle_start`` and ``cycle_days`` describe the charge cycle, ``billing_days`` the days
    charged (equal to ``cycle_days`` for a whole cycle or a custom-meter line), ``rounding`` the
    policy in force. ``reverses`` names the reference ids of the charges a credit gives back;
    ``refund`` marks a full refund, whose amount is everything charged in the cycle so far.
    """

    cycle_start: dt.date
    cycle_days: int
    billing_days: int
    rounding: Rounding
    reverses: tuple[str, ...] = ()
    refund: bool = False
    #: What ``cycle_days`` and ``billing_days`` count: ``"days"``; ``"months"`` for a cycle
    #: billed as a share of whole months (a billing-plan change, docs/operations.md); or
    #: ``"weighted days"`` for a line inside such a short cycle, where both counts are days
    #: times the cycle's share of the price (its numerator and its denominator).
    unit: str = "days"

    @classmethod
    def whole_cycle(cls, *, start: dt.date, end: dt.date, rounding: Rounding) -> Basis:
        """The basis of a line charging the whole cycle from *start* to *end* (inclusive)."""
        days = (end - start).days + 1
        return cls(cycle_start=start, cycle_days=days, billing_days=days, rounding=rounding)

    def __attrs_post_init__(self) -> None:
        # One pass for the engine's well-formed values; the slow path names what is wrong.
        if (
            type(self.cycle_start) is dt.date
            and type(self.cycle_days) is int
            and type(self.billing_days) is int
            and 0 < self.billing_days <= self.cycle_days
            and type(self.rounding) is Rounding
            and type(self.reverses) is tuple
            and type(self.refund) is bool
            and type(self.unit) is str
            and (not self.reverses or all(type(ref) is str for ref in self.reverses))
        ):
            return
        check_date(self.cycle_start, "cycle_start")
        for what in ("cycle_days", "billing_days"):
            whole(getattr(self, what), what)
        if not 0 < self.billing_days <= self.cycle_days:
            raise InvalidValueError(
                f"billing days must lie in 1..cycle days, not {self.billing_days} of "
                f"{self.cycle_days}"
            )
        if not isinstance(self.rounding, Rounding):
            raise InvalidTypeError(f"rounding must be a licbill.Rounding, not {self.rounding!r}")
        flag(self, attrs.fields(Basis).refund, self.refund)
        if not isinstance(self.unit, str):
            raise InvalidTypeError(f"unit must be a str, not {self.unit!r}")
        raise InvalidTypeError(f"reverses must be a tuple of reference ids, not {self.reverses!r}")


class ChargeLine(NamedTuple):
    """One row of the reconciliation file. Lines are never edited; changes are new lines.

    A named tuple: immutable, light enough to stream millions of, and ``line._asdict()`` gives
    a plain record. ``total`` is signed (credits are negative) and rounded to the currency's
    minor unit by the rulebook's policy; ``effective_unit_price`` is the prorated unit price,
    for display (negative on credit lines under rulebooks with ``signed_credit_prices``).
    ``subscription_start`` and ``subscription_end`` are the term in force when the line was made
    (the trial, for trial lines). ``reverses`` is the reference id of the line a full refund
    reverses (``None`` on every other line). ``customer_id`` is the customer the subscription
    belongs to (``Purchase.customer_id``; a workspace invoice's lines: the workspace id), or
    ``None`` when the purchase named none.
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
    customer_id: str | None = None
    basis: Basis | None = None

    @property
    def currency(self) -> str:
        """The currency of the line."""
        return self.total.currency

    def explain(self) -> Explanation:
        """How the amount came about: days, prices, rounding and what a credit reverses.

        ``str()`` of the result is one line of text, e.g. ``10.08 EUR / 30 days x 23 days =
        7.728 -> 7.72 (PER_UNIT_DOWN) x 10 = 77.20 EUR``. Raises
        :class:`~licbill.InvalidValueError` for a line built without a :class:`Basis` (lines
        read from a file, or made by hand).
        """
        from .explain import explain_line

        return explain_line(self)


#: The fields of a line that its records, tables and columns hold, in order: every field but
#: ``basis``, the derivation of the amount, which ``line.explain()`` shows.
RECORD_FIELDS: tuple[str, ...] = tuple(name for name in ChargeLine._fields if name != "basis")
