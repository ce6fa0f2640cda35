"""The monthly workspace invoice (docs/workspace.md): active seats times a price list."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from .charges import ChargeLines
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError, MissingPriceError
from .explain import SeatExplanation
from .legacy import LicenceModel, ModuleTrial, licence_model
from .lines import ChargeLine, ChargeType, ChargeTypeName
from .money import Money, RoundingMode, amount_of, round_div
from .periods import Month
from .proration import Rounding, RoundingScope, effective_unit_price, prorate
from .seats import (
    SEAT_KEYS,
    Counting,
    Product,
    Revision,
    SeatCount,
    SeatKey,
    count_seats,
    explain_seats,
    listed,
    month_end_counts,
    seat_counts,
)
from .workspace import BillingInfo, Group, LegacyEdition, Module, User, UserKind, Workspace

__all__ = ["Invoice", "InvoiceInputs", "InvoiceLine", "PriceList", "monthly_invoice"]

#: The billing details an invoice shows, as the seed names them, and the field holding each.
BILLING_DETAILS = (
    ("Company name", "company_name"),
    ("Reference number", "reference"),
    ("Customer type", "customer_type"),
    ("Industry", "industry"),
)

#: Decimal places of a daily-prorated quantity shown on a line (totals never use it).
QUANTITY_PLACES = 4

#: The charge type of a workspace invoice's charge lines (docs/workspace.md): a month's seats,
#: billed in arrears, are a cycle charge.
WORKSPACE_CHARGE = ChargeTypeName(ChargeType.CYCLE_CHARGE, "cycleCharge")


def _prices(value: Any) -> Mapping[SeatKey, Money]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"a price list maps (product, UserKind) to Money, not {value!r}")
    prices: dict[SeatKey, Money] = {}
    for key, price in value.items():
        if (
            not isinstance(key, tuple)
            or len(key) != 2
            or not isinstance(key[0], Module | LegacyEdition)
            or not isinstance(key[1], UserKind)
        ):
            raise InvalidTypeError(
                f"a price list key is (Module or LegacyEdition, UserKind): {key!r}"
            )
        if not isinstance(price, Money):
            raise InvalidTypeError(
                f"the price of {key[0].value} {key[1].value} is not Money: {price!r}"
            )
        if price.amount < 0:
            raise InvalidValueError(
                f"the price of {key[0].value} {key[1].value} is negative: {price}"
            )
        prices[key] = price
    if not prices:
        raise InvalidValueError("a price list needs at least one price")
    currencies = {price.currency for price in prices.values()}
    if len(currencies) > 1:
        raise CurrencyMismatchError(f"a price list holds one currency, not {sorted(currencies)}")
    return MappingProxyType(prices)


@attrs.frozen
class PriceList:
    """Prices per product (module or edition) and user kind, in one currency.

    ``PriceList({(Module.HYBRID, UserKind.REGULAR): Money("5.00", "EUR"), ...})``. Prices are
    always an input: none are published. A missing price is an error, never a zero.
    """

    prices: Mapping[SeatKey, Money] = attrs.field(converter=_prices)

    @property
    def currency(self) -> str:
        """The currency of every price."""
        return next(iter(self.prices.values())).currency

    @functools.cached_property
    def _by_seat(self) -> _SeatPrices:
        # Made on the first invoice priced with this list, then kept with it (it never changes).
        return _SeatPrices(self.prices)

    def price(self, product: Product, kind: UserKind) -> Money:
        """Return the price of *product* for *kind*; raise :class:`MissingPriceError` if none."""
        try:
            return self.prices[product, kind]
        except KeyError:
            raise MissingPriceError(
                f"the price list has no price for {product.value} ({kind.value} users)"
            ) from None


@attrs.frozen(kw_only=True)
class InvoiceInputs:
    """What :func:`monthly_invoice` counted a line's seats from, kept for
    :meth:`InvoiceLine.explain`: the seats are counted again, user by user, only when asked.

    ``since`` is the first counted day of a legacy module whose trial ends inside the month.
    """

    workspace: Workspace
    users: Iterable[User]
    groups: Iterable[Group]
    history: Iterable[Revision]
    month: Month
    counting: Counting
    rounding: Rounding | None
    since: dt.date | None = None


#: InvoiceInputs' fields in order, as a line keeps them.
_Source = tuple[Workspace, Any, Any, Any, Month, Counting, Rounding | None, "dt.date | None"]


@attrs.frozen
class InvoiceLine:
    """One product and user kind on an invoice.

    ``quantity`` is a whole number of seats, or, under ``DAILY_PRORATED``, seat-days divided by
    the month's days shown to four places. A module of a legacy workspace inside its trial has a
    zero price. ``inputs`` are what :func:`monthly_invoice` counted from (``None`` for a line
    made by hand or read from a file); they take no part in comparisons.
    """

    product: Product
    user_kind: UserKind
    quantity: Decimal
    unit_price: Money
    total: Money
    # Not an argument: only monthly_invoice sets it (_line), and file formats leave it
    # out. A plain tuple, made once per invoice: InvoiceInputs is built only when asked for.
    _source: _Source | None = attrs.field(init=False, default=None, eq=False, repr=False)

    @property
    def inputs(self) -> InvoiceInputs | None:
        """What :func:`monthly_invoice` counted this line's seats from, or ``None``."""
        if self._source is None:
            return None
        workspace, users, groups, history, month, counting, rounding, since = self._source
        return InvoiceInputs(
            workspace=workspace, users=users, groups=groups, history=history, month=month,
            counting=counting, rounding=rounding, since=since,
        )  # fmt: skip

    def explain(self) -> SeatExplanation:
        """Which users the line bills, on which days, under which policy, times the price.

        ``str()`` of the result is one line of text, e.g. ``Hybrid, regular users, 2024-05,
        MONTH_END: 3 users active with the module on 2024-05-31 (u1, u2, u7) x 5.00 EUR =
        15.00 EUR``. The seats are counted again from the invoice's inputs, user by user.
        Raises :class:`~licbill.InvalidValueError` for a line not made by
        :func:`monthly_invoice`.
        """
        inputs = self.inputs
        if inputs is None:
            raise InvalidValueError(
                f"the {self.product.value} ({self.user_kind.value}) line carries no inputs: "
                "only lines made by monthly_invoice can explain themselves"
            )
        counts = count_seats(
            inputs.workspace,
            users=inputs.users,
            groups=inputs.groups,
            month=inputs.month,
            history=inputs.history,
            since=inputs.since,
            explain=True,
        )
        detail = counts[self.product, self.user_kind].detail
        assert detail is not None  # counted with explain=True
        return explain_seats(
            detail,
            counting=inputs.counting,
            unit_price=self.unit_price,
            rounding=inputs.rounding,
            total=self.total,
            quantity=self.quantity,
        )


@attrs.frozen
class Invoice:
    """A workspace's invoice for one month."""

    workspace_id: str
    billing: BillingInfo
    month: Month
    model: LicenceModel
    counting: Counting
    currency: str
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Money:
        """The sum of the lines."""
        return sum((line.total for line in self.lines), Money.zero(self.currency))

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per line, with the workspace, month and billing information."""
        head = {
            "workspace_id": self.workspace_id,
            "month": str(self.month),
            "company_name": self.billing.company_name,
            "reference": self.billing.reference,
            "customer_type": self.billing.customer_type,
            "industry": self.billing.industry,
            "model": self.model.value,
            "counting": self.counting.value,
        }
        return [
            head
            | {
                "product": line.product.value,
                "user_kind": line.user_kind.value,
                "quantity": line.quantity,
                "unit_price": line.unit_price.amount,
                "total": line.total.amount,
                "currency": self.currency,
            }
            for line in self.lines
        ]

    def to_dataframe(self) -> Any:
        """The records as a ``pandas.DataFrame``; needs the ``pandas`` extra."""
        from .io.display import require_pandas

        return require_pandas().DataFrame(self.to_records())

    def charge_lines(self) -> ChargeLines:
        """The invoice as :class:`~licbill.ChargeLines`, one per line, in the line's order.

        So a reconciliation file (``recon.write_csv``) holds workspace and subscription charges
        together (docs/workspace.md, "The invoice as charge lines"). Each line is a
        ``cycleCharge`` of subscription ``workspace_id`` over the whole month, ordered on the
        month's last day (seats are billed in arrears); the SKU is the product and user kind
        (id ``"Hybrid-regular"``, name ``"Hybrid (regular users)"``, product id ``"Hybrid"``);
        the reference id is ``"<workspace>-<month>-<product>-<kind>"`` and the customer id the
        workspace id; the description names the company (or the workspace) and the month.
        Totals are the invoice lines' totals, so the lines add up exactly to :attr:`total`.

        A whole count of seats is the quantity, at the unit price. A daily-prorated line's
        quantity is its seat-days (users times the days each held a seat; the invoice shows
        seat-days divided by the month's days) and its effective unit price the price of one
        seat-day (unit price / days of the month, to ``EUP_PLACES`` places): quantity times
        effective unit price is the amount before rounding, and the total is the invoice's.

        Raises :class:`~licbill.InvalidValueError` for a line whose quantity cannot be a
        charge line's: a fraction under a whole-count policy.
        """
        who = self.billing.company_name or self.workspace_id
        return ChargeLines([self._charge_line(line, who=who) for line in self.lines])

    def _charge_line(self, line: InvoiceLine, *, who: str) -> ChargeLine:
        """*line* as a ``cycleCharge`` line of the whole month, described for *who*."""
        product, kind = line.product.value, line.user_kind.value
        quantity, unit, what = self._charged_quantity(line)
        return ChargeLine(
            subscription_id=self.workspace_id,
            order_date=self.month.last,
            sku_id=f"{product}-{kind}",
            sku_name=f"{product} ({kind} users)",
            charge_start=self.month.first,
            charge_end=self.month.last,
            unit_price=line.unit_price,
            effective_unit_price=unit,
            quantity=quantity,
            total=line.total,
            charge_type=WORKSPACE_CHARGE,
            description=f"{who}: {product}, {kind} users, {self.month} ({what})",
            reference_id=f"{self.workspace_id}-{self.month}-{product}-{kind}",
            product_id=product,
            customer_id=self.workspace_id,
        )

    def _charged_quantity(self, line: InvoiceLine) -> tuple[int, Money, str]:
        """A charge line's quantity and effective unit price for *line*, and how to say them."""
        days = self.month.days
        if self.counting is Counting.DAILY_PRORATED:
            # seat-days / days was shown to four places: times days, it rounds back exactly
            numerator, denominator = line.quantity.as_integer_ratio()
            quantity = round_div(numerator * days, denominator, RoundingMode.HALF_EVEN)
            unit = effective_unit_price(unit_price=line.unit_price, billing_days=1,
                                        cycle_days=days)  # fmt: skip
            return quantity, unit, f"{quantity} seat-days of {days}"
        if line.quantity.as_integer_ratio()[1] != 1:
            raise InvalidValueError(
                f"{line.product.value} ({line.user_kind.value}) on invoice {self.workspace_id} "
                f"{self.month}: {line.quantity} seats is not a whole number under "
                f"{self.counting.value} counting"
            )
        quantity = int(line.quantity)
        return quantity, line.unit_price, f"{quantity} seats"

    def billing_details(self) -> tuple[tuple[str, str], ...]:
        """The billing details the invoice shows: (label, value) for company name, reference
        number, customer type and industry, as the workspace admin filled them in."""
        return tuple((label, getattr(self.billing, field)) for label, field in BILLING_DETAILS)

    def to_html(self, *, locale: str | None = None) -> str:
        """An HTML document part: the billing details, then a table of the lines and the total;
        money localised when *locale* is given."""
        from .io.display import invoice_html

        return invoice_html(self, locale=locale)

    def to_table(self, *, locale: str | None = None) -> str:
        """A plain-text invoice: workspace and month, the billing details, then the lines."""
        from .io.tables import invoice_table

        return invoice_table(self, locale=locale)

    def _repr_html_(self) -> str:
        return self.to_html()


def monthly_invoice(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month,
    prices: PriceList,
    counting: Counting = Counting.MONTH_END,
    history: Iterable[Revision] = (),
    rounding: Rounding | None = None,
    trial: ModuleTrial | None = None,
) -> Invoice:
    """Return *workspace*'s invoice for *month*: one line per product and user kind.

    *users* and *groups* are the state on the month's first day and *history* the revisions
    during it (see :func:`~licbill.count_seats`, which counts the seats under *counting*, and
    :func:`~licbill.cut_history`). *rounding* is needed, and must be named, when an amount does
    not fall on the minor unit: always under ``DAILY_PRORATED``, and for prices with more
    digits than the currency has.

    Legacy workspaces are billed per edition seat at their edition's price. Modules they hold
    are free up to *trial*'s ``ends_on`` (shown at a zero price) and billed at the module price
    after it; inside the month that the trial ends, modules count over the paid days only,
    under the same counting policy. A legacy workspace holding modules without *trial* terms
    is refused: its modules are never billed at zero silently. *trial* has no effect on a
    modules-model workspace.

    Raises :class:`~licbill.InvalidValueError` for a month before the workspace was created or
    legacy modules without trial terms, and :class:`~licbill.MissingPriceError` for a billed
    product without a price.
    """
    _check_terms(prices=prices, counting=counting, rounding=rounding, trial=trial)
    model = licence_model(workspace)
    users, groups, history = listed(users), listed(groups), listed(history)
    inputs: _Source = (workspace, users, groups, history, month, counting, rounding, None)
    if counting is Counting.MONTH_END and _month_end_only(
        workspace, model=model, month=month, prices=prices, rounding=rounding, trial=trial
    ):
        lines = _month_end_lines(inputs, model=model, prices=prices, trial=trial)
    else:
        lines = _counted_lines(inputs, model=model, prices=prices, trial=trial)
    return Invoice(
        workspace_id=workspace.id,
        billing=workspace.billing,
        month=month,
        model=model,
        counting=counting,
        currency=prices.currency,
        lines=lines,
    )


def _check_terms(*, prices: Any, counting: Any, rounding: Any, trial: Any) -> None:
    # monthly_invoice's pricing terms, checked before anything is counted.
    if not isinstance(prices, PriceList):
        raise InvalidTypeError(f"prices must be a licbill.PriceList, not {prices!r}")
    if not isinstance(counting, Counting):
        raise InvalidTypeError(f"counting must be a licbill.Counting, not {counting!r}")
    if rounding is not None and not isinstance(rounding, Rounding):
        raise InvalidTypeError(f"rounding must be a licbill.Rounding or None, not {rounding!r}")
    if trial is not None and not isinstance(trial, ModuleTrial):
        raise InvalidTypeError(f"trial must be a licbill.ModuleTrial or None, not {trial!r}")
    if counting is Counting.DAILY_PRORATED and rounding is None:
        raise InvalidValueError("DAILY_PRORATED counting needs an explicit rounding policy")


def _month_end_lines(
    inputs: _Source, *, model: LicenceModel, prices: PriceList, trial: ModuleTrial | None
) -> tuple[InvoiceLine, ...]:
    # The lines of a MONTH_END invoice, from the seats held on the month's last day alone (see
    # _month_end_only). A legacy workspace's modules are free when the trial covers the month.
    # The last day's state is all a month-end invoice reads: it is counted once, rather than
    # the month day by day, 0.43, 0.52, 0.53 -> 0.85, 0.87, 0.76 of the hand-loop floor
    # (`python bench/billing_run.py --workspaces 1000 --repeat 5`, three interleaved rounds).
    workspace, users, groups, history, month, _counting, rounding, _since = inputs
    held = month_end_counts(workspace, users=users, groups=groups, month=month, history=history)
    free = model is LicenceModel.LEGACY and trial is not None and trial.ends_on >= month.last
    table = prices._by_seat
    remembered = table.remembered(rounding)
    lines = []
    for n, count in enumerate(held):
        if not count:
            continue
        product, kind = SEAT_KEYS[n]
        if free and n in _MODULE_SEATS:
            price = Money.zero(prices.currency)
            quantity, total = Decimal(count), _whole_total(price, count, rounding, product, kind)
        else:
            price = table.prices[n]
            known = remembered.get((n, count))
            if known is None:
                total = _whole_total(price, count, rounding, product, kind)
                known = table.remember(remembered, (n, count), (Decimal(count), total))
            quantity, total = known
        lines.append(_line(product, kind, quantity, price, total, inputs))
    return tuple(lines)


def _counted_lines(
    inputs: _Source, *, model: LicenceModel, prices: PriceList, trial: ModuleTrial | None
) -> tuple[InvoiceLine, ...]:
    # The lines of an invoice from the seats counted over the month under its policy.
    seats, free = _billed_seats(inputs, model=model, trial=trial)
    counting, rounding, days = inputs[5], inputs[6], inputs[4].days  # the month is checked
    table = prices._by_seat
    remembered, memo_of = table.remembered(rounding), _memo_of(counting, rounding)
    lines = []
    for n, billed in enumerate(seats):
        if billed is None:
            continue
        seat, line_inputs = billed
        product, kind = SEAT_KEYS[n]
        if free and n in _MODULE_SEATS:
            price = Money.zero(prices.currency)
            quantity, total = _amounts(price, seat, counting, rounding, days, product, kind)
        else:
            price = table.prices[n] if n in table.prices else prices.price(product, kind)
            memo = memo_of(n, seat, counting, days)
            known = remembered.get(memo)
            if known is None:
                amounts = _amounts(price, seat, counting, rounding, days, product, kind)
                known = table.remember(remembered, memo, amounts)
            quantity, total = known
        if quantity or total.amount:
            lines.append(_line(product, kind, quantity, price, total, line_inputs))
    return tuple(lines)


#: The indexes in SEAT_KEYS of the module seats (a legacy workspace's trial makes them free).
_MODULE_SEATS = frozenset(
    n for n, (product, _kind) in enumerate(SEAT_KEYS) if isinstance(product, Module)
)


def _amounts(
    price: Money,
    seat: SeatCount,
    counting: Counting,
    rounding: Rounding | None,
    days: int,
    product: Product,
    kind: UserKind,
) -> tuple[Decimal, Money]:
    # A line's quantity and total under *counting*: whole seats at the price, or under
    # DAILY_PRORATED seat-days / days shown to four places (exact integer division, rounded
    # half-even; no Decimal context involved) and the prorated total.
    if counting is not Counting.DAILY_PRORATED:
        count = seat.count(counting)
        return Decimal(count), _whole_total(price, count, rounding, product, kind)
    assert rounding is not None  # checked by _check_terms
    units = round_div(seat.seat_days * 10**QUANTITY_PLACES, days, RoundingMode.HALF_EVEN)
    return amount_of(units, QUANTITY_PLACES), _prorated_total(price, seat.held_days, days, rounding)


_Memo = tuple[object, ...]


def _memo_of(counting: Counting, rounding: Rounding | None) -> Callable[..., _Memo]:
    # What a line's quantity and total follow from besides its price (see _amounts), as a key
    # of _SeatPrices.remembered: a whole count; the seat-days under a per-line policy; the
    # held days under a per-unit one.
    if counting is not Counting.DAILY_PRORATED:
        return _by_count
    assert rounding is not None  # checked by _check_terms
    return _by_seat_days if rounding.scope is RoundingScope.PER_LINE else _by_held_days


def _by_count(n: int, seat: SeatCount, counting: Counting, _days: int) -> _Memo:
    return n, seat.count(counting)


def _by_seat_days(n: int, seat: SeatCount, _counting: Counting, days: int) -> _Memo:
    return n, seat.seat_days, days


def _by_held_days(n: int, seat: SeatCount, _counting: Counting, days: int) -> _Memo:
    return n, days, tuple(seat.held_days.items())


def _billed_seats(
    inputs: _Source, *, model: LicenceModel, trial: ModuleTrial | None
) -> tuple[list[tuple[SeatCount, _Source] | None], bool]:
    # The seats each line bills by key index, with what they were counted from, and whether
    # the module seats are billed at a zero price: a legacy workspace's modules are free while
    # its trial covers the month, and counted from the first paid day in the month it ends.
    workspace, users, groups, history, month, _counting, _rounding, _since = inputs
    seats = seat_counts(workspace, users=users, groups=groups, month=month, history=history)
    billed = [None if seat is None else (seat, inputs) for seat in seats]
    if model is not LicenceModel.LEGACY or all(seats[n] is None for n in _MODULE_SEATS):
        return billed, False
    if trial is None:
        raise InvalidValueError(
            f"legacy workspace {workspace.id!r} holds modules in {month}: pass "
            "trial=licbill.ModuleTrial(ends_on=...) to say until when they are free"
        )
    if trial.ends_on >= month.last:
        return billed, True
    if trial.first_paid_day > max(month.first, workspace.created_on):
        paid = seat_counts(
            workspace,
            users=users,
            groups=groups,
            month=month,
            history=history,
            since=trial.first_paid_day,
        )
        paid_inputs: _Source = (*inputs[:-1], trial.first_paid_day)
        for n in _MODULE_SEATS:
            if seats[n] is not None:
                seat = paid[n]
                billed[n] = None if seat is None else (seat, paid_inputs)
    return billed, False


def _line(
    product: Product,
    kind: UserKind,
    quantity: Decimal,
    price: Money,
    total: Money,
    inputs: _Source,
) -> InvoiceLine:
    # A line made by monthly_invoice keeps what it was counted from, for explain(). Its
    # fields are set through their slots: InvoiceLine has no validators or converters to run,
    # and the frozen class's __init__ sets each field by name through object.__setattr__
    # (``python -m timeit`` of a line: 0.64 us that way, 0.37 us this way). Over the 1,000
    # workspaces of ``python bench/billing_run.py --workspaces 1000`` (the bench's
    # invoice_counts and floor_counts, best of 15 interleaved runs in one process, two runs),
    # monthly_invoice MONTH_END went from 0.96 and 0.94 to 1.00 and 0.99 of the floor.
    line = _NEW_LINE(InvoiceLine)
    _SET_PRODUCT(line, product)
    _SET_KIND(line, kind)
    _SET_QUANTITY(line, quantity)
    _SET_PRICE(line, price)
    _SET_TOTAL(line, total)
    _SET_SOURCE(line, inputs)
    return line


_NEW_LINE = object.__new__
# Every field, in the order InvoiceLine declares them (a field added there fails here).
_SET_PRODUCT, _SET_KIND, _SET_QUANTITY, _SET_PRICE, _SET_TOTAL, _SET_SOURCE = (
    getattr(InvoiceLine, field.name).__set__ for field in attrs.fields(InvoiceLine)
)


def _month_end_only(
    workspace: Workspace,
    *,
    model: LicenceModel,
    month: Any,
    prices: PriceList,
    rounding: Rounding | None,
    trial: ModuleTrial | None,
) -> bool:
    # Whether a MONTH_END invoice follows from the month-end count alone, errors included. Not
    # when a legacy workspace's modules need the whole month (refused without trial terms if
    # held on any day; counted from the first paid day when the trial ends inside it), nor
    # when a seat held during the month but not at its end could raise: a missing price, or
    # a price off the minor unit without a rounding policy.
    if not isinstance(month, Month):
        return False
    if model is LicenceModel.LEGACY:
        start = max(month.first, workspace.created_on)
        if trial is None or (trial.ends_on < month.last and trial.first_paid_day > start):
            return False
    table = prices._by_seat
    if workspace.edition not in table.complete:
        return False
    return rounding is not None or workspace.edition in table.rounded


#: The keys a workspace of each edition (None: the modules model) may bill.
_PRICED: Mapping[LegacyEdition | None, frozenset[SeatKey]] = {
    edition: frozenset(
        (product, kind)
        for product in (*Module, *([edition] if edition else []))
        for kind in UserKind
    )
    for edition in (None, *LegacyEdition)
}


class _SeatPrices:
    """A price list by seat index (``SEAT_KEYS``), with what invoices ask of it remembered.

    ``complete`` holds the editions (``None``: the modules model) whose every key is priced,
    ``rounded`` those whose prices are all on the minor unit too. ``remembered`` keeps the
    quantity and total of lines at listed prices, per rounding policy: a billing run prices
    the same few counts again and again.
    """

    # Without remembering (REMEMBERED = 0), MONTH_END 0.63, 0.58, 0.59 of the hand-loop floor,
    # with it 0.85, 0.87, 0.76; DAILY_PRORATED 676,137, 524,083, 687,044 users/s without,
    # 786,028, 739,969, 511,502 with, the last round under load (`python bench/billing_run.py
    # --workspaces 1000 --repeat 5`, three interleaved rounds, a new price list each run).

    #: The most lines remembered per rounding policy.
    REMEMBERED = 4096

    def __init__(self, prices: Mapping[SeatKey, Money]) -> None:
        self.prices = {n: prices[key] for n, key in enumerate(SEAT_KEYS) if key in prices}
        self.complete = frozenset(e for e, keys in _PRICED.items() if keys <= prices.keys())
        self.rounded = frozenset(
            e for e in self.complete if all(prices[key].is_rounded for key in _PRICED[e])
        )
        self.lines: dict[Rounding | None, dict[_Memo, tuple[Decimal, Money]]] = {}

    def remembered(self, rounding: Rounding | None) -> dict[_Memo, tuple[Decimal, Money]]:
        """The quantities and totals worked out so far under *rounding*, by what they follow
        from besides the price (the key index first, then :func:`_memo_of`'s)."""
        return self.lines.setdefault(rounding, {})

    def remember(
        self,
        remembered: dict[_Memo, tuple[Decimal, Money]],
        memo: _Memo,
        amounts: tuple[Decimal, Money],
    ) -> tuple[Decimal, Money]:
        """Keep *amounts* in *remembered* under *memo*, up to REMEMBERED; return them."""
        if len(remembered) < self.REMEMBERED:
            remembered[memo] = amounts
        return amounts


def _whole_total(
    price: Money, count: int, rounding: Rounding | None, product: Product, kind: UserKind
) -> Money:
    if rounding is None:
        if not price.is_rounded:
            raise InvalidValueError(
                f"the price {price} of {product.value} ({kind.value}) has digits beyond the "
                "minor unit: name a rounding policy"
            )
        return price * count
    return prorate(
        unit_price=price, quantity=count, billing_days=1, cycle_days=1, rounding=rounding
    )


def _prorated_total(
    price: Money, held_days: Mapping[int, int], days: int, rounding: Rounding
) -> Money:
    # A unit is one user's seat: per-unit policies round each user's share of the month,
    # per-line policies round the sum once.
    if rounding.scope is RoundingScope.PER_UNIT:
        total = Money.zero(price.currency)
        for held, users in held_days.items():
            total += prorate(
                unit_price=price,
                quantity=users,
                billing_days=held,
                cycle_days=days,
                rounding=rounding,
            )
        return total
    seat_days = sum(held * users for held, users in held_days.items())
    return prorate(
        unit_price=price, quantity=seat_days, billing_days=1, cycle_days=days, rounding=rounding
    )
