"""Plain-text tables of charge lines, for terminals and the demo (an edge: values stay pure)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from ..errors import InvalidTypeError, InvalidValueError
from ..invoice import Invoice
from ..lines import ChargeLine
from ..statements import CustomerStatement
from .display import (
    charge_type_label,
    check_line,
    format_date,
    format_money,
    html_table,
    invoice_rows,
)

__all__ = [
    "LINE_COLUMNS",
    "LINE_NUMERIC",
    "line_cells",
    "render",
    "statement_html",
    "statement_table",
]

#: The columns of a charge-line table: the seed tables' columns plus the subscription and SKU.
LINE_COLUMNS = (
    "order",
    "subscription",
    "SKU",
    "start",
    "end",
    "unit",
    "qty",
    "total",
    "type",
    "description",
)


def line_cells(line: ChargeLine, *, locale: str | None = None) -> tuple[str, ...]:
    """Return the cells of *line* under :data:`LINE_COLUMNS`; localised when *locale* is given.

    Raises :class:`InvalidTypeError` for a malformed line (see :func:`check_line`).
    """
    check_line(line)
    if locale is None:
        dates = (line.order_date.isoformat(), line.charge_start.isoformat())
        end = line.charge_end.isoformat()
        unit, total = str(line.unit_price.amount), str(line.total.amount)
        kind = str(line.charge_type)
    else:
        dates = (
            format_date(line.order_date, locale=locale),
            format_date(line.charge_start, locale=locale),
        )
        end = format_date(line.charge_end, locale=locale)
        unit = (
            format_money(line.unit_price, locale=locale)
            if line.unit_price.is_rounded
            else str(line.unit_price.amount)
        )
        total = format_money(line.total, locale=locale)
        kind = charge_type_label(line, locale=locale)
    return (
        *dates[:1],
        line.subscription_id,
        line.sku_name,
        dates[1],
        end,
        unit,
        str(line.quantity),
        total,
        kind,
        line.description,
    )


#: Indexes of the numeric columns of :data:`LINE_COLUMNS`.
LINE_NUMERIC = (5, 6, 7)


def render(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] | None = None,
) -> str:
    """Return a table with aligned columns; numeric columns are right-aligned, header included.

    The columns at the *numeric* indexes are numeric; by default, a column is numeric when each
    of its non-empty cells is a number or an amount, plain (``-20.00``) or localised
    (``US$ -20,00``, ``1.234,50 €``, ``CHF 3.00``); dates and text are left-aligned. Every
    cell is text (``str``) and every row has one cell per header, or :class:`InvalidTypeError`
    / :class:`InvalidValueError` names the row.
    """
    body = [tuple(row) for row in rows]
    for n, row in enumerate((tuple(header), *body)):
        where = "the header" if n == 0 else f"row {n - 1}"
        if not all(isinstance(cell, str) for cell in row):
            raise InvalidTypeError(f"{where} has a cell that is not text: {row!r}")
        if len(row) != len(header):
            raise InvalidValueError(f"{where} has {len(row)} cells for {len(header)} columns")
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    if numeric is None:
        right = {
            i
            for i in range(len(header))
            if any(r[i] for r in body) and all(_numeric(r[i]) for r in body if r[i])
        }
    else:
        right = set(numeric)

    def fmt(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(row) for row in body)])


# A currency code beside an amount: "US" of "US$", or a whole three-letter code ("CHF 3.00").
_CODE = re.compile(r"[A-Z]{2,3}(?=\$)|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")
_PLAIN = re.compile(r"[-+]?\d+(?:\.\d+)?")
# Signs, separators, spaces and direction marks that babel puts around and inside amounts.
_AROUND = frozenset(" \xa0\u202f.,'\u2019+-\u2212()\u066b\u066c\u200e\u200f\u061c")


def _numeric(cell: str) -> bool:
    """Whether *cell* is a plain number (``-20.00``) or an amount with its currency, as babel
    writes it in any locale (``US$ -20,00``, ``1.234,50 €``, ``CHF 3.00``); dates are not."""
    if _PLAIN.fullmatch(cell):
        return True
    rest = _CODE.sub("\N{EURO SIGN}", cell)  # a code counts as a currency sign
    signed = any(unicodedata.category(c) == "Sc" for c in rest)
    if not signed or not any(c.isdigit() for c in rest):
        return False
    return all(c.isdigit() or c in _AROUND or unicodedata.category(c) == "Sc" for c in rest)


def invoice_table(invoice: Invoice, *, locale: str | None = None) -> str:
    """``Invoice.to_table``: workspace and month, the billing details, then the lines."""
    head = [f"Invoice {invoice.workspace_id} {invoice.month} ({invoice.model.value} model, "
            f"{invoice.counting.value} counting)"]  # fmt: skip
    details = invoice.billing_details()
    width = max(len(label) for label, _ in details)
    head += [f"{label + ':':<{width + 1}} {value or '-'}" for label, value in details]
    header = ("product", "users", "quantity", "unit", "total")
    return "\n".join(head) + "\n\n" + render(header, invoice_rows(invoice, locale=locale))


def _statement_sums(statement: CustomerStatement, locale: str | None) -> list[tuple[str, str]]:
    return [
        (label, str(money.amount) if locale is None else format_money(money, locale=locale))
        for label, money in (
            ("charges", statement.charges),
            ("credits", statement.credits),
            ("total", statement.total),
        )
    ]


def statement_table(statement: CustomerStatement, *, locale: str | None = None) -> str:
    """``CustomerStatement.to_table``: customer and month, the lines, then the totals."""
    who = statement.customer_id or "(no customer)"
    head = f"Statement {who} {statement.month} ({statement.currency})"
    rows = [line_cells(line, locale=locale) for line in statement.lines]
    sums = _statement_sums(statement, locale)
    width = max(len(label) for label, _ in sums)
    amount = max(len(text) for _, text in sums)
    foot = [f"{label + ':':<{width + 1}} {text:>{amount}}" for label, text in sums]
    return "\n".join([head, "", render(LINE_COLUMNS, rows, numeric=LINE_NUMERIC), "", *foot])


def statement_html(statement: CustomerStatement, *, locale: str | None = None) -> str:
    """``CustomerStatement.to_html``: customer and month, a table of the lines, the totals."""
    who = statement.customer_id or "(no customer)"
    title = html.escape(f"{who} · {statement.month} · {statement.currency}")
    rows = [line_cells(line, locale=locale) for line in statement.lines]
    lines = html_table(LINE_COLUMNS, rows, numeric=LINE_NUMERIC)
    sums = html_table(("", "amount"), _statement_sums(statement, locale), numeric=(1,))
    return f"<p><b>{title}</b></p>{lines}{sums}"
