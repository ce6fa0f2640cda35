"""Reading a reconciliation file: licbill's layout or the Partner Center column names, every
cell checked, every error naming file, line and field (docs/audit.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final, TextIO

from .._validators import MAX_QUANTITY, shown
from ..errors import InvalidTypeError, LicbillError
from ..lines import ChargeLine, ChargeType, ChargeTypeName
from ..models import Billing, Term
from ..money import Money, decimal_context
from ._rows import ReconRow

__all__ = ["ReconFileError", "read_recon"]


class ReconFileError(LicbillError, ValueError):
    """A reconciliation file that cannot be read: ``path``, ``line`` and ``field`` say where."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {message}")
        self.path, self.line, self.field = path, line, field


_REQUIRED: Final = (
    "SubscriptionId",
    "ChargeType",
    "UnitPrice",
    "Currency",
    "ChargeStartDate",
    "ChargeEndDate",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_KINDS: Final = {kind.value.lower(): kind for kind in ChargeType}
_TERM_TEXT: Final = re.compile(r"(\d+|one|three)[\s-]*(month|year)", re.IGNORECASE)
_US_DATE: Final = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _column(name: str) -> str:
    # "ChargeStartDate", "chargestartdate" and the published "Charge Start  Date" are one column.
    return re.sub(r"[^a-z0-9]", "", name.lower())


#: Other published names of licbill's columns.
_ALIASES: Final = {"amount": "total", "productqualifier": "productqualifiers"}


def read_recon(file: str | os.PathLike[str] | TextIO) -> tuple[ReconRow, ...]:
    """Read the reconciliation CSV *file* (a path or an open text file) into rows.

    Columns are matched by name, case-insensitively: licbill's layout
    (:data:`licbill.io.recon.COLUMNS`) and the Partner Center names are the same; extra columns
    are ignored. Needed: ``SubscriptionId``, ``ChargeType``, ``UnitPrice``, ``Currency``,
    ``ChargeStartDate``, ``ChargeEndDate``, ``Quantity`` or ``BillableQuantity``, and
    ``Subtotal`` or ``Total``. Dates are ISO (``2019-06-10``), US (``6/10/2019``) or written
    out (``June 18, 2021``). Column names match ignoring case, spaces and punctuation
    (``Charge Start Date``), and ``Amount`` is read as ``Total``. Raises
    :class:`ReconFileError` naming the
    file, line and field of anything it cannot read.
    """
    if isinstance(file, str | os.PathLike):
        path = str(file)
        try:
            with Path(file).open(encoding="utf-8-sig", newline="") as handle:
                return _read(handle, path)
        except ReconFileError:
            raise  # already names the file (a ValueError, so caught before the one below)
        except OSError as error:
            raise ReconFileError(path, None, "file", error.strerror or str(error)) from None
        except UnicodeDecodeError as error:
            raise ReconFileError(path, None, "file", f"not UTF-8 text ({error.reason})") from None
        except ValueError as error:  # a path with a NUL byte
            raise ReconFileError(repr(path), None, "file", str(error)) from None
    if not isinstance(file, io.TextIOBase) and not hasattr(file, "read"):
        raise InvalidTypeError(f"read_recon needs a path or an open text file, not {file!r}")
    return _read(file, str(getattr(file, "name", "<file>")))


def _read(handle: TextIO, path: str) -> tuple[ReconRow, ...]:
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ReconFileError(path, 1, "header", str(error)) from None
    if header is None:
        raise ReconFileError(path, None, "header", "the file is empty")
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = _column(name)
        index.setdefault(_ALIASES.get(key, key), position)
    missing = [name for name in _REQUIRED if _column(name) not in index]
    if "subtotal" not in index and "total" not in index:
        missing.append("Subtotal")
    if "quantity" not in index and "billablequantity" not in index:
        missing.append("Quantity")
    if missing:
        raise ReconFileError(path, 1, "header", f"missing column(s) {', '.join(missing)}")
    rows: list[ReconRow] = []
    line_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ReconFileError(path, reader.line_num, "row", str(error)) from None
        line_number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_Row(path, line_number, index, cells).parse())
    return tuple(rows)


class _Row:
    """Reads the cells of one row, naming file, line and field in every error."""

    def __init__(self, path: str, line: int, index: dict[str, int], cells: list[str]) -> None:
        self.path, self.line, self.index, self.cells = path, line, index, cells

    def fail(self, field: str, message: str) -> ReconFileError:
        return ReconFileError(self.path, self.line, field, message)

    def raw(self, field: str) -> str:
        position = self.index.get(_column(field))
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def text(self, field: str, *, required: bool = False) -> str:
        value = self.raw(field)
        if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
            value = value[1:]  # licbill's neutralised text cell
        if required and not value:
            raise self.fail(field, "is empty")
        return value

    def decimal(self, field: str) -> Decimal:
        value = self.raw(field)
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.fail(field, f"not a number: {value!r}") from None
        if not amount.is_finite():
            raise self.fail(field, f"not a finite number: {value!r}")
        return amount

    def date(self, field: str) -> dt.date:
        value = self.raw(field)
        us = _US_DATE.fullmatch(value)
        try:
            if us:
                month, day, year = (int(part) for part in us.groups())
                return dt.date(year, month, day)
            if value[:1].isalpha():
                return dt.datetime.strptime(value, "%B %d, %Y").date()
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(
                field, f"not a date (YYYY-MM-DD, M/D/YYYY or 'June 18, 2021'): {value!r}"
            ) from None

    def optional_date(self, field: str) -> dt.date | None:
        return self.date(field) if self.raw(field) else None

    def money(self, field: str, currency: str) -> Money:
        try:
            return Money(self.decimal(field), currency)
        except ReconFileError:
            raise
        except LicbillError as error:  # an amount outside licbill's supported range
            raise self.fail(field, str(error)) from None

    def quantity(self) -> int:
        field = "Quantity" if self.raw("Quantity") else "BillableQuantity"
        amount = self.decimal(field)
        if amount < 0 or amount > MAX_QUANTITY:
            raise self.fail(
                field, f"not a number of units in 0..{MAX_QUANTITY}: {shown(self.raw(field))}"
            )
        if amount != amount.to_integral_value(context=decimal_context()):
            raise self.fail(field, f"not a whole number of units >= 0: {shown(self.raw(field))}")
        return int(amount)

    def charge_type(self) -> ChargeTypeName:
        value = self.text("ChargeType", required=True)
        kind = _KINDS.get(value.lower())
        if kind is None:
            known = ", ".join(sorted(k.value for k in ChargeType))
            raise self.fail("ChargeType", f"unknown charge type {value!r} (known: {known})")
        return ChargeTypeName(kind, value)

    def plan(self) -> tuple[Term, Billing, bool]:
        text = self.text("TermAndBillingCycle")
        frequency = (self.text("BillingFrequency") + " " + text.partition(" - ")[2]).lower()
        if not text and not frequency.strip():
            return Term.P1M, Billing.MONTHLY, False
        term = Term.P1M
        match = _TERM_TEXT.search(text)
        if match:
            count = {"one": 1, "three": 3}.get(match.group(1).lower()) or int(match.group(1))
            months = count * (12 if match.group(2).lower() == "year" else 1)
            terms = {t.months: t for t in Term}
            if months not in terms:
                raise self.fail("TermAndBillingCycle", f"no such term: {text!r}")
            term = terms[months]
        elif text:
            raise self.fail("TermAndBillingCycle", f"no term in {text!r}")
        if "annual" in frequency or "yearly" in frequency:
            billing = Billing.ANNUAL
        elif "onetime" in frequency or "one-time" in frequency or "triennial" in frequency:
            billing = Billing.UPFRONT
        else:
            billing = Billing.MONTHLY
        if billing is Billing.ANNUAL and term is Term.P1M:
            raise self.fail("TermAndBillingCycle", f"a one-month term billed annually: {text!r}")
        return term, billing, True

    def qualifiers(self) -> tuple[str, ...]:
        text = self.text("ProductQualifiers").strip("[]")
        return tuple(part.strip().strip('"') for part in text.split(",") if part.strip())

    def parse(self) -> ReconRow:
        currency = self.text("Currency", required=True).upper()
        try:
            Money.zero(currency)
        except LicbillError as error:
            raise self.fail("Currency", str(error)) from None
        unit_price = self.money("UnitPrice", currency)
        if unit_price.amount < 0:
            raise self.fail(
                "UnitPrice", f"a unit price cannot be negative: {self.raw('UnitPrice')}"
            )
        amount_field = "Subtotal" if self.raw("Subtotal") else "Total"
        total = self.money(amount_field, currency)
        given: set[str] = set()
        eup = unit_price
        if self.raw("EffectiveUnitPrice"):
            eup = self.money("EffectiveUnitPrice", currency)
            given.add("eup")
        start, end = (
            self.optional_date("SubscriptionStartDate"),
            self.optional_date("SubscriptionEndDate"),
        )
        if start is not None:
            given.add("start")
        if end is not None:
            given.add("end")
        term, billing, known = self.plan()
        if known:
            given.add("term")
        charge_start = self.date("ChargeStartDate")
        line = ChargeLine(
            subscription_id=self.text("SubscriptionId", required=True),
            order_date=self.optional_date("OrderDate") or charge_start,
            sku_id=self.text("SkuId"),
            sku_name=self.text("SkuName"),
            charge_start=charge_start,
            charge_end=self.date("ChargeEndDate"),
            unit_price=unit_price,
            effective_unit_price=eup,
            quantity=self.quantity(),
            total=total,
            charge_type=self.charge_type(),
            description=self.text("SubscriptionDescription"),
            reference_id=self.text("ReferenceId"),
            product_qualifiers=self.qualifiers(),
            product_id=self.text("ProductId"),
            term=term,
            billing=billing,
            subscription_start=start,
            subscription_end=end,
        )
        return ReconRow(row=self.line, line=line, given=frozenset(given))
