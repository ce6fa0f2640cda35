"""Customer statements: charge lines grouped into one document per customer and billing month
(docs/customers.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from .charges import ChargeLines
from .errors import InvalidTypeError, InvalidValueError
from .lines import ChargeLine
from .money import Money
from .periods import Month

__all__ = ["CustomerStatement", "customer_statements"]


@attrs.frozen(kw_only=True)
class CustomerStatement:
    """The charge lines of one customer, billing month and currency, with their totals.

    ``lines`` are every line of the customer ordered in the month (by ``order_date``), in the
    order given, credits included as lines of their own (never netted away); ``charges`` is the
    sum of the positive totals, ``credits`` of the negative ones, and ``total`` is ``charges +
    credits``, which is exactly the sum of every line's total. ``customer_id`` is ``None`` for
    the lines of purchases that named no customer.
    """

    customer_id: str | None
    month: Month
    currency: str
    lines: ChargeLines
    charges: Money
    credits: Money
    total: Money

    def __attrs_post_init__(self) -> None:
        if self.charges + self.credits != self.total or self.total != sum(
            (line.total for line in self.lines), Money.zero(self.currency)
        ):
            raise InvalidValueError(
                f"statement of {self.customer_id!r} for {self.month}: charges {self.charges} "
                f"and credits {self.credits} do not add up to the lines' total {self.total}"
            )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per line (as ``ChargeLines.to_records``), with the month added."""
        return [record | {"month": str(self.month)} for record in self.lines.to_records()]

    def to_table(self, *, locale: str | None = None) -> str:
        """A plain-text statement: customer and month, the lines, then charges, credits and
        total; localised when *locale* is given."""
        from .io.tables import statement_table

        return statement_table(self, locale=locale)

    def to_html(self, *, locale: str | None = None) -> str:
        """An HTML document part: customer and month, a table of the lines, and the totals."""
        from .io.tables import statement_html

        return statement_html(self, locale=locale)

    def _repr_html_(self) -> str:
        return self.to_html()


def customer_statements(lines: Iterable[ChargeLine]) -> tuple[CustomerStatement, ...]:
    """Group *lines* into one :class:`CustomerStatement` per customer, billing month (the month
    of the line's ``order_date``) and currency.

    Statements come ordered by customer id (``None``, lines without a customer, last), month
    and currency; each keeps its lines in the order given. Lines from several runs, or
    subscription and workspace lines (``Invoice.charge_lines()``), may be mixed. Raises
    :class:`~licbill.InvalidTypeError` for anything but charge lines.
    """
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise InvalidTypeError(f"lines must be an iterable of ChargeLine values, not {lines!r}")
    groups: dict[tuple[str | None, Month, str], list[ChargeLine]] = {}
    for index, line in enumerate(lines):
        if not isinstance(line, ChargeLine) or not isinstance(line.total, Money):
            raise InvalidTypeError(f"line {index} is not a licbill.ChargeLine: {line!r}")
        key = (line.customer_id, Month.of(line.order_date), line.currency)
        groups.setdefault(key, []).append(line)
    statements = []
    for (customer_id, month, currency), group in sorted(groups.items(), key=_order):
        zero = Money.zero(currency)
        charges = sum((x.total for x in group if x.total.amount > 0), zero)
        credits = sum((x.total for x in group if x.total.amount < 0), zero)
        statements.append(
            CustomerStatement(
                customer_id=customer_id,
                month=month,
                currency=currency,
                lines=ChargeLines(group),
                charges=charges,
                credits=credits,
                total=charges + credits,
            )
        )
    return tuple(statements)


def _order(item: tuple[tuple[str | None, Month, str], Any]) -> tuple[bool, str, Month, str]:
    customer_id, month, currency = item[0]
    return (customer_id is None, customer_id or "", month, currency)
