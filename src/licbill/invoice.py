"""The monthly workspace invoice (docs/workspace.md): active seats times a price list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
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
    Counting,
    Product,
    Revision,
    SeatKey,
    count_seats,
    explain_seats,
    month_end_seats,
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
    # Not an argument: only monthly_invoice sets it (_with_inputs), and file formats leave it
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
        days = self.month.days
        out = []
        for line in self.lines:
            product, kind = line.product.value, line.user_kind.value
            if self.counting is Counting.DAILY_PRORATED:
                # seat-days / days was shown to four places: times days, it rounds back exactly
                numerator, denominator = line.quantity.as_integer_ratio()
                quantity = round_div(numerator * days, denominator, RoundingMode.HALF_EVEN)
                unit = effective_unit_price(unit_price=line.unit_price, billing_days=1,
                                            cycle_days=days)  # fmt: skip
                what = f"{quantity} seat-days of {days}"
            else:
                if line.quantity.as_integer_ratio()[1] != 1:
                    raise InvalidValueError(
                        f"{product} ({kind}) on invoice {self.workspace_id} {self.month}: "
                        f"{line.quantity} seats is not a whole number under "
                        f"{self.counting.value} counting"
                    )
                quantity, unit = int(line.quantity), line.unit_price
                what = f"{quantity} seats"
            out.append(
                ChargeLine(
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
            )
        return ChargeLines(out)

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
    model = licence_model(workspace)
    users, groups, history = _listed(users), _listed(groups), _listed(history)
    inputs: _Source = (workspace, users, groups, history, month, counting, rounding, None)
    if counting is Counting.MONTH_END and _month_end_only(
        workspace, model=model, month=month, prices=prices, rounding=rounding, trial=trial
    ):
        # The last day's state is all a month-end invoice reads: count it once. Measured with
        # `python bench/billing_run.py --workspaces 2000` (200,000 users, one run each): MONTH_END
        # went from 0.15 to 0.32 of the hand-loop floor with this path and shape counting
        # together; 0.19 -> 0.50 with everything since (best of 3 interleaved runs).
        held = month_end_seats(workspace, users=users, groups=groups, month=month, history=history)
        return _month_end_invoice(
            workspace, model=model, month=month, prices=prices, rounding=rounding, trial=trial,
            held=held, inputs=inputs,
        )  # fmt: skip
    seats = count_seats(workspace, users=users, groups=groups, month=month, history=history)
    free: frozenset[SeatKey] = frozenset()
    line_inputs: dict[SeatKey, _Source] = dict.fromkeys(seats, inputs)
    if model is LicenceModel.LEGACY:
        module_keys = frozenset(key for key in seats if isinstance(key[0], Module))
        if module_keys and trial is None:
            raise InvalidValueError(
                f"legacy workspace {workspace.id!r} holds modules in {month}: pass "
                "trial=licbill.ModuleTrial(ends_on=...) to say until when they are free"
            )
        if module_keys and trial is not None:
            start = max(month.first, workspace.created_on)
            if trial.ends_on >= month.last:
                free = module_keys
            elif trial.first_paid_day > start:
                paid = count_seats(
                    workspace,
                    users=users,
                    groups=groups,
                    month=month,
                    history=history,
                    since=trial.first_paid_day,
                )
                paid_inputs = (*inputs[:-1], trial.first_paid_day)
                for key in module_keys:
                    if key in paid:
                        seats[key] = paid[key]
                        line_inputs[key] = paid_inputs
                    else:
                        del seats[key]
    currency, days = prices.currency, month.days
    lines = []
    for (product, kind), seat in seats.items():
        price = Money.zero(currency) if (product, kind) in free else prices.price(product, kind)
        if counting is Counting.DAILY_PRORATED:
            assert rounding is not None
            # Exact integer division, rounded half-even; no Decimal context involved.
            quantity = amount_of(
                round_div(seat.seat_days * 10**QUANTITY_PLACES, days, RoundingMode.HALF_EVEN),
                QUANTITY_PLACES,
            )
            total = _prorated_total(price, seat.held_days, days, rounding)
        else:
            count = seat.count(counting)
            quantity = Decimal(count)
            total = _whole_total(price, count, rounding, product, kind)
        if quantity or total.amount:
            line = InvoiceLine(product, kind, quantity, price, total)
            lines.append(_with_inputs(line, line_inputs[product, kind]))
    return Invoice(
        workspace_id=workspace.id,
        billing=workspace.billing,
        month=month,
        model=model,
        counting=counting,
        currency=currency,
        lines=tuple(lines),
    )


def _month_end_invoice(
    workspace: Workspace,
    *,
    model: LicenceModel,
    month: Month,
    prices: PriceList,
    rounding: Rounding | None,
    trial: ModuleTrial | None,
    held: Mapping[SeatKey, int],
    inputs: _Source,
) -> Invoice:
    # A MONTH_END invoice from the seats held on the month's last day (see _month_end_only).
    # A legacy workspace's modules are free when the trial covers the month.
    trial_free = model is LicenceModel.LEGACY and trial is not None and trial.ends_on >= month.last
    lines = []
    for (product, kind), count in held.items():
        if trial_free and isinstance(product, Module):
            price = Money.zero(prices.currency)
        else:
            price = prices.price(product, kind)
        if rounding is None:  # every price is on the minor unit: checked by _month_end_only
            total = price * count
        else:
            total = _whole_total(price, count, rounding, product, kind)
        line = InvoiceLine(product, kind, Decimal(count), price, total)
        lines.append(_with_inputs(line, inputs))
    return Invoice(
        workspace_id=workspace.id,
        billing=workspace.billing,
        month=month,
        model=model,
        counting=Counting.MONTH_END,
        currency=prices.currency,
        lines=tuple(lines),
    )


def _with_inputs(line: InvoiceLine, inputs: _Source) -> InvoiceLine:
    # The line made by monthly_invoice keeps what it was counted from, for explain().
    object.__setattr__(line, "_source", inputs)
    return line


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
    needed = _PRICED[workspace.edition]
    if not needed <= prices.prices.keys():
        return False
    return rounding is not None or all(prices.prices[key].is_rounded for key in needed)


#: The keys a workspace of each edition (None: the modules model) may bill.
_PRICED: Mapping[LegacyEdition | None, frozenset[SeatKey]] = {
    edition: frozenset(
        (product, kind)
        for product in (*Module, *([edition] if edition else []))
        for kind in UserKind
    )
    for edition in (None, *LegacyEdition)
}


def _listed(values: Any) -> Any:
    # Read a one-shot iterable once, as the trial may count it twice; count_seats checks it.
    if type(values) is tuple:
        return values
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Mapping):
        return tuple(values)
    return values


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
