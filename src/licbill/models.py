"""The facts licbill bills from: the catalogue (SKUs) and what happened to subscriptions."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypedDict, Unpack

import attrs

from ._validators import MAX_QUANTITY, flag, identifier, of_type, shown, text, whole
from .errors import InvalidTypeError, InvalidValueError
from .money import Money
from .periods import check_date

__all__ = [
    "Billing",
    "Cancel",
    "ChangeBillingPlan",
    "ChangeQuantity",
    "ConvertSku",
    "ConvertTrial",
    "Event",
    "PriceChange",
    "Purchase",
    "ScheduleChange",
    "SetAutoRenew",
    "Sku",
    "SkuKind",
    "SkuOptions",
    "Term",
]


class Term(enum.Enum):
    """The commitment a subscription is bought for (ISO 8601 durations)."""

    P1M = 1
    P1Y = 12
    P3Y = 36

    @property
    def months(self) -> int:
        """Length of the term in months."""
        return self.value


class Billing(enum.Enum):
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


class SkuKind(enum.Enum):
    """What a SKU's quantity means."""

    #: Quantity is a number of licences (seats).
    PER_SEAT = "per-seat"
    #: One flat price per cycle; quantity is always 1.
    FLAT = "flat"
    #: A flat plan whose lines are dated on the event day at the full price
    #: (docs/lifecycle.md, custom-meter plans).
    CUSTOM_METER = "custom-meter"


def _a_date(what: str) -> Any:
    return lambda _instance, _attribute, value: check_date(value, what)


def check_quantity(value: Any, what: str = "quantity") -> int:
    """Return *value* if it is an int in 1..MAX_QUANTITY; raise a licbill error naming it."""
    quantity = whole(value, what)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidValueError(f"{what} must lie in 1..{MAX_QUANTITY}, not {shown(quantity)}")
    return quantity


@attrs.frozen(kw_only=True)
class PriceChange:
    """A catalogue price change: from ``on``, the SKU's unit price is ``unit_price``.

    New commerce locks the price for a term: purchases, renewals and conversions on or after
    ``on`` get the new price, terms already running keep theirs.
    """

    on: dt.date = attrs.field(validator=_a_date("on"))
    unit_price: Money = attrs.field(validator=of_type(Money))

    def __attrs_post_init__(self) -> None:
        if self.unit_price.amount < 0:
            raise InvalidValueError(f"a price change cannot set a negative price {self.unit_price}")


def _price_changes(value: Any) -> tuple[PriceChange, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
        raise InvalidTypeError(f"price_changes must be a tuple of PriceChange, not {value!r}")
    return tuple(value)


class SkuOptions(TypedDict, total=False):
    """The fields of :class:`Sku` that :meth:`Sku.monthly` and :meth:`Sku.annual` take as they
    are (each with the default of the field)."""

    kind: SkuKind
    min_quantity: int
    max_quantity: int | None
    product_id: str
    price_changes: tuple[PriceChange, ...]


@attrs.frozen(kw_only=True)
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
    unit_price: Money = attrs.field(validator=of_type(Money))
    term: Term = attrs.field(validator=of_type(Term))
    billing: Billing = attrs.field(validator=of_type(Billing))
    kind: SkuKind = attrs.field(default=SkuKind.PER_SEAT, validator=of_type(SkuKind))
    min_quantity: int = attrs.field(default=1)
    max_quantity: int | None = attrs.field(default=None)
    product_id: str = attrs.field(default="", validator=text)
    price_changes: tuple[PriceChange, ...] = attrs.field(default=(), converter=_price_changes)

    def __attrs_post_init__(self) -> None:
        if self.unit_price.amount < 0:
            raise InvalidValueError(f"SKU {self.id!r} has a negative unit price {self.unit_price}")
        self._check_price_changes()
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

    def _check_price_changes(self) -> None:
        previous: dt.date | None = None
        for change in self.price_changes:
            if not isinstance(change, PriceChange):
                raise InvalidTypeError(
                    f"SKU {self.id!r}: price_changes holds PriceChange values, not {change!r}"
                )
            if change.unit_price.currency != self.unit_price.currency:
                raise InvalidValueError(
                    f"SKU {self.id!r}: the price change of {change.on} is in "
                    f"{change.unit_price.currency}, the SKU in {self.unit_price.currency}"
                )
            if previous is not None and change.on <= previous:
                raise InvalidValueError(
                    f"SKU {self.id!r}: price changes must be in strictly increasing date order, "
                    f"but {change.on} follows {previous}"
                )
            previous = change.on

    def price_on(self, day: dt.date) -> Money:
        """The catalogue unit price in force on *day*: the last price change on or before it,
        or ``unit_price`` before the first (see ``docs/operations.md``, prices at renewal)."""
        check_date(day, "day")
        price = self.unit_price
        for change in self.price_changes:
            if change.on > day:
                break
            price = change.unit_price
        return price

    @classmethod
    def monthly(
        cls, *, id: str, name: str, unit_price: Money, **options: Unpack[SkuOptions]
    ) -> Sku:
        """A one-month term billed monthly; *options* are the other fields of :class:`Sku`."""
        return cls(
            id=id,
            name=name,
            unit_price=unit_price,
            term=Term.P1M,
            billing=Billing.MONTHLY,
            **options,
        )

    @classmethod
    def annual(
        cls,
        *,
        id: str,
        name: str,
        unit_price: Money,
        billing: Billing = Billing.ANNUAL,
        **options: Unpack[SkuOptions],
    ) -> Sku:
        """A one-year term, billed annually unless *billing* says monthly or upfront; *options*
        are the other fields of :class:`Sku`."""
        return cls(
            id=id, name=name, unit_price=unit_price, term=Term.P1Y, billing=billing, **options
        )

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
        whole(quantity, "a quantity")
        if self.kind is not SkuKind.PER_SEAT:
            return quantity == 1
        return self.min_quantity <= quantity and (
            self.max_quantity is None or quantity <= self.max_quantity
        )


def _event_id(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidTypeError(f"event_id must be a non-empty str or None, not {value!r}")


@attrs.frozen(kw_only=True)
class Purchase:
    """A subscription is bought on ``on``: ``trial=True`` starts a free trial of the SKU.

    ``auto_renew`` (default on) decides whether the term renews, and whether a trial becomes paid.
    ``custom_term_end`` ends the first term early, on that date (aligned with a calendar month
    or with another subscription); the first charge is prorated by days and later terms are
    standard (see ``docs/operations.md``). ``customer_id`` names the customer the subscription
    belongs to: every line of the subscription carries it (``ChargeLine.customer_id``), and so
    does the new subscription of a partial upgrade (docs/customers.md).
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    sku: Sku = attrs.field(validator=of_type(Sku))
    quantity: int = attrs.field(default=1, validator=lambda _i, _a, v: check_quantity(v))
    trial: bool = attrs.field(default=False, validator=flag)
    auto_renew: bool = attrs.field(default=True, validator=flag)
    event_id: str | None = attrs.field(default=None, validator=_event_id)
    custom_term_end: dt.date | None = attrs.field(
        default=None,
        validator=lambda _i, _a, v: v is None or check_date(v, "custom_term_end"),
    )
    customer_id: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(identifier)
    )


@attrs.frozen(kw_only=True)
class ConvertSku:
    """The subscription moves to SKU ``to`` on ``on`` (an upgrade, prorated).

    ``quantity`` may restate the current quantity; a different one is refused, since plan and
    quantity never change in one event. A partial upgrade names ``target_subscription_id``:
    ``quantity`` seats move to that subscription on SKU ``to`` (bought now, coterminous with
    the source, or an existing one on ``to``), and the source keeps the rest.
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    to: Sku = attrs.field(validator=of_type(Sku))
    quantity: int | None = attrs.field(
        default=None, validator=lambda _i, _a, v: v is None or check_quantity(v)
    )
    event_id: str | None = attrs.field(default=None, validator=_event_id)
    target_subscription_id: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(identifier)
    )

    def __attrs_post_init__(self) -> None:
        if self.target_subscription_id is not None:
            if self.quantity is None:
                raise InvalidValueError(
                    f"a partial upgrade to {self.target_subscription_id!r} needs a quantity"
                )
            if self.target_subscription_id == self.subscription_id:
                raise InvalidValueError(
                    f"a partial upgrade moves seats to another subscription, not to "
                    f"{self.subscription_id!r} itself"
                )


@attrs.frozen(kw_only=True)
class ChangeBillingPlan:
    """The billing frequency changes to that of SKU ``to`` on ``on`` (monthly <-> annual).

    The term and its dates stay; ``to`` has the same term, kind and currency as the current SKU
    and another billing frequency. Lines are ``changeBillingPlan`` (see ``docs/operations.md``).
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    to: Sku = attrs.field(validator=of_type(Sku))
    event_id: str | None = attrs.field(default=None, validator=_event_id)


@attrs.frozen(kw_only=True)
class ScheduleChange:
    """A change of seats and/or SKU that takes effect at the next renewal, with no line now.

    A later scheduled change replaces this one; a mid-term upgrade clears it.
    """

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    quantity: int | None = attrs.field(
        default=None, validator=lambda _i, _a, v: v is None or check_quantity(v)
    )
    to: Sku | None = attrs.field(default=None, validator=of_type(Sku, or_none=True))
    event_id: str | None = attrs.field(default=None, validator=_event_id)

    def __attrs_post_init__(self) -> None:
        if self.quantity is None and self.to is None:
            raise InvalidValueError("a scheduled change needs a quantity, a SKU (to=) or both")


@attrs.frozen(kw_only=True)
class ConvertTrial:
    """A free trial becomes paid on ``on``, before the trial ends (its last day included)."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    event_id: str | None = attrs.field(default=None, validator=_event_id)


@attrs.frozen(kw_only=True)
class ChangeQuantity:
    """The number of seats becomes ``quantity`` on ``on``."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    quantity: int = attrs.field(validator=lambda _i, _a, v: check_quantity(v))
    event_id: str | None = attrs.field(default=None, validator=_event_id)


@attrs.frozen(kw_only=True)
class Cancel:
    """The subscription is cancelled on ``on`` (refunded or not, by the rulebook's windows)."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    event_id: str | None = attrs.field(default=None, validator=_event_id)


@attrs.frozen(kw_only=True)
class SetAutoRenew:
    """Auto-renewal is switched on or off on ``on``; it takes effect at the next term end."""

    subscription_id: str = attrs.field(validator=identifier)
    on: dt.date = attrs.field(validator=_a_date("on"))
    enabled: bool = attrs.field(validator=flag)
    event_id: str | None = attrs.field(default=None, validator=_event_id)


#: Any lifecycle event.
Event = (
    Purchase
    | ConvertSku
    | ChangeQuantity
    | Cancel
    | SetAutoRenew
    | ChangeBillingPlan
    | ScheduleChange
    | ConvertTrial
)
