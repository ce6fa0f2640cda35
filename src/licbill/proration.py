"""Proration (docs/proration.md): effective unit price and the rounding policies, computed exactly.

``EUP = unit price / cycle days * billing days`` is a rational number; licbill keeps it as an
integer fraction and rounds once, where the policy says, so no intermediate ``Decimal`` rounding
can push a total across a cent.
"""

from __future__ import annotations

import enum

from ._validators import MAX_QUANTITY, shown, whole
from .errors import InvalidTypeError, InvalidValueError
from .money import MINOR_UNITS, Money, RoundingMode, amount_of, round_div, unchecked_money

__all__ = [
    "EUP_PLACES",
    "MAX_QUANTITY",
    "Rounding",
    "RoundingScope",
    "effective_unit_price",
    "prorate",
]

#: Decimal places of the effective unit price shown on a line (the total never uses it).
EUP_PLACES = 10


class RoundingScope(enum.Enum):
    """Where a policy rounds: the prorated price of one unit, or the whole line."""

    PER_UNIT = "per-unit"
    PER_LINE = "per-line"


class Rounding(enum.Enum):
    """A proration rounding policy: where to round and how.

    - ``PER_UNIT_DOWN``: ``ROUNDDOWN(EUP, minor) * quantity``, the recon-file field definition;
    - ``PER_LINE_DOWN``: ``ROUNDDOWN(EUP * quantity, minor)``, the seat-change examples;
    - ``PER_UNIT_HALF_UP``: half-up per licence, then times quantity, the legacy pages;
    - ``PER_LINE_HALF_UP`` and ``PER_LINE_HALF_EVEN``: the whole line, half-up or half-even;
    - ``PER_UNIT_HALF_EVEN``: half-even per licence.
    """

    PER_UNIT_DOWN = (RoundingScope.PER_UNIT, RoundingMode.DOWN)
    PER_LINE_DOWN = (RoundingScope.PER_LINE, RoundingMode.DOWN)
    PER_UNIT_HALF_UP = (RoundingScope.PER_UNIT, RoundingMode.HALF_UP)
    PER_LINE_HALF_UP = (RoundingScope.PER_LINE, RoundingMode.HALF_UP)
    PER_UNIT_HALF_EVEN = (RoundingScope.PER_UNIT, RoundingMode.HALF_EVEN)
    PER_LINE_HALF_EVEN = (RoundingScope.PER_LINE, RoundingMode.HALF_EVEN)

    @property
    def scope(self) -> RoundingScope:
        """Whether the policy rounds each unit's price or the line's total."""
        return self.value[0]

    @property
    def mode(self) -> RoundingMode:
        """How the policy rounds."""
        return self.value[1]

    def bound(self, quantity: int) -> int:
        """The most minor units (exclusive) by which one line's total can differ from exact.

        Per-line policies are off by less than one minor unit; per-unit ones by less than one per
        unit, so less than *quantity* minor units.
        """
        whole(quantity, "quantity")
        return max(quantity, 1) if self.scope is RoundingScope.PER_UNIT else 1


def effective_unit_price(*, unit_price: Money, billing_days: int, cycle_days: int) -> Money:
    """Return ``unit price / cycle days * billing days`` to :data:`EUP_PLACES` places, half-even.

    For display: totals are never computed from it. Raises :class:`InvalidValueError` unless
    ``0 < billing_days <= cycle_days``.
    """
    _check_price(unit_price)
    _check_days(billing_days, cycle_days)
    return unchecked_effective_unit_price(unit_price, billing_days, cycle_days)


def prorate(
    *, unit_price: Money, quantity: int, billing_days: int, cycle_days: int, rounding: Rounding
) -> Money:
    """Return the total for *quantity* units over *billing_days* of a *cycle_days* cycle.

    The result is rounded to the currency's minor unit by *rounding*; it is never negative
    (credits are the negation of what this returns for the same days). Raises
    :class:`InvalidValueError` for a negative price, a quantity outside ``0..MAX_QUANTITY``,
    days that do not fit (``0 < billing_days <= cycle_days``), or a total outside the
    supported amounts (see :class:`~licbill.Money`).
    """
    if not isinstance(rounding, Rounding):
        raise InvalidTypeError(f"rounding must be a licbill.Rounding, not {rounding!r}")
    whole(quantity, "quantity")
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidValueError(f"quantity must lie in 0..{MAX_QUANTITY}, not {shown(quantity)}")
    _check_price(unit_price)
    _check_days(billing_days, cycle_days)
    return unchecked_prorate(unit_price, quantity, billing_days, cycle_days, rounding)


# The engines' hot paths below take arguments that are already validated (not in __all__).

_EUP_SCALE = 10**EUP_PLACES
# Members looked up once, as in licbill.money.
_PER_UNIT = RoundingScope.PER_UNIT
_HALF_EVEN = RoundingMode.HALF_EVEN
_SCALES = {currency: 10**places for currency, places in MINOR_UNITS.items()}


def unchecked_prorate(
    unit_price: Money,
    quantity: int,
    billing_days: int,
    cycle_days: int,
    rounding: Rounding,
    sign: int = 1,
) -> Money:
    numerator, denominator = unit_price.amount.as_integer_ratio()
    currency = unit_price.currency
    # The policy's own value, not a table keyed by it: an enum member hashes in Python
    # (``python -m timeit``: a table lookup 69 ns, ``rounding._value_`` 9 ns).
    scope, mode = rounding._value_
    scale = _SCALES[currency]
    if scope is _PER_UNIT:
        units = round_div(numerator * billing_days * scale, denominator * cycle_days, mode)
        units *= quantity
    else:
        units = round_div(
            numerator * billing_days * quantity * scale, denominator * cycle_days, mode
        )
    # Exact integers all the way; the one Decimal is built in licbill's context, and a total
    # outside the supported amounts (price times quantity too large) is refused, naming it.
    return unchecked_money(amount_of(sign * units, MINOR_UNITS[currency]), currency)


def unchecked_effective_unit_price(unit_price: Money, billing_days: int, cycle_days: int) -> Money:
    if billing_days == cycle_days:
        return unit_price
    numerator, denominator = unit_price.amount.as_integer_ratio()
    units = round_div(numerator * billing_days * _EUP_SCALE, denominator * cycle_days, _HALF_EVEN)
    return unchecked_money(amount_of(units, EUP_PLACES), unit_price.currency)


def _check_price(unit_price: Money) -> None:
    if not isinstance(unit_price, Money):
        raise InvalidTypeError(f"a unit price must be licbill.Money, not {unit_price!r}")
    if unit_price.amount < 0:
        raise InvalidValueError(f"a unit price cannot be negative: {unit_price!r}")


def _check_days(billing_days: int, cycle_days: int) -> None:
    whole(billing_days, "billing_days")
    whole(cycle_days, "cycle_days")
    if not 0 < billing_days <= cycle_days:
        raise InvalidValueError(
            f"billing days must lie in 1..cycle days, not {billing_days} of {cycle_days}"
        )
