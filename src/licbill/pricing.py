"""Pricing: a live subscription's cycles and days turned into charge lines.

The one place the engine makes a line (:meth:`Pricing.build`): a whole cycle or its share
(docs/operations.md), the days left of a cycle for a change (docs/proration.md), a full refund
that reverses each line of the cycle (docs/operations.md), and the zero-amount lines of a free
trial (docs/lifecycle.md). Every subscription renewing into a cycle with the same first and
last day shares that cycle's basis, so those bases come from a :class:`Memo` table for the run,
and so do prorated unit prices and whole cycles' totals. Each figure below is the time of a run
without the trick, as a multiple of the run with it, for the mixed and the steady workload: two
runs of ``python bench/engine_ablation.py --subscriptions 3000`` and, in brackets, one with
``--subscriptions 20000`` (2026-11-23). Memo tables for prorated totals and partial bases
were measured too and dropped (within 3 % either way). A prorated line's basis is built
through its slots; ``_prorated_basis`` says why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

import attrs

from ._calendar import inclusive_days, period_end
from ._memo import Memo
from .errors import InvalidValueError
from .lines import Basis, ChargeLine, ChargeType, ChargeTypeName
from .models import SkuKind
from .money import Money, unchecked_money
from .proration import Rounding, unchecked_effective_unit_price, unchecked_prorate
from .rulebooks import Rulebook
from .subscription import LiveSubscription

__all__ = ["Pricing"]

_TRIAL = ("Trial",)
# Members looked up once, as in licbill.money.
_CUSTOM_METER = SkuKind.CUSTOM_METER
_make_line = ChargeLine._make
_new_line = tuple.__new__
#: Where the fields a whole cycle's line does not share with the one before sit in a line (and
#: its seats, which say whether the copy still holds).
_DAY, _START, _END, _QUANTITY, _NAME, _REF, _TERM_END, _BASIS = map(
    ChargeLine._fields.index,
    (
        "order_date",
        "charge_start",
        "charge_end",
        "quantity",
        "charge_type",
        "reference_id",
        "subscription_end",
        "basis",
    ),
)


def _effective_unit_price(
    amount: Decimal, currency: str, billing: int, cycle: int, negative: bool
) -> Money:
    eup = unchecked_effective_unit_price(unchecked_money(amount, currency), billing, cycle)
    return -eup if negative else eup


def _whole_total(amount: Decimal, currency: str, quantity: int, *, rounding: Rounding) -> Money:
    return unchecked_prorate(unchecked_money(amount, currency), quantity, 1, 1, rounding)


def _whole_cycle_basis(start: dt.date, end: dt.date, *, rounding: Rounding) -> Basis:
    return Basis.whole_cycle(start=start, end=end, rounding=rounding)


def _prorated_basis(
    start: dt.date,
    cycle_days: int,
    billing_days: int,
    rounding: Rounding,
    reverses: tuple[str, ...],
    unit: str,
) -> Basis:
    # A prorated line's basis, its fields set through their slots. Basis.__init__ checks the
    # type of every value, which the engine's own values (the cycle's first day, whole days
    # counted by inclusive_days, the rulebook's rounding, reference ids, a unit word) have by
    # construction; the one rule a slip in the engine could break is still checked. The
    # checked constructor did 1.062 times the instructions on the mixed workload (`python
    # bench/instructions.py`, 2026-11-23); timed, 0.95 and 1.09 of the time with it (`python
    # bench/engine_ablation.py`, an earlier session), within the noise.
    if not 0 < billing_days <= cycle_days:
        raise InvalidValueError(
            f"billing days must lie in 1..cycle days, not {billing_days} of {cycle_days}"
        )
    basis = _NEW_BASIS(Basis)
    _SET_CYCLE_START(basis, start)
    _SET_CYCLE_DAYS(basis, cycle_days)
    _SET_BILLING_DAYS(basis, billing_days)
    _SET_ROUNDING(basis, rounding)
    _SET_REVERSES(basis, reverses)
    _SET_REFUND(basis, False)
    _SET_UNIT(basis, unit)
    return basis


_NEW_BASIS = object.__new__
# Every field, in the order Basis declares them (a field added there fails here).
(
    _SET_CYCLE_START,
    _SET_CYCLE_DAYS,
    _SET_BILLING_DAYS,
    _SET_ROUNDING,
    _SET_REVERSES,
    _SET_REFUND,
    _SET_UNIT,
) = (getattr(Basis, field.name).__set__ for field in attrs.fields(Basis))


class Pricing:
    """Makes the lines of one run under one rulebook; each appends to ``out``."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rounding = rounding = rulebook.rounding
        self.descriptions = rulebook.descriptions
        self.names = rulebook.spellings
        self.signed_credit_prices = rulebook.signed_credit_prices
        self.trial_months = rulebook.trial_months
        self.out: list[ChargeLine] = []
        # Without this table: 1.30 to 1.38 and 1.55 to 1.69 (1.47, 1.52).
        self.bases: Memo[Basis] = Memo(partial(_whole_cycle_basis, rounding=rounding))
        # A prorated unit price depends on the price, the days and the sign alone, and a run
        # asks for the same few again and again: without this table, 1.07 to 1.14 on the mixed
        # workload (1.09); the steady one has no prorated lines.
        self.eups: Memo[Money] = Memo(_effective_unit_price)
        # So does a whole cycle's total, on the price and the seats: without this table, 1.16
        # and 1.07 to 1.15 (1.08, 1.10).
        self.wholes: Memo[Money] = Memo(partial(_whole_total, rounding=rounding))

    def full_cycle(
        self, sub: LiveSubscription, name: ChargeTypeName, day: dt.date, ref: str
    ) -> None:
        num, den = sub.share
        if num == den and sub.sku.kind is not _CUSTOM_METER:
            self.whole_cycle(sub, name, day, ref)
            return
        price = sub.price
        # A short cycle costs its share of the unit price (docs/operations.md); a custom-meter
        # line is dated on its day (Pricing.line).
        total = unchecked_prorate(price, sub.quantity, num, den, self.rounding)
        eup = unchecked_effective_unit_price(price, num, den)
        if num == den:
            basis = self.bases[sub.cycle_start, sub.cycle_end]
        else:
            basis = Basis(
                cycle_start=sub.cycle_start,
                cycle_days=den,
                billing_days=num,
                rounding=self.rounding,
                # A custom first term's share counts days of a standard period (28 or more);
                # a billing-plan change's counts months of the cycle (1, 12 or 36).
                unit="months" if den == sub.cycle_months else "days",
            )
        self.line(
            sub,
            name=name,
            day=day,
            eup=eup,
            total=total,
            ref=ref,
            start=sub.cycle_start,
            basis=basis,
        )

    def whole_cycle(
        self, sub: LiveSubscription, name: ChargeTypeName, day: dt.date, ref: str
    ) -> None:
        """Append the line of *sub*'s whole cycle: a renewal, a cycle charge, a purchase."""
        # Until the SKU, its price or the seats change, a whole cycle's line differs from the
        # one before only in its dates, charge type, reference and basis: the subscription
        # keeps its fields (``whole_line``) and the line is a copy with those set. Building
        # each line anew instead: 1.10 and 1.20 to 1.29 (0.99, 1.29). The other fields
        # follow from the subscription's id, start and customer (never changed), its SKU and
        # price (LiveSubscription.set_sku and take_sku drop the copy when either changes) and
        # its seats, checked here.
        fields = sub.whole_line
        start, end = sub.cycle_start, sub.cycle_end
        basis = self.bases[start, end]
        if fields is None or fields[_QUANTITY] != sub.quantity:
            price = sub.price
            total = self.wholes[price.amount, price.currency, sub.quantity]
            line = self.line(
                sub, name=name, day=day, eup=price, total=total, ref=ref, start=start, basis=basis
            )
            sub.whole_line = list(line)
            return
        fields[_DAY] = day
        fields[_START] = start
        fields[_END] = end
        fields[_NAME] = name
        fields[_REF] = ref
        fields[_TERM_END] = sub.term_end
        fields[_BASIS] = basis
        line = _new_line(ChargeLine, fields)
        sub.cycle_lines.append(line)
        self.out.append(line)

    def prorated(
        self,
        sub: LiveSubscription,
        kind: ChargeType,
        day: dt.date,
        ref: str,
        *,
        credit: bool,
        rebill: bool = False,
    ) -> None:
        cycle_days = inclusive_days(sub.cycle_start, sub.cycle_end)
        # Custom-meter lines are at the full unit price (docs/lifecycle.md, custom-meter plans).
        custom = sub.sku.kind is _CUSTOM_METER
        billing_days = cycle_days if custom else inclusive_days(day, sub.cycle_end)
        num, den = sub.share
        unit = "days"
        if num != den:
            # In a short cycle a day costs what it costs in the cycle's share of the price.
            billing_days *= num
            cycle_days *= den
            unit = "weighted days"
        price, rounding = sub.price, self.rounding
        total = unchecked_prorate(
            price, sub.quantity, billing_days, cycle_days, rounding, -1 if credit else 1
        )
        # Credit lines show the unit price negative under some rulebooks. A whole cycle's
        # unit price is the price itself, as written ("12.5" and "12.50" are equal keys).
        negative = credit and self.signed_credit_prices
        if billing_days == cycle_days:
            eup = -price if negative else price
        else:
            eup = self.eups[price.amount, price.currency, billing_days, cycle_days, negative]
        reverses: tuple[str, ...] = ()
        if credit:
            # A credit reverses the newest charge of the cycle (docs/audit.md).
            for line in reversed(sub.cycle_lines):
                if line.total.amount > 0:
                    reverses = (line.reference_id,)
                    break
        self.line(
            sub,
            name=self.names[kind],
            day=day,
            eup=eup,
            total=total,
            ref=ref,
            start=day,
            basis=_prorated_basis(
                sub.cycle_start, cycle_days, billing_days, rounding, reverses, unit
            ),
            rebill=rebill,
        )

    def full_refund(self, sub: LiveSubscription, day: dt.date, ref: str) -> None:
        # Each line of the cycle is reversed, newest first, so the cycle nets to zero.
        signed = self.signed_credit_prices
        kind = self.names[ChargeType.CANCEL_IMMEDIATE]
        for line in reversed(sub.cycle_lines):
            eup = line.effective_unit_price
            if signed or eup.amount < 0:
                eup = -eup
            self.out.append(
                line._replace(
                    order_date=day,
                    effective_unit_price=eup,
                    total=-line.total,
                    charge_type=kind,
                    reference_id=ref,
                    reverses=line.reference_id,
                    basis=None
                    if line.basis is None
                    else attrs.evolve(line.basis, reverses=(line.reference_id,), refund=True),
                )
            )
        sub.cycle_lines.clear()

    def trial_line(
        self, sub: LiveSubscription, kind: ChargeType, day: dt.date, ref: str
    ) -> ChargeLine:
        # Every line of a trial mirrors the trial itself: its days, its seats, amount zero.
        zero = Money.zero(sub.sku.unit_price.currency)
        end = period_end(sub.started, self.trial_months)
        return self.build(
            sub,
            name=self.names[kind],
            day=day,
            start=sub.started,
            end=end,
            unit_price=zero,
            eup=zero,
            total=zero,
            description=self.descriptions.trial,
            ref=ref,
            qualifiers=_TRIAL,
            basis=self.bases[sub.started, end],
        )

    def line(
        self,
        sub: LiveSubscription,
        *,
        name: ChargeTypeName,
        day: dt.date,
        eup: Money,
        total: Money,
        ref: str,
        start: dt.date,
        basis: Basis,
        rebill: bool = False,
    ) -> ChargeLine:
        """Append the paid line of *sub* in its current state (built by :meth:`build`), and
        return it."""
        sku = sub.sku
        texts = self.descriptions
        if sku.kind is _CUSTOM_METER:
            start = end = day
            description = texts.custom_meter_rebill if rebill else texts.custom_meter
        else:
            end = sub.cycle_end
            description = texts.paid_rebill if rebill else texts.paid
        line = self.build(
            sub,
            name=name,
            day=day,
            start=start,
            end=end,
            unit_price=sub.price,
            eup=eup,
            total=total,
            description=description,
            ref=ref,
            basis=basis,
        )
        sub.cycle_lines.append(line)
        self.out.append(line)
        return line

    @staticmethod
    def build(
        sub: LiveSubscription,
        *,
        name: ChargeTypeName,
        day: dt.date,
        start: dt.date,
        end: dt.date,
        unit_price: Money,
        eup: Money,
        total: Money,
        description: str,
        ref: str,
        basis: Basis,
        qualifiers: tuple[str, ...] = (),
    ) -> ChargeLine:
        """The one builder of an engine line: *sub*'s SKU, seats, term and customer with the
        given charge; the other fields are the caller's."""
        sku = sub.sku
        # Positional, in ChargeLine's field order: with the keyword call instead, 1.05 to 1.12
        # and 1.00 (1.04, 0.98), as in the module's docstring; a whole cycle's line is mostly
        # a copy (whole_cycle), so the event lines gain most.
        return _make_line(
            (
                sub.id,
                day,
                sku.id,
                sku.name,
                start,
                end,
                unit_price,
                eup,
                sub.quantity,
                total,
                name,
                description,
                ref,
                qualifiers,
                sku.product_id,
                sku.term,
                sku.billing,
                sub.started,
                sub.term_end,
                None,
                sub.customer_id,
                basis,
            )
        )
