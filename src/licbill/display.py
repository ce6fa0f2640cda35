"""Presentation at the edge: localised money and dates, plain records, HTML tables.

Nothing here computes an amount: money is rounded by licbill's rules before it is formatted,
because babel would otherwise round half-even on its own. Locales are always explicit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import importlib
from collections.abc import Iterable, Sequence
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency

from .errors import InvalidTypeError, InvalidValueError, MissingDependencyError
from .lines import ChargeLine, ChargeType
from .money import Money, decimal_context
from .periods import check_date

__all__ = [
    "charge_type_label",
    "format_date",
    "format_money",
    "html_table",
    "require_pandas",
    "line_record",
    "locale_of",
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
    """Return the babel locale *name* (``"nl_NL"``); raise :class:`InvalidValueError` if unknown."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"a locale is a name such as 'nl_NL', not {name!r}")
    try:
        return Locale.parse(name)
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
    """Format *day* in *locale*'s short form (``10-06-2019`` in ``nl_NL``)."""
    return _babel_date(check_date(day, "day"), format="short", locale=locale_of(locale))


def charge_type_label(line: ChargeLine, *, locale: str) -> str:
    """The charge type of *line* as *locale* reads it (the seed's Dutch words for ``nl``)."""
    if not isinstance(line, ChargeLine):
        raise InvalidTypeError(f"not a licbill.ChargeLine: {line!r}")
    labels = _LABELS.get(locale_of(locale).language, {})
    return labels.get(line.charge_type.kind, str(line.charge_type))


def line_record(line: ChargeLine) -> dict[str, Any]:
    """*line* as a plain dict: amounts as ``Decimal``, currency apart, charge type spelled."""
    return {
        "subscription_id": line.subscription_id,
        "order_date": line.order_date,
        "sku_id": line.sku_id,
        "sku_name": line.sku_name,
        "charge_start": line.charge_start,
        "charge_end": line.charge_end,
        "unit_price": line.unit_price.amount,
        "effective_unit_price": line.effective_unit_price.amount,
        "quantity": line.quantity,
        "total": line.total.amount,
        "currency": line.currency,
        "charge_type": str(line.charge_type),
        "description": line.description,
        "reference_id": line.reference_id,
        "product_qualifiers": list(line.product_qualifiers),
    }


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
