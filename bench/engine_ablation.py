"""Benchmark: what each of the engine's speed tricks buys.

    python bench/engine_ablation.py [--subscriptions 3000] [--repeat 9]

Runs ``iter_charge_lines`` over the workloads of ``bench/lifecycle.py`` (mixed and steady), as
licbill runs it and with one trick at a time undone:

- no cycle-end memo: ``_Engine.ends`` calls ``period_end`` on every asking;
- no basis memo: ``Pricing.bases`` builds each whole-cycle ``Basis`` on every asking;
- no unit-price memo: ``Pricing.eups`` computes each prorated unit price on every asking;
- no whole-total memo: ``Pricing.wholes`` prorates each whole cycle's total on every asking;
- whole lines built anew: ``Pricing.whole_cycle`` builds every line with ``Pricing.build``
  instead of copying the subscription's ``whole_line`` with the changing fields set;
- keyword line builder: ``Pricing.build`` calls ``ChargeLine(...)`` with keywords instead of
  ``ChargeLine._make`` over a tuple in field order;
- formatted references: each generated reference formatted (``f"{id}-{n:04}"``) instead of
  looked up;
- chained batches: ``_Engine.run`` hands the day's batches on through ``itertools.chain``
  instead of its generator (a trick measured and not taken).

Then ``charge_lines``, which keeps every line, as licbill runs it and with the collector left
on (``collector_paused`` undone). An undone memo still answers through a ``__getitem__`` call,
which the code before the memo did not make, so its figure is an upper bound. Prints lines per
second and each variant's time as a multiple of the engine's, best of ``--repeat`` runs in CPU
time, taken in turns. Results are identical by construction.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain
from typing import Any

import licbill as lb
import lifecycle
from licbill import _memo, charges, pricing, subscription
from licbill._calendar import period_end


class Forgetful(_memo.Memo[Any]):
    """A memo table that remembers nothing: every asking calls its function."""

    __slots__ = ()

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self.function(*key)


class Ends(_memo.Memo[dt.date]):
    """A cycle-end table that remembers nothing."""

    __slots__ = ()

    def __getitem__(self, key: tuple[Any, ...]) -> dt.date:
        return period_end(*key)


ROUNDING = lifecycle.RULEBOOK.rounding
OFF: set[str] = set()
_pricing_init = pricing.Pricing.__init__
_engine_init = charges._Engine.__init__
_build = pricing.Pricing.build
_whole_cycle = pricing.Pricing.whole_cycle
_run = charges._Engine.run
_reference = subscription.LiveSubscription.reference


def pricing_init(self: pricing.Pricing, rulebook: lb.Rulebook) -> None:
    _pricing_init(self, rulebook)
    for table in ("bases", "eups", "wholes"):
        if table in OFF:
            getattr(self, table).__class__ = Forgetful


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


def whole_cycle(self: pricing.Pricing, sub: Any, name: Any, day: dt.date, ref: str) -> None:
    if "whole" not in OFF:
        _whole_cycle(self, sub, name, day, ref)
        return
    price = sub.price
    line = self.build(
        sub,
        name=name,
        day=day,
        start=sub.cycle_start,
        end=sub.cycle_end,
        unit_price=price,
        eup=price,
        total=self.wholes[price.amount, price.currency, sub.quantity],
        description=self.descriptions.paid,
        ref=ref,
        basis=self.bases[sub.cycle_start, sub.cycle_end],
    )
    sub.cycle_lines.append(line)
    self.out.append(line)


def reference(self: Any, event: lb.Event | None) -> str:
    if "reference" not in OFF:
        return _reference(self, event)
    self.refs += 1
    if event is not None and event.event_id is not None:
        return event.event_id
    return f"{self.id}-{self.refs:04}"


def run(self: Any, events: Iterator[lb.Event]) -> Iterator[lb.ChargeLine]:
    if "chain" not in OFF:
        return _run(self, events)
    return chain.from_iterable(self.batches(events))


def collector_paused() -> contextlib.AbstractContextManager[None]:
    if "collector" not in OFF:
        return _collector_paused()
    return contextlib.nullcontext()


_collector_paused = charges.collector_paused


def patch() -> None:
    pricing.Pricing.__init__ = pricing_init  # type: ignore[method-assign]
    charges._Engine.__init__ = engine_init  # type: ignore[method-assign]
    pricing.Pricing.build = staticmethod(build)  # type: ignore[method-assign,assignment]
    pricing.Pricing.whole_cycle = whole_cycle  # type: ignore[method-assign]
    subscription.LiveSubscription.reference = reference  # type: ignore[method-assign]
    charges._Engine.run = run  # type: ignore[method-assign]
    charges.collector_paused = collector_paused


LAZY = {
    "as licbill runs": set(),
    "no cycle-end memo": {"ends"},
    "no basis memo": {"bases"},
    "no unit-price memo": {"eups"},
    "no whole-total memo": {"wholes"},
    "whole lines built anew": {"whole"},
    "keyword line builder": {"make"},
    "formatted references": {"reference"},
    "chained batches": {"chain"},
}
EAGER = {"as licbill runs": set(), "collector left on": {"collector"}}


def compare(
    variants: dict[str, set[str]], run_once: Callable[[], int], repeat: int
) -> tuple[int, dict[str, float]]:
    best = dict.fromkeys(variants, float("inf"))
    lines = 0
    for _ in range(repeat):
        for variant, off in variants.items():
            OFF.clear()
            OFF.update(off)
            began = time.process_time()
            lines = run_once()
            best[variant] = min(best[variant], time.process_time() - began)
    OFF.clear()
    return lines, best


def show(title: str, lines: int, best: dict[str, float]) -> None:
    print(f"{title}, {lines:,} lines")
    for variant, seconds in best.items():
        ratio = seconds / best["as licbill runs"]
        print(f"  {variant + ':':<26} {lines / seconds:>9,.0f} lines/s, time x{ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    patch()
    for name, workload in lifecycle.WORKLOADS.items():
        stream = list(workload(args.subscriptions, 12))
        lines, best = compare(LAZY, partial(lifecycle.lazy_run, stream, 12), args.repeat)
        show(f"{name}, iter_charge_lines: {args.subscriptions:,} subscriptions", lines, best)
        lines, best = compare(EAGER, partial(lifecycle.eager_run, stream, 12), args.repeat)
        show(f"{name}, charge_lines", lines, best)


if __name__ == "__main__":
    main()
