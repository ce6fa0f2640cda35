"""Money: a ``Decimal`` amount in an ISO 4217 currency, with rounding that is always explicit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final

import attrs
from babel.numbers import get_currency_precision, list_currencies

from ._enums import FastEnum
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError, UnknownCurrencyError

__all__ = ["MINOR_UNITS", "Money", "RoundingMode", "minor_units", "round_div", "total"]

#: Minor units (digits after the decimal point) of every ISO 4217 currency babel knows.
MINOR_UNITS: Final = MappingProxyType(
    {code: get_currency_precision(code) for code in sorted(list_currencies())}
)


def minor_units(currency: str) -> int:
    """Return the number of minor-unit digits of *currency* (USD 2, JPY 0, BHD 3).

    Raises :class:`UnknownCurrencyError` for a code that is not ISO 4217.
    """
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrencyError(f"unknown ISO 4217 currency code {currency!r}") from None


class RoundingMode(FastEnum):
    """How an amount is brought to a currency's minor unit."""

    #: Toward zero: the spreadsheet ``ROUNDDOWN`` of the published examples.
    DOWN = "down"
    #: Half away from zero: the legacy pages.
    HALF_UP = "half-up"
    #: Half to even (banker's rounding).
    HALF_EVEN = "half-even"


def round_div(numerator: int, denominator: int, mode: RoundingMode) -> int:
    """Divide two non-negative integers, rounding the quotient with *mode*; exact, no floats."""
    quotient, remainder = divmod(numerator, denominator)
    if mode is RoundingMode.DOWN or remainder == 0:
        return quotient
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    if mode is RoundingMode.HALF_UP:
        return quotient + 1
    return quotient + (quotient & 1)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise InvalidTypeError(
            f"money amounts must be Decimal, int or str, not {type(value).__name__} {value!r}"
        )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise InvalidValueError(f"not a decimal amount: {value!r}") from None
    else:
        raise InvalidTypeError(
            f"money amounts must be Decimal, int or str, not {type(value).__name__} {value!r}"
        )
    if not amount.is_finite():
        raise InvalidValueError(f"money amounts must be finite, not {value!r}")
    return amount


def _check_currency(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidTypeError(f"a currency is an ISO 4217 code string, not {value!r}")
    minor_units(value)


@attrs.frozen(order=False)
class Money:
    """An amount of one currency. Immutable; arithmetic only between equal currencies.

    ``Money("20", "USD")``: the amount is a ``Decimal``, ``int`` or ``str`` (floats are refused,
    since they cannot hold cents exactly); the currency an ISO 4217 code. An amount may carry more
    digits than the currency's minor unit (a prorated unit price does); :meth:`rounded` brings it
    to the minor unit with an explicit :class:`RoundingMode`.

    Raises :class:`InvalidTypeError` for a float or other wrong type, :class:`InvalidValueError`
    for a malformed or infinite amount, :class:`UnknownCurrencyError` for an unknown code.
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in *currency*."""
        return cls.from_minor(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Return ``units`` minor units of *currency* (``from_minor(1008, "EUR")`` is 10.08 EUR)."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidTypeError(f"minor units must be an int, not {units!r}")
        return cls(Decimal(units).scaleb(-minor_units(currency)), currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        # For licbill's own hot paths, with a Decimal and a currency already known valid.
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @property
    def minor_units(self) -> int:
        """The number of minor-unit digits of this currency."""
        return MINOR_UNITS[self.currency]

    @property
    def is_rounded(self) -> bool:
        """True when the amount has no digits beyond the currency's minor unit."""
        return self.amount == self.amount.quantize(Decimal(1).scaleb(-self.minor_units))

    def to_minor(self) -> int:
        """Return the amount in minor units; raises if it is not already rounded."""
        if not self.is_rounded:
            raise InvalidValueError(f"{self!r} has digits beyond the minor unit; round it first")
        return int(self.amount.scaleb(self.minor_units))

    def rounded(self, mode: RoundingMode) -> Money:
        """Return this amount rounded to the currency's minor unit with *mode*."""
        if not isinstance(mode, RoundingMode):
            raise InvalidTypeError(f"rounding needs a RoundingMode, not {mode!r}")
        numerator, denominator = self.amount.as_integer_ratio()
        scaled = abs(numerator) * 10**self.minor_units
        units = round_div(scaled, denominator, mode)
        return Money.from_minor(-units if numerator < 0 else units, self.currency)

    def allocate(self, weights: Sequence[int]) -> tuple[Money, ...]:
        """Split this (rounded) amount by integer *weights*; the parts always add back up exactly.

        Remainder minor units go one each to the largest fractional shares, ties to the earlier
        part, so the split is deterministic.
        """
        if not weights or any(isinstance(w, bool) or not isinstance(w, int) for w in weights):
            raise InvalidTypeError(f"weights must be a non-empty sequence of ints, not {weights!r}")
        if any(w < 0 for w in weights) or sum(weights) == 0:
            raise InvalidValueError(
                f"weights must be non-negative with a positive sum: {weights!r}"
            )
        total = self.to_minor()
        sign = -1 if total < 0 else 1
        whole = sum(weights)
        shares = [divmod(abs(total) * w, whole) for w in weights]
        parts = [q for q, _ in shares]
        left = abs(total) - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for i in by_remainder[:left]:
            parts[i] += 1
        return tuple(Money.from_minor(sign * p, self.currency) for p in parts)

    def _same(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise InvalidTypeError(f"cannot {operation} {self!r} and {other!r}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot {operation} {self!r} and {other!r}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise InvalidTypeError(f"money can be multiplied by an int or Decimal, not {factor!r}")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(monies: Iterable[Money], *, currency: str | None = None) -> Money:
    """The exact sum of *monies* (no rounding); ``lb.total([])`` needs a *currency*.

    ``sum(monies, Money.zero("EUR"))`` gives the same; :func:`total` also refuses an empty
    sequence without a currency, where ``sum`` would give the int ``0``. Raises
    :class:`CurrencyMismatchError` for two currencies (or one unlike *currency*),
    :class:`InvalidTypeError` for an item that is not :class:`Money`, and
    :class:`InvalidValueError` for no monies and no currency.
    """
    if isinstance(monies, str | bytes | Money) or not isinstance(monies, Iterable):
        raise InvalidTypeError(f"total() takes an iterable of Money, not {monies!r}")
    items = iter(monies)
    if currency is not None:
        result = Money.zero(currency)
    else:
        first = next(items, None)
        if first is None:
            raise InvalidValueError("the total of no money needs a currency: total([], currency=)")
        if not isinstance(first, Money):
            raise InvalidTypeError(f"cannot total {first!r}: not Money")
        result = first
    for money in items:
        result = result + money
    return result
