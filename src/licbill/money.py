"""Money: a ``Decimal`` amount in an ISO 4217 currency, with rounding that is always explicit."""

from __future__ import annotations

import decimal
import enum
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final

import attrs
from babel.numbers import get_currency_precision, list_currencies

from ._validators import is_whole, shown, whole
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError, UnknownCurrencyError

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_PLACES",
    "MINOR_UNITS",
    "Money",
    "RoundingMode",
    "amount_of",
    "decimal_context",
    "minor_units",
    "round_div",
    "total",
]

#: Supported amounts: ``abs(amount) < 10**MAX_AMOUNT_DIGITS`` (a billion billion units) ...
MAX_AMOUNT_DIGITS: Final = 18
#: ... with at most this many digits after the decimal point (trailing zeros aside).
MAX_PLACES: Final = 12

# Comparisons are context-free; unary minus is not, so the negative bound is a constant too.
_LIMIT: Final = Decimal(10**MAX_AMOUNT_DIGITS)
_NEGATIVE_LIMIT: Final = Decimal(-(10**MAX_AMOUNT_DIGITS))
_RANGE = f"|amount| < 10**{MAX_AMOUNT_DIGITS} with at most {MAX_PLACES} decimal places"

# licbill's decimal context (see docs/guarantees.md). Every Decimal operation licbill does
# names it explicitly (``ctx.add``, ``quantize(..., context=ctx)``) instead of using the
# caller's current context, so no caller setting (precision, rounding, exponent limits, traps)
# changes an amount, and licbill never installs a context of its own in the caller, not even
# while a lazy iterator is suspended. Amounts are refused at the door unless in range, so 80
# digits hold every sum and product exactly; the traps turn any inexact result into an error
# rather than a silent rounding.
_TEMPLATE: Final = decimal.Context(
    prec=80,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999,
    Emax=999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Subnormal,
        decimal.Clamped,
        decimal.Inexact,
        decimal.Rounded,
    ],
)

# A Context object records flags on every operation. licbill never reads them (a trap fires on
# the operation that signals, whatever the flags say), but one Context object shared by threads
# would still be written by all of them; each thread gets its own copy, so threads share nothing.
_LOCAL = threading.local()


def _ctx() -> decimal.Context:
    try:
        context: decimal.Context = _LOCAL.context
    except AttributeError:
        context = _LOCAL.context = _TEMPLATE.copy()
    return context


def decimal_context() -> decimal.Context:
    """A new copy of the decimal context licbill computes in, whatever the caller's context.

    Precision 80, half-even, exponents -999..999, every signal trapped (so an inexact result is
    an error, never a silent rounding). licbill never makes it the current context; changing
    the copy changes nothing in licbill.
    """
    return _TEMPLATE.copy()


def _too_big(shown: Any) -> InvalidValueError:
    return InvalidValueError(f"{_short(shown)} is outside licbill's supported amounts: {_RANGE}")


_short = shown  # a refused value is named, but a 5,000-digit one is not copied whole


def _in_range(amount: Decimal, shown: Any) -> Decimal:
    """Return *amount* if it is in the supported range (re-scaled exactly when its exponent
    lies outside 0..-MAX_PLACES); raise a licbill error naming *shown* otherwise."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    if not amount:
        return amount if -MAX_PLACES <= exponent <= 0 else Decimal(0)
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise _too_big(shown)
    if -MAX_PLACES <= exponent <= 0:
        return amount
    if exponent > 0:  # 1E+5 becomes 100000, exactly
        return Decimal((sign, digits + (0,) * exponent, 0))
    # More places than allowed, unless they are trailing zeros: those are dropped, exactly.
    beyond = -exponent - MAX_PLACES
    if amount.adjusted() < -MAX_PLACES or any(digits[len(digits) - beyond :]):
        raise _too_big(shown)
    return Decimal((sign, digits[: len(digits) - beyond], -MAX_PLACES))


def amount_of(units: int, places: int) -> Decimal:
    """Return ``units / 10**places`` as an exact ``Decimal`` (licbill's context, not the caller's).

    Raises :class:`InvalidValueError` naming *units* when the amount is outside the supported
    range, ``abs(amount) < 10**MAX_AMOUNT_DIGITS``, or *places* is outside 0..MAX_PLACES.
    """
    if not 0 <= places <= MAX_PLACES:
        raise InvalidValueError(f"places must lie in 0..{MAX_PLACES}, not {places!r}")
    limit = _UNIT_LIMITS[places]
    if not -limit < units < limit:
        raise _too_big(units if places == 0 else f"{_short(units)} units of 10**-{places}")
    return Decimal(units).scaleb(_SHIFTS[places], _ctx())


#: ``10 ** (MAX_AMOUNT_DIGITS + places)`` for each number of places: computed once, not per
#: amount (every prorated line calls :func:`amount_of`).
_UNIT_LIMITS: Final = tuple(10 ** (MAX_AMOUNT_DIGITS + places) for places in range(MAX_PLACES + 1))
#: ``-places`` as a Decimal for each number of places: ``scaleb`` converts an int exponent on
#: every call (``python -m timeit`` of ``amount_of(123456, 2)``: 0.51 us with it, 0.36 us
#: without).
_SHIFTS: Final = tuple(Decimal(-places) for places in range(MAX_PLACES + 1))


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


class RoundingMode(enum.Enum):
    """How an amount is brought to a currency's minor unit."""

    #: Toward zero: the spreadsheet ``ROUNDDOWN`` of the published examples.
    DOWN = "down"
    #: Half away from zero: the legacy pages.
    HALF_UP = "half-up"
    #: Half to even (banker's rounding).
    HALF_EVEN = "half-even"


# Members looked up once: an enum class's attribute lookup is the slow kind (``python -m
# timeit``: ``mode is RoundingMode.DOWN`` 83 ns, ``mode is _DOWN`` 8 ns).
_DOWN = RoundingMode.DOWN
_HALF_UP = RoundingMode.HALF_UP


def round_div(numerator: int, denominator: int, mode: RoundingMode) -> int:
    """Divide two non-negative integers, rounding the quotient with *mode*; exact, no floats."""
    quotient, remainder = divmod(numerator, denominator)
    if mode is _DOWN or remainder == 0:
        return quotient
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    if mode is _HALF_UP:
        return quotient + 1
    return quotient + (quotient & 1)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise InvalidTypeError(
            f"money amounts must be Decimal, int or str, not {type(value).__name__} {value!r}"
        )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not -(10**MAX_AMOUNT_DIGITS) < value < 10**MAX_AMOUNT_DIGITS:
        raise _too_big(value)
    elif isinstance(value, int | str):
        try:
            amount = Decimal(value)
        except (InvalidOperation, ValueError):
            raise InvalidValueError(f"not a decimal amount: {_short(value)}") from None
    else:
        raise InvalidTypeError(
            f"money amounts must be Decimal, int or str, not {type(value).__name__} {value!r}"
        )
    if not amount.is_finite():
        raise InvalidValueError(f"money amounts must be finite, not {_short(value)}")
    return _in_range(amount, value)


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

    Supported amounts: ``abs(amount) < 10**18`` with at most 12 decimal places
    (:data:`MAX_AMOUNT_DIGITS`, :data:`MAX_PLACES`; trailing zeros do not count). Every result
    of arithmetic is held to the same range. All arithmetic is exact and uses licbill's own
    decimal context (:func:`decimal_context`), never the caller's.

    Raises :class:`InvalidTypeError` for a float or other wrong type, :class:`InvalidValueError`
    for a malformed, infinite or out-of-range amount, :class:`UnknownCurrencyError` for an
    unknown code.
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
        whole(units, "minor units")
        _check_currency(None, None, currency)
        return unchecked_money(amount_of(units, MINOR_UNITS[currency]), currency)

    @property
    def minor_units(self) -> int:
        """The number of minor-unit digits of this currency."""
        return MINOR_UNITS[self.currency]

    @property
    def is_rounded(self) -> bool:
        """True when the amount has no digits beyond the currency's minor unit."""
        # Exact and context-free: amount = n/d in lowest terms has no more digits than the
        # minor unit exactly when d divides 10**minor_units.
        scale: int = 10**self.minor_units
        return scale % self.amount.as_integer_ratio()[1] == 0

    def to_minor(self) -> int:
        """Return the amount in minor units; raises if it is not already rounded."""
        if not self.is_rounded:
            raise InvalidValueError(f"{self!r} has digits beyond the minor unit; round it first")
        numerator, denominator = self.amount.as_integer_ratio()
        scale: int = 10**self.minor_units
        return numerator * scale // denominator

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
        if not weights or not all(is_whole(w) for w in weights):
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

    # In-range operands have at most 30 digits, so sums and products fit licbill's 80-digit
    # context exactly; the result is then held to the supported range like any amount.

    # A sum's exponent is the smaller of its operands', so only its size needs checking.

    def __add__(self, other: Money) -> Money:
        total = _ctx().add(self.amount, self._same(other, "add").amount)
        if not _NEGATIVE_LIMIT < total < _LIMIT:
            raise _too_big(f"{self} + {other}")
        return unchecked_money(total, self.currency)

    def __sub__(self, other: Money) -> Money:
        total = _ctx().subtract(self.amount, self._same(other, "subtract").amount)
        if not _NEGATIVE_LIMIT < total < _LIMIT:
            raise _too_big(f"{self} - {other}")
        return unchecked_money(total, self.currency)

    def __neg__(self) -> Money:
        return unchecked_money(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> Money:
        return unchecked_money(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if not (is_whole(factor) or isinstance(factor, Decimal)):
            raise InvalidTypeError(f"money can be multiplied by an int or Decimal, not {factor!r}")
        if isinstance(factor, int):
            if not -(10**MAX_AMOUNT_DIGITS) < factor < 10**MAX_AMOUNT_DIGITS:
                raise _too_big(factor)
            exact = Decimal(factor)
        else:
            if not factor.is_finite():
                raise InvalidValueError(f"money cannot be multiplied by {factor!r}")
            exact = _in_range(factor, factor)
        product = _ctx().multiply(self.amount, exact)
        try:
            amount = _in_range(product, product)
        except InvalidValueError:
            # The message names the operands; built only when needed: `Money("12.50", "EUR")
            # * 7` took 5.99 us with it built every time, 3.74 us without (python -m timeit).
            raise _too_big(f"{self} * {_short(factor)}") from None
        return unchecked_money(amount, self.currency)

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


def unchecked_money(amount: Decimal, currency: str) -> Money:
    """Money from an amount and a currency already known valid, skipping the checks.

    For licbill's own hot paths (proration, sums of Money), never for outside input: it trusts
    that *amount* is a Decimal in the supported range and *currency* an ISO 4217 code.
    """
    money = _new_money(Money)
    _set_amount(money, amount)
    _set_currency(money, currency)
    return money


# The slots' own setters, past the frozen class's __setattr__ (``python -m timeit`` of
# ``unchecked_money``: 0.18 us, where object.__setattr__ took 0.35 us).
_new_money = object.__new__
_set_amount = Money.amount.__set__  # type: ignore[attr-defined]
_set_currency = Money.currency.__set__  # type: ignore[attr-defined]


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
