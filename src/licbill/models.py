"""The facts licbill bills from: the catalogue (SKUs) and what happened to subscriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ._enums import FastEnum
from ._validators import MAX_QUANTITY, flag, identifier, shown
from .errors import InvalidTypeError, InvalidValueError
from .money import Money
from .periods import check_date

__all__ = [
    "Billing",
    "Cancel",
    "ChangeQuantity",
    "ConvertSku",
    "Event",
    "Purchase",
    "SetAutoRenew",
    "Sku",
    "SkuKind",
    "Term",
]


class Term(FastEnum):
    """The commitment a subscription is bought for (ISO 8601 durations)."""

    P1M = 1
    P1Y = 12
    P3Y = 36

    @property
    def months(self) -> int:
        """Length of the term in months."""
        return self.value


class Billing(FastEnum):
    """How often a term is charged: every month, every year, or once for the whole term."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    UPFRONT = "upfront"

    def cycle_months(self, term: Term) -> int:
        """Months in one charge cycle of *term* billed this way."""
        if self is Billing.MONTHLY:
            return 1
        if self is Billing.ANNUAL:
            return 12
        return term.months


class SkuKind(FastEnum):
    """What a SKU's quantity means."""

    #: Quantity is a number of licences (seats).
    PER_SEAT = "per-seat"
    #: One flat price per cycle; quantity is always 1.
    FLAT = "flat"
    #: A flat plan whose lines are dated on the event day at the full price (RULEBOOK A7).
    CUSTOM_METER = "custom-meter"


def _instance_of(kind: type, what: str) -> Any:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise InvalidTypeError(f"{what} must be a {kind.__name__}, not {value!r}")

    return check


def _a_date(what: str) -> Any:
    return lambda _instance, _attribute, value: check_date(value, what)


def check_quantity(value: Any, what: str = "quantity") -> int:
    """Return *value* if it is an int in 1..MAX_QUANTITY; raise a licbill error naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an int, not {value!r}")
    if not 1 <= value <= MAX_QUANTITY:
        raise InvalidValueError(f"{what} must lie in 1..{MAX_QUANTITY}, not {shown(value)}")
    return value


@attrs.frozen
class Sku:
    """A plan in the catalogue: a unit price per charge cycle, a term and a billing frequency.

    ``min_quantity`` and ``max_quantity`` (``None``: no maximum) bound the seats of a per-seat
    SKU; flat and custom-meter SKUs always have quantity 1. ``product_id`` groups SKUs of one
    product for the reconciliation file.

    Raises :class:`InvalidTypeError` or :class:`InvalidValueError` for a bad field, a negative
    price, limits that cross, or a billing frequency the term cannot have (annual billing of a
    one-month term).
    """

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=identifier)
    unit_price: Money = attrs.field(validator=_instance_of(Money, "a unit price"))
    term: Term = attrs.field(validator=_instance_of(Term, "a term"))
    billing: Billing = attrs.field(validator=_instance_of(Billing, "a billing frequency"))
    kind: SkuKind = attrs.field(default=SkuKind.PER_SEAT, validator=_instance_of(SkuKind, "kind"))
    min_quantity: int = attrs.field(default=1, kw_only=True)
    max_quantity: int | None = attrs.field(default=None, kw_only=True)
    product_id: str = attrs.field(
        default="", kw_only=True, validator=_instance_of(str, "product_id")
    )

    def __attrs_post_init__(self) -> None:
        if self.unit_price.amount < 0:
            raise InvalidValueError(f"SKU {self.id!r} has a negative unit price {self.unit_price}")
        if self.billing is Billing.ANNUAL and self.term is Term.P1M:
            raise InvalidValueError(f"SKU {self.id!r}: a one-month term cannot be billed annually")
        check_quantity(self.min_quantity, f"SKU {self.id!r} min_quantity")
        if self.max_quantity is not None:
            check_quantity(self.max_quantity, f"SKU {self.id!r} max_quantity")
            if self.max_quantity < self.min_quantity:
                raise InvalidValueError(
                    f"SKU {self.id!r}: max_quantity {self.max_quantity} is below "
                    f"min_quantity {self.min_quantity}"
                )
        if self.kind is not SkuKind.PER_SEAT and (self.min_quantity, self.max_quantity) != (
            1,
            None,
        ):
            raise InvalidValueError(f"SKU {self.id!r} is {self.kind.value}: it has no seat limits")

    @classmethod
    def monthly(
        cls,
        *,
        id: str,
        name: str,
        unit_price: Money,
        kind: SkuKind = SkuKind.PER_SEAT,
        **limits: Any,
    ) -> Sku:
        """A one-month term billed monthly."""
        return cls(id, name, unit_price, Term.P1M, Billing.MONTHLY, kind, **limits)

    @classmethod
    def annual(
        cls,
        *,
        id: str,
        name: str,
        unit_price: Money,
        billing: Billing = Billing.ANNUAL,
        kind: SkuKind = SkuKind.PER_SEAT,
        **limits: Any,
    ) -> Sku:
        """A one-year term, billed annually unless *billing* says monthly or upfront."""
        return cls(id, name, unit_price, Term.P1Y, billing, kind, **limits)

    @property
    def cycle_months(self) -> int:
        """Months in one charge cycle."""
        return self.billing.cycle_months(self.term)

    @property
    def cycles_per_term(self) -> int:
        """Charge cycles in one term (twelve for a year billed monthly)."""
        return self.term.months // self.cycle_months

    def allows(self, quantity: int) -> bool:
        """True when *quantity* lies within this SKU's limits; raises for a non-int."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidTypeError(f"a quantity is an int, not {quantity!r}")
        if self.kind is not SkuKind.PER_SEAT:
            return quantity == 1
        return self.min_quantity <= quantity and (
            self.max_quantity is None or quantity <= self.max_quantity
        )


def _event_id(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidTypeError(f"event_id must be a non-empty str or None, not {value!r}")


@attrs.frozen
class Purchase:
    """A subscription is bought on ``on``: ``trial=True`` starts a free trial of the SKU.

    ``auto_renew`` (default on) decides whether the term renews, and whether a trial becomes paid.
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    sku: Sku = attrs.field(validator=_instance_of(Sku, "sku"))
    quantity: int = attrs.field(default=1, validator=lambda _i, _a, v: check_quantity(v))
    trial: bool = attrs.field(default=False, validator=flag)
    auto_renew: bool = attrs.field(default=True, validator=flag)
    event_id: str | None = attrs.field(default=None, kw_only=True, validator=_event_id)


@attrs.frozen
class ConvertSku:
    """The subscription moves to SKU ``to`` on ``on`` (a plan change, prorated).

    ``quantity`` may restate the current quantity; a different one is refused, since plan and
    quantity never change in one event.
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    to: Sku = attrs.field(validator=_instance_of(Sku, "to"))
    quantity: int | None = attrs.field(
        default=None, validator=lambda _i, _a, v: v is None or check_quantity(v)
    )
    event_id: str | None = attrs.field(default=None, kw_only=True, validator=_event_id)


@attrs.frozen
class ChangeQuantity:
    """The number of seats becomes ``quantity`` on ``on``."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    quantity: int = attrs.field(validator=lambda _i, _a, v: check_quantity(v))
    event_id: str | None = attrs.field(default=None, kw_only=True, validator=_event_id)


@attrs.frozen
class Cancel:
    """The subscription is cancelled on ``on`` (refunded or not, by the rulebook's windows)."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    event_id: str | None = attrs.field(default=None, kw_only=True, validator=_event_id)


@attrs.frozen
class SetAutoRenew:
    """Auto-renewal is switched on or off on ``on``; it takes effect at the next term end."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    enabled: bool = attrs.field(validator=flag)
    event_id: str | None = attrs.field(default=None, kw_only=True, validator=_event_id)


#: Any lifecycle event.
Event = Purchase | ConvertSku | ChangeQuantity | Cancel | SetAutoRenew
