"""Pricing: a live subscription's cycles and days turned into charge lines.

The one place the engine makes a line (:meth:`Pricing.line`): a whole cycle or its share
(docs/operations.md), the days left of a cycle for a change (docs/proration.md), a full refund
that reverses each line of the cycle (docs/operations.md), and the zero-amount lines of a free
trial (docs/lifecycle.md). Every subscription renewing on one day shares the basis of its
whole cycle, so those bases come from a :class:`Memo` table for the run: without it a run took
1.52 to 1.65 times as long on the steady workload and 1.30 to 1.39 times on the mixed one
(``python bench/memo_ablation.py --subscriptions 3000``, two runs on 2026-11-23). Memo tables
for prorated amounts, effective unit prices and partial bases were measured too and dropped:
within 3 % either way.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import attrs

from ._calendar import inclusive_days, period_end
from ._memo import Memo
from .lines import Basis, ChargeLine, ChargeType, ChargeTypeName
from .models import SkuKind
from .money import Money
from .proration import Rounding, unchecked_effective_unit_price, unchecked_prorate
from .rulebooks import Rulebook
from .subscription import LiveSubscription

__all__ = ["Pricing"]

_TRIAL = ("Trial",)
_make_line = ChargeLine._make


def _whole_cycle_basis(start: dt.date, end: dt.date, *, rounding: Rounding) -> Basis:
    return Basis.whole_cycle(start=start, end=end, rounding=rounding)


class Pricing:
    """Makes the lines of one run under one rulebook; each appends to ``out``."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rounding = rounding = rulebook.rounding
        self.descriptions = rulebook.descriptions
        self.names = rulebook.spellings
        self.signed_credit_prices = rulebook.signed_credit_prices
        self.trial_months = rulebook.trial_months
        self.out: list[ChargeLine] = []
        self.bases: Memo[Basis] = Memo(partial(_whole_cycle_basis, rounding=rounding))

    def full_cycle(
        self, sub: LiveSubscription, name: ChargeTypeName, day: dt.date, ref: str
    ) -> None:
        price = sub.price
        num, den = sub.share
        if num == den:
            total = sub.full_total
            if total is None:
                # A whole cycle costs the same each time, until the SKU or the quantity changes.
                total = sub.full_total = unchecked_prorate(price, sub.quantity, 1, 1, self.rounding)
            eup = price
            basis = self.bases[sub.cycle_start, sub.cycle_end]
        else:
            # A short cycle costs its share of the unit price (docs/operations.md).
            total = unchecked_prorate(price, sub.quantity, num, den, self.rounding)
            eup = unchecked_effective_unit_price(price, num, den)
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
        sku = sub.sku
        cycle_days = inclusive_days(sub.cycle_start, sub.cycle_end)
        # Custom-meter lines are at the full unit price (docs/lifecycle.md, custom-meter plans).
        custom = sku.kind is SkuKind.CUSTOM_METER
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
        eup = unchecked_effective_unit_price(price, billing_days, cycle_days)
        if credit and self.signed_credit_prices:
            eup = -eup
        reverses = None
        if credit:
            # A credit reverses the newest charge of the cycle (docs/audit.md).
            charged = (line for line in reversed(sub.cycle_lines) if line.total.amount > 0)
            reverses = next(charged, None)
        basis = Basis(
            cycle_start=sub.cycle_start,
            cycle_days=cycle_days,
            billing_days=billing_days,
            rounding=rounding,
            reverses=() if reverses is None else (reverses.reference_id,),
            unit=unit,
        )
        self.line(
            sub,
            name=self.names[kind],
            day=day,
            eup=eup,
            total=total,
            ref=ref,
            start=day,
            basis=basis,
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
        days = inclusive_days(sub.started, end)
        return ChargeLine(
            subscription_id=sub.id,
            order_date=day,
            sku_id=sub.sku.id,
            sku_name=sub.sku.name,
            charge_start=sub.started,
            charge_end=end,
            unit_price=zero,
            effective_unit_price=zero,
            quantity=sub.quantity,
            total=zero,
            charge_type=self.names[kind],
            description=self.descriptions.trial,
            reference_id=ref,
            product_qualifiers=_TRIAL,
            product_id=sub.sku.product_id,
            term=sub.sku.term,
            billing=sub.sku.billing,
            subscription_start=sub.started,
            subscription_end=sub.term_end,
            customer_id=sub.customer_id,
            basis=Basis(
                cycle_start=sub.started,
                cycle_days=days,
                billing_days=days,
                rounding=self.rounding,
            ),
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
    ) -> None:
        """Append the line of *sub* in its current state: the one builder of a paid line."""
        sku = sub.sku
        texts = self.descriptions
        if sku.kind is SkuKind.CUSTOM_METER:
            start = end = day
            description = texts.custom_meter_rebill if rebill else texts.custom_meter
        else:
            end = sub.cycle_end
            description = texts.paid_rebill if rebill else texts.paid
        # Positional, in ChargeLine's field order (a slip fails every seed table): _make took
        # 270 ns against 1.97 us for the keyword call (`python -m timeit`, 2026-11-23).
        line = _make_line(
            (
                sub.id,
                day,
                sku.id,
                sku.name,
                start,
                end,
                sub.price,
                eup,
                sub.quantity,
                total,
                name,
                description,
                ref,
                (),
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
        sub.cycle_lines.append(line)
        self.out.append(line)
