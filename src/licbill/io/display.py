"""Presentation at the edge: localised money and dates, plain records, HTML tables.

Nothing here computes an amount: money is rounded by licbill's rules before it is formatted,
because babel would otherwise round half-even on its own. Locales are always explicit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import html
import importlib
import re
import typing
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency

from .._validators import is_whole
from ..errors import InvalidTypeError, InvalidValueError, MissingDependencyError
from ..explain import SeatExplanation
from ..invoice import Invoice
from ..lines import RECORD_FIELDS, ChargeLine, ChargeType, ChargeTypeName
from ..models import Billing, Term
from ..money import Money, decimal_context
from ..periods import check_date

__all__ = [
    "charge_type_label",
    "check_line",
    "date_pattern",
    "format_date",
    "format_money",
    "html_table",
    "line_frame",
    "line_record",
    "locale_of",
    "require_pandas",
]

# Labels the Dutch seed document uses; other kinds keep the rulebook's spelling.
_LABELS: Final = {
    "nl": {
        ChargeType.NEW: "Nieuw",
        ChargeType.RENEW: "Verlengen",
        ChargeType.CANCEL: "Annuleren",
        ChargeType.CONVERT: "Converteren",
    },
}


def locale_of(name: str) -> Locale:
    """Return the babel locale *name*: a BCP-47 tag (``"nl-NL"``, ``"zh-Hant-TW"``) or babel's
    own spelling (``"nl_NL"``). Raise :class:`InvalidValueError` if unknown."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"a locale is a name such as 'nl-NL' or 'nl_NL', not {name!r}")
    try:
        return Locale.parse(name, sep="-" if "-" in name else "_")
    except (UnknownLocaleError, ValueError):
        raise InvalidValueError(f"unknown locale {name!r}") from None


def format_money(money: Money, *, locale: str) -> str:
    """Format *money* for *locale*: ``nl_NL`` gives ``€ 10,08``, ``en_US`` ``$10.08``.

    The amount must already be at the currency's minor unit (round it first with
    ``money.rounded(mode)``): licbill never lets a formatter round for it.
    """
    if not isinstance(money, Money):
        raise InvalidTypeError(f"format_money needs Money, not {money!r}")
    if not money.is_rounded:
        raise InvalidValueError(
            f"{money!r} has digits beyond the minor unit: round it with a RoundingMode first"
        )
    # babel computes in the current decimal context: give it licbill's for the call (a copy,
    # restored on return), with only Rounded untrapped, as dropping zeros is not rounding.
    context = decimal_context()
    context.traps[decimal.Rounded] = False
    with decimal.localcontext(context):
        return format_currency(money.amount, money.currency, locale=locale_of(locale))


def format_date(day: dt.date, *, locale: str) -> str:
    """Format *day* in *locale*'s short form, always with a four-digit year.

    ``10-06-2019`` in ``nl-NL``, ``6/10/2019`` in ``en-US`` and ``10.06.2019`` in ``de-DE``:
    the locale's own order and separators, but never a two-digit year (babel's short forms of
    ``en_US``, ``de_DE`` and others have one), so a date in a table is never ambiguous.
    """
    day = check_date(day, "day")
    return _babel_date(day, format=date_pattern(locale), locale=locale_of(locale))


def date_pattern(locale: str) -> str:
    """The date pattern :func:`format_date` uses for *locale*: its short form with ``yyyy``."""
    return _four_digit_year(locale_of(locale).date_formats["short"].pattern)


@cache
def _four_digit_year(pattern: str) -> str:
    # Quoted literals ('...') stay as they are; every run of y outside them becomes yyyy.
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    return "".join(p if p.startswith("'") else re.sub("y+", "yyyy", p) for p in parts)


def charge_type_label(line: ChargeLine, *, locale: str) -> str:
    """The charge type of *line* as *locale* reads it (the seed's Dutch words for ``nl``)."""
    if not isinstance(line, ChargeLine):
        raise InvalidTypeError(f"not a licbill.ChargeLine: {line!r}")
    labels = _LABELS.get(locale_of(locale).language, {})
    return labels.get(line.charge_type.kind, str(line.charge_type))


_TEXT_FIELDS: Final = ("subscription_id", "sku_id", "sku_name", "description", "reference_id")
_DATE_FIELDS: Final = ("order_date", "charge_start", "charge_end")
_MONEY_FIELDS: Final = ("unit_price", "effective_unit_price", "total")


def check_line(line: object, *, index: int | None = None) -> ChargeLine:
    """Return *line* if it is a well-formed :class:`ChargeLine`, for the writers to trust.

    Every field must have its declared type: text fields ``str``, dates ``datetime.date`` (not
    ``datetime``), amounts :class:`Money` in the currency of ``total``, ``quantity`` an ``int``
    (not ``bool``), ``charge_type`` a :class:`ChargeTypeName`, ``term`` and ``billing`` their
    enums. Otherwise :class:`InvalidTypeError` names the line (*index*, counting from 0, when
    given), the field and the value, so a hand-built line cannot smuggle a formula or text into
    a numeric column. The engine's lines always pass.
    """
    name = "charge line" if index is None else f"charge line {index}"
    if not isinstance(line, ChargeLine):
        raise InvalidTypeError(f"{name} is not a licbill.ChargeLine: {line!r}")
    wrong = _wrong_text_or_date(line) or _wrong_amount(line) or _wrong_kind(line)
    if wrong is not None:
        field, kind = wrong
        raise InvalidTypeError(f"{name}: {field} must be {kind}, not {getattr(line, field)!r}")
    return line


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _wrong_text_or_date(line: ChargeLine) -> tuple[str, str] | None:
    """The first text or date field of *line* without its type, and the type it needs."""
    for field in (*_TEXT_FIELDS, "product_id"):
        if not isinstance(getattr(line, field), str):
            return field, "text (str)"
    for field in _DATE_FIELDS:
        if not _is_date(getattr(line, field)):
            return field, "a datetime.date"
    for field in ("reverses", "customer_id"):
        value = getattr(line, field)
        if value is not None and not isinstance(value, str):
            return field, "text (str) or None"
    for field in ("subscription_start", "subscription_end"):
        value = getattr(line, field)
        if value is not None and not _is_date(value):
            return field, "a datetime.date or None"
    return None


def _wrong_amount(line: ChargeLine) -> tuple[str, str] | None:
    """The first amount or quantity field of *line* without its type, and the type it needs."""
    if not isinstance(line.total, Money):
        return "total", "licbill.Money"
    for field in _MONEY_FIELDS:
        value = getattr(line, field)
        if not isinstance(value, Money) or value.currency != line.total.currency:
            return field, f"licbill.Money in {line.total.currency} (the currency of total)"
    if not is_whole(line.quantity):
        return "quantity", "a whole number (int)"
    return None


def _wrong_kind(line: ChargeLine) -> tuple[str, str] | None:
    """The first of *line*'s charge type, qualifiers, term and billing without its type."""
    if not isinstance(line.charge_type, ChargeTypeName):
        return "charge_type", "a licbill.ChargeTypeName"
    qualifiers = line.product_qualifiers
    if not isinstance(qualifiers, tuple) or not all(isinstance(q, str) for q in qualifiers):
        return "product_qualifiers", "a tuple of str"
    if not isinstance(line.term, Term):
        return "term", "a licbill.Term"
    if not isinstance(line.billing, Billing):
        return "billing", "a licbill.Billing"
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, ChargeTypeName):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str) else value.name
    if isinstance(value, tuple):
        return list(value)
    return value


def line_record(line: ChargeLine) -> dict[str, Any]:
    """*line* as a plain dict, one key per field, plus ``currency`` right after ``total``.

    Amounts are ``Decimal`` (exact, without the currency), the charge type its spelling, the
    term its name (``P1Y``), other enums their value, dates ``datetime.date``.
    """
    check_line(line)
    record: dict[str, Any] = {}
    for name, value in zip(line._fields, line, strict=True):
        if name not in RECORD_FIELDS:
            continue
        record[name] = _plain(value)
        if name == "total":
            record["currency"] = line.currency
    return record


@cache
def _column_kinds() -> dict[str, str]:
    hints = typing.get_type_hints(ChargeLine)
    kinds = {}
    for name in RECORD_FIELDS:
        hint = hints[name]
        if hint in (dt.date, dt.date | None):
            kinds[name] = "date"
        elif hint is Money:
            kinds[name] = "money"
        elif hint is int:
            kinds[name] = "int"
        elif hint in (str, ChargeTypeName) or (
            isinstance(hint, type) and issubclass(hint, enum.Enum)
        ):
            kinds[name] = "str"
        else:
            kinds[name] = "other"
        if name == "total":
            kinds["currency"] = "str"
    return kinds


def line_frame(lines: Iterable[ChargeLine]) -> Any:
    """The lines as a ``pandas.DataFrame`` with typed columns (docs/notebooks.md).

    Dates (``order_date``, ``charge_start``, ...) are ``datetime64`` (a missing date ``NaT``);
    money columns hold exact ``Decimal`` objects, the ``currency`` column their ISO code
    (amounts may carry more digits than the minor unit, as prorated unit prices do, so integer
    minor units could not hold them); quantities are ``int64``; the rest as in
    :func:`line_record`. Needs the ``pandas`` extra.
    """
    pd = require_pandas()
    records = [line_record(line) for line in lines]
    columns = {}
    for name, kind in _column_kinds().items():
        values = [record[name] for record in records]
        if kind == "date":
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif kind == "int":
            columns[name] = pd.Series(values, dtype="int64")
        elif kind == "money":
            columns[name] = pd.Series(values, dtype=object)
        elif kind == "str":
            columns[name] = pd.Series(values, dtype=str)
        else:
            columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


def html_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, numeric: Iterable[int] = ()
) -> str:
    """An escaped HTML table; the columns at the *numeric* indexes are right-aligned."""
    right = set(numeric)
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = []
    for row in rows:
        cells = (
            f'<td style="text-align:right">{html.escape(str(cell))}</td>'
            if i in right
            else f"<td>{html.escape(str(cell))}</td>"
            for i, cell in enumerate(row)
        )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def require_pandas() -> Any:
    """Import pandas, or raise :class:`MissingDependencyError` naming the extra to install."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise MissingDependencyError(
            "to_dataframe() needs pandas: pip install 'licbill[pandas]'"
        ) from None


def invoice_rows(invoice: Invoice, *, locale: str | None = None) -> list[tuple[str, ...]]:
    """The cells of an invoice's lines and its total: product, users, quantity, unit price,
    total; money localised when *locale* is given (the one place invoice lines are rendered)."""

    def money(value: Money) -> str:
        return str(value.amount) if locale is None else format_money(value, locale=locale)

    rows: list[tuple[str, ...]] = [
        (line.product.value, line.user_kind.value, str(line.quantity),
         money(line.unit_price), money(line.total))
        for line in invoice.lines
    ]  # fmt: skip
    rows.append(("Total", "", "", "", money(invoice.total)))
    return rows


def invoice_html(invoice: Invoice, *, locale: str | None = None) -> str:
    """``Invoice.to_html``: the billing details, then a table of the lines and the total."""
    title = html.escape(f"{invoice.billing.company_name or invoice.workspace_id} · {invoice.month}")
    details = html_table(("billing detail", "value"), invoice.billing_details())
    header = ("product", "users", "quantity", "unit price", "total")
    lines = html_table(header, invoice_rows(invoice, locale=locale), numeric=(2, 3, 4))
    return f"<p><b>{title}</b></p>{details}{lines}"


def seat_explanation_html(explanation: SeatExplanation) -> str:
    """``SeatExplanation.to_html``: the text, then the users with their days and whether the
    count holds them."""
    rows = (
        (user, days, "yes" if user in explanation.users else "no")
        for user, days in explanation.held_days.items()
    )
    table = html_table(("user", "days held", "counted"), rows, numeric=(1,))
    return f"<p>{html.escape(explanation.text)}</p>{table}"
