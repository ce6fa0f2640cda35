"""Benchmark: what each of the engine's speed tricks buys.

    python bench/engine_ablation.py [--subscriptions 3000] [--repeat 9]

Runs ``iter_charge_lines`` over the workloads of ``bench/lifecycle.py`` (mixed and steady), as
licbill runs it and with one trick at a time undone:

- no cycle-end memo: ``_Engine.ends`` calls ``period_end`` on every asking;
- no basis memo: ``Pricing.bases`` builds each whole-cycle ``Basis`` on every asking;
- keyword line builder: ``Pricing.build`` calls ``ChargeLine(...)`` with keywords instead of
  ``ChargeLine._make`` over a tuple in field order;
- chained batches: ``_Engine.run`` hands the day's batches on through ``itertools.chain``
  instead of its generator (a trick measured and not taken: within 6 %).

An undone memo still answers through a ``__getitem__`` call, which the code before the memo
did not make, so its figure is an upper bound. Prints lines per second and each variant's time
as a multiple of the engine's, best of ``--repeat`` runs in CPU time, taken in turns. Results
are identical by construction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Iterator
from itertools import chain
from typing import Any

import licbill as lb
import lifecycle
from licbill import _memo, charges, pricing
from licbill._calendar import period_end


class Ends(_memo.Memo[dt.date]):
    """A cycle-end table that remembers nothing."""

    __slots__ = ()

    def __getitem__(self, key: tuple[Any, ...]) -> dt.date:
        return period_end(*key)


class Bases(_memo.Memo[lb.Basis]):
    """A whole-cycle basis table that remembers nothing."""

    __slots__ = ()

    def __getitem__(self, key: tuple[Any, ...]) -> lb.Basis:
        start, end = key
        days = (end - start).days + 1
        return lb.Basis(cycle_start=start, cycle_days=days, billing_days=days, rounding=ROUNDING)


ROUNDING = lifecycle.RULEBOOK.rounding
OFF: set[str] = set()
_pricing_init = pricing.Pricing.__init__
_engine_init = charges._Engine.__init__
_build = pricing.Pricing.build
_run = charges._Engine.run


def pricing_init(self: pricing.Pricing, rulebook: lb.Rulebook) -> None:
    _pricing_init(self, rulebook)
    if "bases" in OFF:
        self.bases.__class__ = Bases


def engine_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _engine_init(self, *args, **kwargs)
    if "ends" in OFF:
        # The subscriptions hold this very table: change what it does, not which it is.
        self.ends.__class__ = Ends


def build(sub: Any, **fields: Any) -> lb.ChargeLine:
    if "make" not in OFF:
        return _build(sub, **fields)
    sku = sub.sku
    return lb.ChargeLine(
        subscription_id=sub.id,
        order_date=fields["day"],
        sku_id=sku.id,
        sku_name=sku.name,
        charge_start=fields["start"],
        charge_end=fields["end"],
        unit_price=fields["unit_price"],
        effective_unit_price=fields["eup"],
        quantity=sub.quantity,
        total=fields["total"],
        charge_type=fields["name"],
        description=fields["description"],
        reference_id=fields["ref"],
        product_qualifiers=fields.get("qualifiers", ()),
        product_id=sku.product_id,
        term=sku.term,
        billing=sku.billing,
        subscription_start=sub.started,
        subscription_end=sub.term_end,
        reverses=None,
        customer_id=sub.customer_id,
        basis=fields["basis"],
    )


def run(self: Any, events: Iterator[lb.Event]) -> Iterator[lb.ChargeLine]:
    if "chain" not in OFF:
        return _run(self, events)
    return chain.from_iterable(self.batches(events))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    pricing.Pricing.__init__ = pricing_init  # type: ignore[method-assign]
    charges._Engine.__init__ = engine_init  # type: ignore[method-assign]
    pricing.Pricing.build = staticmethod(build)  # type: ignore[method-assign,assignment]
    charges._Engine.run = run  # type: ignore[method-assign]
    variants = {
        "as licbill runs": set(),
        "no cycle-end memo": {"ends"},
        "no basis memo": {"bases"},
        "keyword line builder": {"make"},
        "chained batches": {"chain"},
    }
    for name, workload in lifecycle.WORKLOADS.items():
        stream = list(workload(args.subscriptions, 12))
        best = dict.fromkeys(variants, float("inf"))
        lines = 0
        for _ in range(args.repeat):
            for variant, off in variants.items():
                OFF.clear()
                OFF.update(off)
                began = time.process_time()
                lines = lifecycle.lazy_run(stream, 12)
                best[variant] = min(best[variant], time.process_time() - began)
        print(f"{name}: {args.subscriptions:,} subscriptions, {lines:,} lines")
        for variant, seconds in best.items():
            ratio = seconds / best["as licbill runs"]
            print(f"  {variant + ':':<22} {lines / seconds:>9,.0f} lines/s, time x{ratio:.2f}")


if __name__ == "__main__":
    main()
