"""The reconciliation-file export (``docs/recon.md``): one CSV row per charge line.

Numbers are plain (``-20.00``), dates ISO (``2019-06-10``). Text cells a spreadsheet would run
as a formula are prefixed with ``'``; numeric cells are left as numbers, and only ever hold
numbers and dates: every line is checked field by field first
(:func:`licbill.io.display.check_line`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final, TextIO

import attrs

from ..errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from ..lines import ChargeLine
from ..models import Billing, Term
from ..money import Money
from .display import check_line

__all__ = ["COLUMNS", "Customer", "check_customers", "neutralise", "rows", "write_csv"]

#: The columns of the reconciliation file, in order (``docs/recon.md``).
COLUMNS: Final = (
    "PartnerId",
    "CustomerId",
    "CustomerName",
    "InvoiceNumber",
    "OrderId",
    "OrderDate",
    "SubscriptionId",
    "SubscriptionDescription",
    "ProductId",
    "SkuId",
    "SkuName",
    "ChargeType",
    "UnitPrice",
    "EffectiveUnitPrice",
    "Quantity",
    "BillableQuantity",
    "Subtotal",
    "TaxTotal",
    "Total",
    "Currency",
    "ChargeStartDate",
    "ChargeEndDate",
    "TermAndBillingCycle",
    "BillingFrequency",
    "SubscriptionStartDate",
    "SubscriptionEndDate",
    "ReferenceId",
    "ProductQualifiers",
)

_TERMS: Final = {Term.P1M: "1 Month", Term.P1Y: "1 Year", Term.P3Y: "3 Years"}
_FREQUENCIES: Final = {
    Billing.MONTHLY: "Monthly",
    Billing.ANNUAL: "Annual",
    Billing.UPFRONT: "OneTime",
}
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidTypeError(f"Customer.{attribute.name} must be text (str), not {value!r}")


@attrs.frozen
class Customer:
    """A customer as the recon file names it (both text): ``CustomerId`` and ``CustomerName``."""

    id: str = attrs.field(validator=_text)
    name: str = attrs.field(default="", validator=_text)


def check_customers(customers: object) -> Mapping[str, Customer]:
    """Return *customers* if it maps ids (``str``) to :class:`Customer` values.

    Keys are customer ids (``ChargeLine.customer_id``), or, for lines without a customer id,
    subscription ids (see :func:`rows`).

    ``None`` means no customers (an empty mapping). Anything else, such as ``{"S1": "Contoso"}``
    (a name where a ``Customer`` belongs), raises :class:`InvalidTypeError` naming the entry.
    """
    if customers is None:
        return {}
    if not isinstance(customers, Mapping):
        raise InvalidTypeError(
            f"customers must map customer ids to recon.Customer values, not {customers!r}"
        )
    for key, value in customers.items():
        if not isinstance(key, str) or not isinstance(value, Customer):
            raise InvalidTypeError(
                f"customers[{key!r}] must be a recon.Customer under a customer id (str), "
                f"not {value!r}: write Customer(id=..., name=...)"
            )
    return customers


def neutralise(text: str) -> str:
    """Return *text* safe to open in a spreadsheet: a leading formula character gets a ``'``."""
    if not isinstance(text, str):
        raise InvalidTypeError(f"only text is neutralised, not {text!r}")
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def rows(
    lines: Iterable[ChargeLine],
    *,
    partner_id: str = "",
    invoice_number: str = "",
    customers: Mapping[str, Customer] | None = None,
    tax: Callable[[ChargeLine], Money] | None = None,
) -> Iterable[dict[str, str]]:
    """Yield one dict per line, keyed by :data:`COLUMNS`.

    ``CustomerId`` is the line's own ``customer_id`` (``Purchase.customer_id``); *customers*
    then only supplies names, keyed by customer id. A line without a customer id takes its
    customer from *customers* by subscription id, as before customers were on the lines.
    *tax* returns a line's tax. Without them those cells stay empty (licbill never invents a
    tax or a customer), and so does ``Total``, which includes tax. Raises
    :class:`InvalidTypeError` for wrong customers (:func:`check_customers`), partner or invoice
    numbers that are not text, a tax function that is not callable, and for a line that is not
    a well-formed :class:`ChargeLine` (:func:`licbill.io.display.check_line`, naming the line's
    index and field); :class:`~licbill.InvalidValueError` (when that line is reached) for a
    :class:`Customer` whose id is not the customer id of the line it names.
    """
    known = check_customers(customers)
    for name, value in (("partner_id", partner_id), ("invoice_number", invoice_number)):
        if not isinstance(value, str):
            raise InvalidTypeError(f"{name} must be text (str), not {value!r}")
    if tax is not None and not callable(tax):
        raise InvalidTypeError(f"tax must be a function of a line, not {tax!r}")
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise InvalidTypeError(f"lines must be an iterable of ChargeLine values, not {lines!r}")
    return _rows(lines, partner_id, invoice_number, known, tax)


def _rows(
    lines: Iterable[ChargeLine],
    partner_id: str,
    invoice_number: str,
    customers: Mapping[str, Customer],
    tax: Callable[[ChargeLine], Money] | None,
) -> Iterator[dict[str, str]]:
    for index, line in enumerate(lines):
        check_line(line, index=index)
        customer = _customer(line, index, customers)
        tax_total, total = _tax_cells(line, tax)
        row = {
            key: neutralise(value)
            for key, value in _text_cells(line, customer, partner_id, invoice_number).items()
        }
        row.update(
            OrderDate=line.order_date.isoformat(),
            UnitPrice=str(line.unit_price.amount),
            EffectiveUnitPrice=str(line.effective_unit_price.amount),
            Quantity=str(line.quantity),
            BillableQuantity=str(line.quantity),
            Subtotal=str(line.total.amount),
            TaxTotal=tax_total,
            Total=total,
            Currency=line.currency,
            ChargeStartDate=line.charge_start.isoformat(),
            ChargeEndDate=line.charge_end.isoformat(),
            SubscriptionStartDate=_iso(line.subscription_start),
            SubscriptionEndDate=_iso(line.subscription_end),
        )
        yield {column: row[column] for column in COLUMNS}


def _tax_cells(line: ChargeLine, tax: Callable[[ChargeLine], Money] | None) -> tuple[str, str]:
    """``TaxTotal`` and ``Total`` of *line*: both empty without a *tax* function."""
    if tax is None:
        return "", ""
    amount = tax(line)
    if not isinstance(amount, Money) or amount.currency != line.currency:
        raise CurrencyMismatchError(f"tax {amount!r} is not money in {line.currency}")
    return str(amount.amount), str((line.total + amount).amount)


def _text_cells(
    line: ChargeLine, customer: Customer, partner_id: str, invoice_number: str
) -> dict[str, str]:
    """The free-text cells of *line*'s row, before they are neutralised."""
    return {
        "PartnerId": partner_id,
        "CustomerId": customer.id,
        "CustomerName": customer.name,
        "InvoiceNumber": invoice_number,
        "OrderId": "",
        "SubscriptionId": line.subscription_id,
        "SubscriptionDescription": line.description,
        "ProductId": line.product_id,
        "SkuId": line.sku_id,
        "SkuName": line.sku_name,
        "ChargeType": str(line.charge_type),
        "TermAndBillingCycle": f"{_TERMS[line.term]} - {_FREQUENCIES[line.billing]} Billing",
        "BillingFrequency": _FREQUENCIES[line.billing],
        "ReferenceId": line.reference_id,
        "ProductQualifiers": (
            "[" + ", ".join(f'"{q}"' for q in line.product_qualifiers) + "]"
            if line.product_qualifiers
            else ""
        ),
    }


_NOBODY: Final = Customer("")


def _customer(line: ChargeLine, index: int, customers: Mapping[str, Customer]) -> Customer:
    own = line.customer_id
    if own is None:
        return customers.get(line.subscription_id, _NOBODY)
    key = own if own in customers else line.subscription_id
    entry = customers.get(key)
    if entry is None:
        return Customer(own)
    if entry.id != own:
        raise InvalidValueError(
            f"charge line {index}: customers[{key!r}] is {entry!r}, but the line's customer "
            f"is {own!r}"
        )
    return entry


def write_csv(
    lines: Iterable[ChargeLine],
    file: TextIO,
    *,
    partner_id: str = "",
    invoice_number: str = "",
    customers: Mapping[str, Customer] | None = None,
    tax: Callable[[ChargeLine], Money] | None = None,
) -> int:
    """Write *lines* to the open text *file* as a recon CSV with a header; return the row count.

    Open the file with ``newline=""``, as for any ``csv`` writer. See :func:`rows` for the
    parameters. Raises :class:`InvalidTypeError` for wrong parameters (before anything is
    written) and for a line that is not a well-formed charge line (at that line; rows before it
    are written), and :class:`CurrencyMismatchError` for tax in another currency than its line.
    """
    records = rows(  # checks the parameters before the header is written
        lines, partner_id=partner_id, invoice_number=invoice_number, customers=customers, tax=tax
    )
    writer = csv.DictWriter(file, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for row in records:
        writer.writerow(row)
        count += 1
    return count


def _iso(day: object) -> str:
    return day.isoformat() if hasattr(day, "isoformat") else ""
