"""Explanations: how a charge line's amount came about, as a value and as one line of text.

The derivation is the one of docs/proration.md: ``EUP = unit price / cycle days * billing
days``, rounded by the policy in force, per unit (then times the quantity) or per line. A credit
names the reference ids of the charges it gives back. See docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .errors import InvalidValueError
from .money import Money
from .proration import Rounding, RoundingScope, effective_unit_price, prorate

if TYPE_CHECKING:  # lines.py imports this module inside ChargeLine.explain; seats.py at the top
    from .lines import Basis, ChargeLine
    from .periods import Month
    from .seats import Counting, Product
    from .workspace import UserKind

__all__ = ["Explanation", "SeatExplanation", "explain_line", "plain"]


@attrs.frozen(kw_only=True)
class Explanation:
    """The derivation of one line's amount; ``str()`` gives :attr:`text`.

    ``effective_unit_price`` is the prorated price of one unit before rounding (to
    ``licbill.proration.EUP_PLACES`` places), ``rounded_unit_price`` the same after a per-unit
    policy rounded it (``None`` under a per-line policy), ``amount`` the unsigned amount the
    policy gives and ``total`` the line's signed total. ``reverses`` names what a credit gives
    back; ``refund`` marks a line of a full refund, which reverses the one line of its cycle
    that ``reverses`` names: the same days, seats and price, the opposite total.
    """

    unit_price: Money
    cycle_days: int
    billing_days: int
    effective_unit_price: Money
    rounded_unit_price: Money | None
    rounding: Rounding
    quantity: int
    amount: Money
    total: Money
    reverses: tuple[str, ...]
    refund: bool
    text: str

    def __str__(self) -> str:
        return self.text


@attrs.frozen(kw_only=True)
class SeatExplanation:
    """Which users a seat count holds, on which days, under which counting policy.

    Made by :meth:`licbill.SeatCount.explain` and :meth:`licbill.InvoiceLine.explain`;
    ``str()`` gives :attr:`text`. ``users`` are the ids the count holds (under
    ``DAILY_PRORATED`` every user holding a seat on some counted day), ``held_days`` maps each
    user holding a seat on some counted day to its number of days, ``seats`` is the count (a
    daily-prorated one: seat-days over the month's days). ``unit_price``, ``rounding`` and
    ``total`` are an invoice line's (``None`` for a bare seat count, ``rounding`` also when
    the invoice names none).
    """

    product: Product
    user_kind: UserKind
    month: Month
    counting: Counting
    users: tuple[str, ...]
    held_days: Mapping[str, int]
    seats: Decimal
    unit_price: Money | None
    rounding: Rounding | None
    total: Money | None
    text: str

    def __str__(self) -> str:
        return self.text

    def to_html(self) -> str:
        """An HTML document part: the text, then a table of the users and their days."""
        from .io.display import seat_explanation_html

        return seat_explanation_html(self)

    def _repr_html_(self) -> str:
        return self.to_html()


def plain(amount: Decimal) -> str:
    """Return *amount* as plain text without trailing zeros after the point (``7.728``)."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def explain_line(line: ChargeLine) -> Explanation:
    """Return the :class:`Explanation` of *line* from the basis the engine recorded on it.

    Raises :class:`~licbill.InvalidValueError` for a line without a basis.
    """
    basis = _basis_of(line)
    price, policy = line.unit_price, basis.rounding
    days = {"billing_days": basis.billing_days, "cycle_days": basis.cycle_days}
    exact = effective_unit_price(unit_price=price, **days)
    amount = prorate(unit_price=price, quantity=line.quantity, rounding=policy, **days)
    rounded: Money | None = None
    if policy.scope is RoundingScope.PER_UNIT:
        rounded = prorate(unit_price=price, quantity=1, rounding=policy, **days)
    arithmetic = _arithmetic(line, basis, exact=exact, rounded=rounded, amount=amount)
    return Explanation(
        unit_price=price,
        cycle_days=basis.cycle_days,
        billing_days=basis.billing_days,
        effective_unit_price=exact,
        rounded_unit_price=rounded,
        rounding=policy,
        quantity=line.quantity,
        amount=amount,
        total=line.total,
        reverses=basis.reverses,
        refund=basis.refund,
        text=_in_words(arithmetic, line, basis),
    )


def _basis_of(line: ChargeLine) -> Basis:
    """The basis recorded on *line*, or the error saying only engine lines carry one."""
    if line.basis is None:
        raise InvalidValueError(
            f"line {line.reference_id!r} of subscription {line.subscription_id!r} carries no "
            "basis: only lines made by licbill's engine can explain themselves"
        )
    return line.basis


def _arithmetic(
    line: ChargeLine, basis: Basis, *, exact: Money, rounded: Money | None, amount: Money
) -> str:
    """The sum behind *amount*, rounded per unit (when *rounded* is given) or per line."""
    price, quantity, policy, unit = line.unit_price, line.quantity, basis.rounding, basis.unit
    head = (
        f"{plain(price.amount)} {price.currency} / {basis.cycle_days} {unit}"
        f" x {basis.billing_days} {unit}"
    )
    if rounded is not None:
        return (
            f"{head} = {plain(exact.amount)} -> {rounded.amount} ({policy.name}) x {quantity}"
            f" = {amount}"
        )
    return (
        f"{head} = {plain(exact.amount)} x {quantity} = {plain(exact.amount * quantity)}"
        f" -> {amount.amount} ({policy.name}) = {amount}"
    )


def _in_words(arithmetic: str, line: ChargeLine, basis: Basis) -> str:
    """*arithmetic* framed by what the line is: a refund, a credit, a trial, a reversal."""
    text = arithmetic
    if basis.refund:
        # A full refund reverses one line of its cycle: the same days, seats and price.
        what = "credit" if line.total.amount > 0 else "charge"
        text = (
            f"full refund of the cycle from {basis.cycle_start}, reversing the {what} of "
            f"{text}: {line.total}"
        )
    elif line.total.amount < 0:
        text = f"credit of {text}: {line.total}"
    if "Trial" in line.product_qualifiers:
        text = f"free trial: {text}"
    if basis.reverses:
        text += f" (reverses {', '.join(basis.reverses)})"
    return text
