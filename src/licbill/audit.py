"""Audit a reconciliation file licbill did not produce: read it, check it, reconcile it.

- :func:`read_recon` reads a recon CSV (licbill's layout, or the Partner Center column names,
  case-insensitive; extra columns are ignored) into :class:`ReconRow` values;
- :func:`check` returns the :class:`Finding` values of the rules the lines break;
- :func:`reconcile` compares the lines licbill makes from a partner's own events with the
  lines of a received file.

Every check uses licbill's own rules (:func:`~licbill.prorate`,
:func:`~licbill.effective_unit_price`, :func:`~licbill.period_end`, the rulebook's windows);
docs/audit.md states each rule and its source.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, TextIO

import attrs

from ._validators import MAX_QUANTITY, shown
from .errors import InvalidTypeError, LicbillError
from .lines import ChargeLine, ChargeType, ChargeTypeName
from .models import Billing, Term
from .money import Money, RoundingMode, decimal_context, round_div
from .periods import Period, add_months, inclusive_days, months_between, period_end
from .proration import Rounding, effective_unit_price, prorate
from .rulebooks import Rulebook
from .subscription import take_newest_seats
from .workspace import UserKind

__all__ = [
    "FINDING_COLUMNS",
    "Difference",
    "DifferenceKind",
    "Finding",
    "ReconFileError",
    "ReconRow",
    "Rule",
    "check",
    "read_recon",
    "reconcile",
]


class ReconFileError(LicbillError, ValueError):
    """A reconciliation file that cannot be read: ``path``, ``line`` and ``field`` say where."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {message}")
        self.path, self.line, self.field = path, line, field


@attrs.frozen(kw_only=True)
class ReconRow:
    """One row of a reconciliation file: its line number in the file and its charge line.

    ``given`` names the optional facts the file carried: ``"eup"`` (an effective unit price),
    ``"start"`` (a subscription start date), ``"end"`` (a subscription end date) and ``"term"``
    (a term and billing frequency). Checks that need a fact the file lacks are skipped or use
    the documented fallback (docs/audit.md).
    """

    row: int
    line: ChargeLine
    given: frozenset[str] = frozenset({"eup", "start", "end", "term"})


class Rule(enum.Enum):
    """The rules :func:`check` enforces; each finding names one."""

    #: An effective unit price or total that no rounding policy explains.
    AMOUNT = "amount"
    #: A charge period that breaks the term and cycle rules.
    PERIOD = "period"
    #: Credits exceeding the charges they reverse, per subscription and cycle.
    CREDIT = "credit"
    #: A seat reduction outside the rulebook's reduction window.
    REDUCTION_WINDOW = "reduction-window"
    #: A refund outside the rulebook's refund windows.
    REFUND_WINDOW = "refund-window"
    #: The same line twice.
    DUPLICATE = "duplicate"
    #: Seats charged twice for the same days.
    OVERLAP = "overlap"
    #: A line after the subscription was cancelled.
    AFTER_CANCEL = "after-cancel"
    #: More than one currency within a subscription.
    CURRENCY = "currency"


#: The keys of :meth:`Finding.to_record`, in order (the CLI's CSV and table columns).
FINDING_COLUMNS: Final = ("row", "reference_id", "subscription_id", "rule", "message")


@attrs.frozen(kw_only=True)
class Finding:
    """A rule a line breaks: its row number, reference id, subscription and what is wrong."""

    row: int
    reference_id: str
    subscription_id: str
    rule: Rule
    message: str

    def to_record(self) -> dict[str, str | int]:
        """The finding as a plain dict (for CSV or JSON)."""
        return {
            "row": self.row,
            "reference_id": self.reference_id,
            "subscription_id": self.subscription_id,
            "rule": self.rule.value,
            "message": self.message,
        }

    def __str__(self) -> str:
        ref = f" ({self.reference_id})" if self.reference_id else ""
        return f"row {self.row}{ref}, {self.subscription_id}: {self.rule.value}: {self.message}"


# Reading ------------------------------------------------------------------------------------

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


# Checking -----------------------------------------------------------------------------------

_CANCELS: Final = frozenset({ChargeType.CANCEL, ChargeType.CANCEL_IMMEDIATE})
_TERM_STARTS: Final = frozenset({ChargeType.NEW, ChargeType.RENEW, ChargeType.CONVERT})


def _rows(lines: Iterable[ChargeLine | ReconRow]) -> list[ReconRow]:
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise InvalidTypeError(f"lines must be charge lines or recon rows, not {lines!r}")
    rows = []
    for number, item in enumerate(lines, start=2):
        if isinstance(item, ReconRow):
            rows.append(item)
        elif isinstance(item, ChargeLine):
            # Numbered as write_csv would write them: the header is row 1.
            rows.append(ReconRow(row=number, line=item))
        else:
            raise InvalidTypeError(f"not a charge line or recon row: {item!r}")
    return rows


def check(
    lines: Iterable[ChargeLine | ReconRow], *, rulebook: Rulebook | None = None
) -> tuple[Finding, ...]:
    """Return the findings of *lines* (rows of :func:`read_recon`, or licbill's own lines).

    Empty when the lines are clean. With a *rulebook*, amounts must follow its rounding policy
    and its refund windows (and its seat-reduction window, where it has one) apply; without
    one, any of the six :class:`~licbill.Rounding` policies explains an amount and the window
    checks are skipped. Findings come in row order. Raises :class:`~licbill.InvalidTypeError`
    for values that are not lines or rows, or a rulebook that is not a :class:`Rulebook`.
    """
    if rulebook is not None and not isinstance(rulebook, Rulebook):
        raise InvalidTypeError(f"rulebook must be a licbill.Rulebook or None, not {rulebook!r}")
    rows = _rows(lines)
    subscriptions: dict[str, list[ReconRow]] = {}
    for row in rows:
        subscriptions.setdefault(row.line.subscription_id, []).append(row)
    findings: list[Finding] = []
    starts = _cycle_starts(rows)
    subs = [_Subscription(sub_rows, rulebook, starts) for sub_rows in subscriptions.values()]
    # A coterminous subscription (a partial upgrade's new one) bills in its source's cycles.
    by_end: dict[dt.date, dict[dt.date, None]] = {}
    for sub in subs:
        for end in sub.term_ends:
            by_end.setdefault(end, {}).update(dict.fromkeys(sub.own))
    for sub in subs:
        shared = [day for end in sub.term_ends for day in by_end[end]]
        sub.anchors = tuple(dict.fromkeys([*sub.own, *shared, *sub.after_ends]))
        findings.extend(sub.findings())
    findings.extend(_duplicates(rows))
    order = list(Rule)
    return tuple(sorted(findings, key=lambda f: (f.row, order.index(f.rule))))


def _finding(row: ReconRow, rule: Rule, message: str) -> Finding:
    line = row.line
    return Finding(
        row=row.row,
        reference_id=line.reference_id,
        subscription_id=line.subscription_id,
        rule=rule,
        message=message,
    )


def _duplicates(rows: Sequence[ReconRow]) -> Iterator[Finding]:
    seen: dict[ChargeLine, int] = {}
    for row in rows:
        key = row.line._replace(basis=None)
        if key in seen:
            yield _finding(row, Rule.DUPLICATE, f"repeats row {seen[key]} field for field")
        else:
            seen[key] = row.row


def _grid_months(anchor: dt.date, end: dt.date) -> int | None:
    """The *n* (any sign) with ``add_months(anchor, n) - 1 day == end``, or ``None``."""
    guess = months_between(start=anchor, end=end + _DAY)
    for n in (guess, guess - 1, guess + 1):
        try:
            if add_months(anchor, n) - _DAY == end:
                return n
        except LicbillError:
            continue
    return None


def _cycle_containing(anchor: dt.date, months: int, day: dt.date, offset: int) -> Period | None:
    """The cycle of *months* months, counted from *anchor* after *offset* months, holding *day*."""
    if day < add_months(anchor, offset):
        return None
    k = max((months_between(start=anchor, end=day) - offset) // months - 1, 0)
    while True:
        start = add_months(anchor, offset + k * months)
        end = period_end(anchor, offset + (k + 1) * months)
        if start <= day <= end:
            return Period(start, end)
        k += 1


def _eup_matches(given: Money, unit_price: Money, billing_days: int, cycle_days: int) -> bool:
    # The file may show licbill's effective unit price, the exact prorated price, or the price
    # rounded to the places it prints. Exact integers only: no caller's context rounds here.
    if (
        given.amount.copy_abs()
        == effective_unit_price(
            unit_price=unit_price, billing_days=billing_days, cycle_days=cycle_days
        ).amount
    ):
        return True
    _sign, digits, exponent = given.amount.as_tuple()
    assert isinstance(exponent, int)  # a Money amount is finite
    target = int("".join(map(str, digits)) or "0") * 10 ** max(exponent, 0)
    places = max(-exponent, 0)
    numerator, denominator = unit_price.amount.as_integer_ratio()
    numerator *= billing_days * 10**places
    denominator *= cycle_days
    if numerator == target * denominator:
        return True
    return any(round_div(numerator, denominator, mode) == target for mode in RoundingMode)


def _is_workspace_line(line: ChargeLine) -> bool:
    """Whether *line* is a workspace invoice line (docs/workspace.md, "The invoice as charge
    lines"): a ``cycleCharge`` over one whole calendar month, SKU ``<product>-<kind>`` of a user
    kind, reference id ``<workspace>-<YYYY-MM>-<product>-<kind>``."""
    start, end = line.charge_start, line.charge_end
    return (
        line.charge_type.kind is ChargeType.CYCLE_CHARGE
        and start.day == 1
        and (end + _DAY).day == 1
        and (start.year, start.month) == (end.year, end.month)
        and any(line.sku_id == f"{line.product_id}-{kind.value}" for kind in UserKind)
        and line.reference_id == f"{line.subscription_id}-{start:%Y-%m}-{line.sku_id}"
    )


#: Lines dated on the first day of the cycle they charge.
_OPENS: Final = frozenset(
    {ChargeType.NEW, ChargeType.RENEW, ChargeType.CYCLE_CHARGE, ChargeType.CHANGE_BILLING_PLAN}
)
#: Lines that charge a whole cycle from its first day (a short one included).
_CYCLE_STARTS: Final = frozenset(
    {
        ChargeType.NEW,
        ChargeType.RENEW,
        ChargeType.CYCLE_CHARGE,
        ChargeType.CONVERT,
        ChargeType.CHANGE_BILLING_PLAN,
    }
)


def _cycle_starts(rows: Sequence[ReconRow]) -> dict[dt.date, list[tuple[dt.date, ReconRow]]]:
    """Index the first days of the lines that may open a cycle by their charge end."""
    starts: dict[dt.date, list[tuple[dt.date, ReconRow]]] = {}
    for row in rows:
        line = row.line
        if line.charge_type.kind in _CYCLE_STARTS and line.charge_start < line.charge_end:
            starts.setdefault(line.charge_end, []).append((line.charge_start, row))
    return starts


def _reverses(line: ChargeLine, before: Decimal, charged: Sequence[tuple[Decimal, int]]) -> bool:
    """Whether the credit *line* gives back charges of its cycle, so is not re-priced.

    *charged* holds the total and quantity of each earlier line of the cycle, *before* their
    sum. A full refund reverses each line with a line of the opposite total and the same
    quantity; a refund of the whole cycle in one line, where no single line has the opposite
    total, is what the cycle charged so far. A line of the opposite total but another quantity
    reverses nothing: it is priced like any credit (docs/audit.md).
    """
    amount = line.total.amount
    if amount >= 0:
        return False
    back = amount.copy_negate()
    if (back, line.quantity) in charged:
        return True
    return back == before and all(total != back for total, _ in charged)


@attrs.frozen
class _Span:
    """A way to price a line: days charged over days of the cycle, and how to say it."""

    billing_days: int
    cycle_days: int
    text: str


class _Subscription:
    """The lines of one subscription, in file order, checked against every rule."""

    def __init__(
        self,
        rows: list[ReconRow],
        rulebook: Rulebook | None,
        starts: dict[dt.date, list[tuple[dt.date, ReconRow]]],
    ) -> None:
        self.rows, self.rulebook, self.starts = rows, rulebook, starts
        first = rows[0].line
        given = [r.line.subscription_start for r in rows if "start" in r.given]
        given_starts = [day for day in given if day is not None]
        # Without a subscription start date, the subscription starts with its first charge.
        self.anchor: dt.date = (
            given_starts[0] if given_starts else min(r.line.charge_start for r in rows)
        )
        # Cycles are counted from the subscription start, from the day after a term end (a
        # custom first term counts its cycles back from its end), or from the first day of a
        # term that starts mid-cycle (a trial converted early, an upgrade to a longer term).
        anchors = dict.fromkeys([self.anchor, *given_starts])
        ends: dict[dt.date, None] = {}
        for row in rows:
            line = row.line
            if line.charge_type.kind in _TERM_STARTS and line.total.amount > 0:
                anchors[line.charge_start] = None
            if "end" in row.given and line.subscription_end is not None:
                ends[line.subscription_end] = None
        self.own = tuple(anchors)
        self.after_ends = tuple(end + _DAY for end in ends if end < dt.date.max)
        self.anchors = tuple(dict.fromkeys([*self.own, *self.after_ends]))
        self.term_ends = tuple(ends)
        # Paid cycles of a free trial count from the anchor after the trial's months.
        self.offset = 0
        if "Trial" in first.product_qualifiers and first.charge_end >= self.anchor:
            self.offset = months_between(start=self.anchor, end=first.charge_end + _DAY)
        self.policies = tuple(Rounding) if rulebook is None else (rulebook.rounding,)

    def findings(self) -> Iterator[Finding]:
        yield from self.currencies()
        for row in self.rows:
            yield from self.period(row)
        yield from self.amounts_and_credits()
        yield from self.overlaps()
        yield from self.workspace_lines()
        yield from self.after_cancel()
        if self.rulebook is not None:
            yield from self.windows(self.rulebook)

    # Currency, periods ------------------------------------------------------------------------

    def currencies(self) -> Iterator[Finding]:
        currency = self.rows[0].line.currency
        for row in self.rows[1:]:
            if row.line.currency != currency:
                yield _finding(
                    row,
                    Rule.CURRENCY,
                    f"in {row.line.currency}, while the subscription's first line (row "
                    f"{self.rows[0].row}) is in {currency}",
                )

    def cycle_of(self, line: ChargeLine) -> Period | None:
        """The cycle of a one-day (custom-meter) line; ``None`` when no cycle holds it."""
        months = line.billing.cycle_months(line.term)
        day = line.charge_start
        grids = self.term_grids(line) if day <= line.charge_end else []
        # Of the grids that reach the term end, the latest anchor on or before the day rules
        # (two grids meet where a month end clamps: 2024-01-30 + 13 months is 2025-02-28).
        before = sorted((grid for grid in grids if grid[0] <= day), reverse=True)
        found: list[Period] = []
        for anchor, n in before + [grid for grid in grids if grid[0] > day]:
            for k in range(1, line.term.months // months + 1):
                start = add_months(anchor, n - k * months)
                if start <= day:
                    if line.charge_type.kind in _OPENS:
                        start = day  # the line opens its cycle (a short one included)
                    end = add_months(anchor, n - (k - 1) * months) - _DAY
                    found.append(Period(max(start, self.anchor), end))
                    break
        if found:
            # A prorated line runs to its cycle's end: below the full price, the cycle that
            # ends on the line's last day is its own, whichever grid has it.
            prorated = line.effective_unit_price.amount.copy_abs() != line.unit_price.amount
            ending = [cycle for cycle in found if cycle.end == line.charge_end]
            return ending[0] if prorated and ending else found[0]
        # Else the latest anchor on or before the day counts the cycles the line falls in.
        for anchor in sorted((a for a in self.anchors if a <= day), reverse=True):
            offset = self.offset if anchor == self.anchor else 0
            cycle = _cycle_containing(anchor, months, day, offset)
            if cycle is not None:
                return cycle
        return None

    def term_grids(self, line: ChargeLine) -> list[tuple[dt.date, int]]:
        """The anchors whose month grids reach the term end of *line*, with the end's index.

        The cycles of a term count back from its end, on the grid of an anchor that reaches
        the end: the subscription start, a new term's first day, a coterminous subscription's,
        or the day after the end (a custom first term) (docs/operations.md). Where month ends
        clamp, several grids reach one end (2024-01-30 + 13 months and 2024-02-29 + 12 months
        both end 2025-02-27): each is kept, and a period any of them explains is accepted.
        Empty when the line names no term end.
        """
        end = line.subscription_end
        if end is None or end >= dt.date.max or end < line.charge_start:
            return []
        grids: list[tuple[dt.date, int]] = []
        # The day after the end always reaches it: it counts only when no other anchor does.
        for anchors in (
            [a for a in self.anchors if a not in self.after_ends],
            [a for a in self.anchors if a in self.after_ends],
        ):
            for anchor in anchors:
                n = _grid_months(anchor, end)
                if n is not None:
                    grids.append((anchor, n))
            if grids:
                return grids
        return grids  # pragma: no cover - the day after the end always reaches it

    def grid_starts(self, line: ChargeLine) -> list[dt.date]:
        """The first days of the standard cycles, counted from an anchor, that end with *line*."""
        months = line.billing.cycle_months(line.term)
        found = []
        grids = self.term_grids(line)
        for anchor in [grid[0] for grid in grids] or self.anchors:
            n = _grid_months(anchor, line.charge_end)
            if n is not None:
                try:
                    found.append(add_months(anchor, n - months))
                except LicbillError:
                    continue
        return found

    def period(self, row: ReconRow) -> Iterator[Finding]:
        line = row.line
        start, end = line.charge_start, line.charge_end
        if end < start:
            yield _finding(row, Rule.PERIOD, f"the charge period ends ({end}) before it starts")
            return
        if "end" in row.given and line.subscription_end and end > line.subscription_end:
            yield _finding(
                row,
                Rule.PERIOD,
                f"the charge period ends {end}, after the term ends {line.subscription_end}",
            )
            return
        if start < self.anchor:
            yield _finding(
                row,
                Rule.PERIOD,
                f"the charge starts {start}, before the subscription {self.anchor}",
            )
            return
        if start == end:
            return  # one day: a custom-meter line, dated on its event
        starts = self.grid_starts(line)
        if not starts:
            counted = ", ".join(str(anchor) for anchor in self.anchors)
            yield _finding(
                row,
                Rule.PERIOD,
                f"the charge period ends {end}, which is no cycle end counted from "
                f"{counted} ({line.billing.cycle_months(line.term)}-month cycles, month ends "
                "clamped)",
            )
        elif start < min(starts):
            yield _finding(
                row,
                Rule.PERIOD,
                f"the charge period {start}..{end} is longer than its cycle {min(starts)}..{end}",
            )

    # Amounts and credits ------------------------------------------------------------------------

    def amounts_and_credits(self) -> Iterator[Finding]:
        ctx = decimal_context()  # licbill's context, never the caller's
        net: dict[Any, Decimal] = {}
        charged: dict[Any, list[tuple[Decimal, int]]] = {}
        for row in self.rows:
            line = row.line
            one_day = line.charge_start == line.charge_end
            cycle = self.cycle_of(line) if one_day else None
            # All the lines of a cycle end with it.
            key = cycle.end if cycle is not None else line.charge_end
            before = net.get(key, Decimal(0))
            amount = line.total.amount
            if line.charge_start <= line.charge_end and not _reverses(
                line, before, charged.get(key, [])
            ):
                yield from self.amount(row)
            charged.setdefault(key, []).append((amount, line.quantity))
            net[key] = ctx.add(before, amount)
            if amount < 0 and net[key] < 0:
                yield _finding(
                    row,
                    Rule.CREDIT,
                    f"the credit {line.total} exceeds the {before} {line.currency} charged "
                    f"before it in the cycle ending {key}",
                )

    def spans(self, line: ChargeLine) -> list[_Span]:
        """The ways licbill's rules may price *line* (docs/audit.md)."""
        end = line.charge_end
        # A custom-meter line is at the full unit price; a one-day line may also be the first,
        # one-day cycle of a custom first term.
        one_day = [_Span(1, 1, "1 of 1 days")] if line.charge_start == end else []
        cycle = self.cycle_of(line) if one_day else None
        if cycle is not None:
            # A custom-meter line of a short cycle costs the cycle's share of the price.
            months = line.billing.cycle_months(line.term)
            share = months_between(start=cycle.start, end=cycle.end + _DAY)
            if 0 < share < months:
                one_day.append(_Span(share, months, f"{share} of {months} months"))
            standard = inclusive_days(cycle.start, period_end(cycle.start, months))
            if cycle.days < standard and cycle.start in self.anchors:
                one_day.append(_Span(cycle.days, standard, f"{cycle.days} of {standard} days"))
        starts = dict.fromkeys(self.grid_starts(line))
        # A short cycle starts with its first line: a custom first term, or a billing-plan
        # change's share of a billing year.
        for start, row in self.starts.get(end, ()):
            other = row.line
            months = months_between(start=start, end=end + _DAY)
            try:
                on_grid = any(
                    add_months(anchor, months_between(start=anchor, end=start)) == start
                    for anchor in self.anchors
                )
            except LicbillError:
                on_grid = False
            is_start = "start" in row.given and other.subscription_start == start
            if start <= line.charge_start and months >= 0 and (on_grid or is_start):
                starts[start] = None
        if line.charge_type.kind in _OPENS and line.charge_start in starts:
            starts = {line.charge_start: None}  # a line that opens its cycle charges all of it
        months = line.billing.cycle_months(line.term)
        billing_days = inclusive_days(line.charge_start, end)
        spans: dict[tuple[int, int], str] = {}
        for start in starts:
            if start > line.charge_start:
                continue
            days = inclusive_days(start, end)
            spans.setdefault((billing_days, days), f"{billing_days} of {days} days")
            share = months_between(start=start, end=end + _DAY)
            if 0 < share < months:
                spans.setdefault(
                    (billing_days * share, days * months),
                    f"{billing_days} of {days} days x {share}/{months} months",
                )
            if start in self.anchors:
                # A custom first term's short cycle is priced by days of a standard one.
                standard = inclusive_days(start, period_end(start, months))
                spans.setdefault(
                    (billing_days, standard), f"{billing_days} of a standard {standard} days"
                )
        return one_day + [_Span(b, c, text) for (b, c), text in spans.items() if 0 < b <= c]

    def amount(self, row: ReconRow) -> Iterator[Finding]:
        line = row.line
        price, quantity = line.unit_price, line.quantity
        candidates = self.spans(line)
        policies = self.policies
        if _is_workspace_line(line):
            # Seats at the unit price, or seat-days at the price of one seat-day (its
            # effective unit price); the invoice's own rounding policy may be any.
            days = line.charge_end.day
            candidates = [_Span(1, 1, "whole seats"), _Span(1, days, f"seat-days of {days}")]
            policies = tuple(Rounding)
        if not candidates:
            return
        want = abs(line.total)
        tried: list[str] = []
        matched: list[_Span] = []
        for span in candidates:
            span_days = {"billing_days": span.billing_days, "cycle_days": span.cycle_days}
            for policy in policies:
                got = prorate(unit_price=price, quantity=quantity, rounding=policy, **span_days)
                if got == want:
                    matched.append(span)
                    break
                tried.append(f"{policy.name} gives {got.amount}")
        if matched:
            eup = line.effective_unit_price
            if "eup" in row.given and not any(
                _eup_matches(eup, price, span.billing_days, span.cycle_days) for span in matched
            ):
                span = matched[0]
                yield _finding(
                    row,
                    Rule.AMOUNT,
                    f"the effective unit price {eup} is not "
                    f"{price} / {span.cycle_days} days x {span.billing_days} days",
                )
            return
        span_text = ", ".join(span.text for span in candidates)
        yield _finding(
            row,
            Rule.AMOUNT,
            f"the total {line.total} is not {price} x {quantity} over {span_text} under any "
            f"rounding policy tried: {'; '.join(tried)}",
        )

    # Seats ----------------------------------------------------------------------------------

    def overlaps(self) -> Iterator[Finding]:
        spans: list[tuple[ReconRow, dt.date, dt.date]] = []
        for row in self.rows:
            line = row.line
            if line.unit_price.amount == 0 or line.charge_end < line.charge_start:
                continue
            if _is_workspace_line(line):
                continue  # seats per product and kind: checked by workspace_lines
            start, end = line.charge_start, line.charge_end
            full_price = line.effective_unit_price.amount.copy_abs() == line.unit_price.amount
            if start == end and full_price:
                # A one-day (custom-meter) line charges its whole cycle at the full price.
                # A one-day line on its cycle's last day (a prorated seat change) is that day,
                # at a fraction of the price: no cycle is 1 day long.
                cycle = self.cycle_of(line)
                if cycle is not None and cycle.end != end:
                    start, end = cycle.start, cycle.end
            spans.append((row, start, end))
        bounds = sorted({start for _, start, _ in spans} | {end + _DAY for _, _, end in spans})
        reported: set[int] = set()
        moves = self.moves()
        for first, after in itertools.pairwise(bounds):
            covering = [(r, end) for r, start, end in spans if start <= first <= end]
            if any(r.line.total.amount == 0 for r, _ in covering):
                continue  # a zero total has no sign: the seats of these days are unknown
            seats = 0
            done: list[ChargeLine] = []
            for row, end in covering:
                line = row.line
                credit = line.total.amount < 0
                done.append(line)
                if line.charge_type.kind in _CANCELS and any(
                    other.quantity == line.quantity and other.total == -line.total
                    for other in done[:-1]
                    if other.charge_type.kind not in _CANCELS
                ):
                    # A refund line that reverses one earlier line gives back its seats.
                    seats += -line.quantity if credit else line.quantity
                    continue
                if credit and line.charge_type.kind in _CANCELS:
                    # A refund gives back the seats in force at the end of its period.
                    last = after > end
                    if last and seats != line.quantity and row.row not in reported:
                        reported.add(row.row)
                        yield _finding(
                            row,
                            Rule.OVERLAP,
                            f"refunds {line.quantity} seats, but {seats} are charged for "
                            f"{first}..{after - _DAY}",
                        )
                    seats = 0
                    continue
                seats += -line.quantity if credit else line.quantity
                expected = 0 if credit else line.quantity
                if row.row in moves:
                    # Seats moved out may leave some behind; seats moved in join those there.
                    expected = seats if seats >= 0 else 0
                if seats != expected and row.row not in reported:
                    reported.add(row.row)
                    yield _finding(
                        row,
                        Rule.OVERLAP,
                        f"{seats} seats are charged for {first}..{after - _DAY} after this "
                        f"line, not {expected}",
                    )

    def workspace_lines(self) -> Iterator[Finding]:
        """A workspace invoice has one line per product and user kind a month."""
        seen: dict[tuple[str, dt.date], ReconRow] = {}
        for row in self.rows:
            line = row.line
            if not _is_workspace_line(line):
                continue
            key = (line.sku_id, line.charge_start)
            first = seen.setdefault(key, row)
            if first is not row and first.line._replace(basis=None) != line._replace(basis=None):
                yield _finding(
                    row,
                    Rule.OVERLAP,
                    f"a second {line.sku_id} line for {line.charge_start:%Y-%m} (the first is "
                    f"row {first.row}); a workspace invoice has one per product and user kind",
                )

    def moves(self) -> set[int]:
        """The rows that move seats between subscriptions (docs/operations.md).

        A ``moveQuantity`` line, and a ``convert`` credit no ``convert`` charge of its
        reference id follows in this subscription (a partial upgrade's source).
        """
        moved: set[int] = set()
        for index, row in enumerate(self.rows):
            line = row.line
            kind = line.charge_type.kind
            # A partial upgrade's source: no convert charge of its reference id follows.
            source = (
                kind is ChargeType.CONVERT
                and line.total.amount < 0
                and not any(
                    later.line.charge_type.kind is ChargeType.CONVERT
                    and later.line.reference_id == line.reference_id
                    and later.line.total.amount > 0
                    for later in self.rows[index + 1 :]
                )
            )
            if source or kind is ChargeType.MOVE_QUANTITY:
                moved.add(row.row)
        return moved

    def after_cancel(self) -> Iterator[Finding]:
        cancel: ReconRow | None = None
        for row in self.rows:
            line = row.line
            if cancel is not None:
                ref = cancel.line.reference_id
                if line.reference_id != ref or (
                    not ref and line.order_date > cancel.line.order_date
                ):
                    yield _finding(
                        row,
                        Rule.AFTER_CANCEL,
                        f"the subscription was cancelled on row {cancel.row} "
                        f"({cancel.line.order_date})",
                    )
            elif line.charge_type.kind in _CANCELS and line.total.amount <= 0:
                cancel = row

    # Windows --------------------------------------------------------------------------------

    def starts_term(self, row: ReconRow, previous: ReconRow | None) -> bool:
        """Whether the charge on *row* starts a term (docs/operations.md)."""
        line = row.line
        kind = line.charge_type.kind
        if kind in (ChargeType.NEW, ChargeType.RENEW):
            return True
        if kind not in (ChargeType.CONVERT, ChargeType.CHANGE_BILLING_PLAN):
            return False
        if previous is None:
            return kind is ChargeType.CONVERT  # a partial upgrade's new subscription
        if "end" in row.given and "end" in previous.given:
            # A trial that becomes paid, an upgrade to a longer term, a plan change at renewal.
            return line.subscription_end != previous.line.subscription_end
        return kind is ChargeType.CONVERT and "Trial" in previous.line.product_qualifiers

    def windows(self, rulebook: Rulebook) -> Iterator[Finding]:
        window = rulebook.reduction_window_days
        term_start = self.anchor
        # Seats by the day they were added, oldest first; a reduction takes the newest first.
        batches: list[list[Any]] = []
        previous: ReconRow | None = None
        pair: ReconRow | None = None  # the credit row of a seat change (its first row)
        for row in self.rows:
            line = row.line
            kind, amount = line.charge_type.kind, line.total.amount
            same_pair = pair is not None and pair.line.reference_id == line.reference_id
            if kind in (ChargeType.ADD_QUANTITY, ChargeType.REMOVE_QUANTITY):
                if pair is not None and same_pair and pair.line.charge_type.kind is kind:
                    yield from self.seat_change(rulebook, window, batches, pair, line)
                    pair = None
                else:
                    pair = row
            elif kind in _TERM_STARTS | {ChargeType.CHANGE_BILLING_PLAN} and amount > 0:
                if self.starts_term(row, previous):
                    term_start = line.order_date
                    batches[:] = [[line.order_date, line.quantity]]
            elif kind in (ChargeType.CONVERT, ChargeType.MOVE_QUANTITY) and amount < 0:
                pair = row
            elif kind is ChargeType.MOVE_QUANTITY and amount > 0:
                batches.append([line.order_date, line.quantity])
            if pair is not None and pair is not row and not same_pair:
                if pair.line.charge_type.kind in (ChargeType.CONVERT, ChargeType.MOVE_QUANTITY):
                    take_newest_seats(
                        batches, pair.line.quantity
                    )  # seats moved to another subscription
                pair = None
            if amount < 0 and kind in _CANCELS:
                yield from self.refund(rulebook, row, term_start)
            previous = row
        if pair is not None and pair.line.charge_type.kind in (
            ChargeType.CONVERT,
            ChargeType.MOVE_QUANTITY,
        ):
            take_newest_seats(batches, pair.line.quantity)

    def seat_change(
        self,
        rulebook: Rulebook,
        window: int | None,
        batches: list[list[Any]],
        first: ReconRow,
        second: ChargeLine,
    ) -> Iterator[Finding]:
        # A seat change credits the old quantity, then charges the new one.
        change = second.quantity - first.line.quantity
        day = second.order_date
        if change > 0:
            batches.append([day, change])
            return
        for added, _count in take_newest_seats(batches, -change):
            since = (day - added).days
            if window is not None and since > window:
                yield _finding(
                    first,
                    Rule.REDUCTION_WINDOW,
                    f"{-change} seat(s) removed {since} days after the newest of them were "
                    f"added on {added}; the {rulebook.name} window is {window} days",
                )
                return

    def refund(self, rulebook: Rulebook, row: ReconRow, term_start: dt.date) -> Iterator[Finding]:
        line = row.line
        full_days = rulebook.full_refund_days_for(line.billing)
        refund_days = max(full_days, rulebook.prorated_refund_days)
        since = (line.order_date - term_start).days
        if since >= refund_days:
            yield _finding(
                row,
                Rule.REFUND_WINDOW,
                f"a refund {since} days after the term started on {term_start}; "
                f"{rulebook.name} refunds only within {refund_days} days",
            )
        elif since >= full_days and line.charge_start < line.order_date:
            yield _finding(
                row,
                Rule.REFUND_WINDOW,
                f"a full refund from {line.charge_start}, {since} days after the term "
                f"started on {term_start}; {rulebook.name} refunds in full only within "
                f"{full_days} days",
            )


_DAY: Final = dt.timedelta(days=1)


# Reconciling --------------------------------------------------------------------------------


class DifferenceKind(enum.Enum):
    """How a received line differs from the expected ones."""

    #: Expected, but not in the file.
    MISSING = "missing"
    #: In the file, but not expected.
    EXTRA = "extra"
    #: In both, with another amount, quantity or unit price.
    DIFFERING = "differing"


@attrs.frozen(kw_only=True)
class Difference:
    """One difference between expected lines and a received file.

    Lines are matched by subscription, charge type and charge period. ``expected`` and
    ``actual`` are the lines (``None`` for a missing or extra one), ``row`` the file row of
    the actual line, and ``amount`` the actual total minus the expected one (a missing line
    counts as zero).
    """

    kind: DifferenceKind
    subscription_id: str
    charge_type: ChargeType
    charge_start: dt.date
    charge_end: dt.date
    expected: ChargeLine | None
    actual: ChargeLine | None
    row: int | None
    amount: Money | None

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        what = f"{self.subscription_id} {self.charge_type.value} "
        what += f"{self.charge_start}..{self.charge_end}"
        amount = "" if self.amount is None else f", difference {self.amount}"
        return f"{where}{self.kind.value} {what}{amount}"


def reconcile(
    expected: Iterable[ChargeLine | ReconRow], actual: Iterable[ChargeLine | ReconRow]
) -> tuple[Difference, ...]:
    """Compare the *expected* lines with the *actual* ones; return the differences.

    Lines are matched by subscription, charge type and charge period; within one match,
    equal lines pair first, then the rest in order. Empty when they agree.
    """
    wanted = _group(_rows(expected))
    received = _group(_rows(actual))
    differences: list[Difference] = []
    for key in dict.fromkeys([*wanted, *received]):
        left, right = list(wanted.get(key, ())), list(received.get(key, ()))
        for row in list(right):
            same = next((w for w in left if _same(w.line, row.line)), None)
            if same is not None:
                left.remove(same)
                right.remove(row)
        for index in range(max(len(left), len(right))):
            exp = left[index].line if index < len(left) else None
            act = right[index] if index < len(right) else None
            differences.append(_difference(key, exp, act))
    return tuple(differences)


_Key = tuple[str, ChargeType, dt.date, dt.date]


def _group(rows: list[ReconRow]) -> dict[_Key, list[ReconRow]]:
    groups: dict[_Key, list[ReconRow]] = {}
    for row in rows:
        line = row.line
        key = (line.subscription_id, line.charge_type.kind, line.charge_start, line.charge_end)
        groups.setdefault(key, []).append(row)
    return groups


def _same(left: ChargeLine, right: ChargeLine) -> bool:
    return (left.total, left.quantity, left.unit_price) == (
        right.total,
        right.quantity,
        right.unit_price,
    )


def _difference(key: _Key, expected: ChargeLine | None, actual: ReconRow | None) -> Difference:
    line = actual.line if actual is not None else None
    if expected is None:
        kind, amount = DifferenceKind.EXTRA, line.total if line else None
    elif line is None:
        kind, amount = DifferenceKind.MISSING, -expected.total
    else:
        kind = DifferenceKind.DIFFERING
        same_currency = expected.currency == line.currency
        amount = line.total - expected.total if same_currency else None
    return Difference(
        kind=kind,
        subscription_id=key[0],
        charge_type=key[1],
        charge_start=key[2],
        charge_end=key[3],
        expected=expected,
        actual=line,
        row=actual.row if actual is not None else None,
        amount=amount,
    )
