"""Benchmark: charge lines for many per-seat subscriptions over a year.

    python bench/lifecycle.py [--subscriptions 100000] [--months 12] [--repeat 3] [--no-memory]

Two workloads: ``mixed`` (purchases, seat changes, conversions and cancellations) and
``steady`` (the same purchases alone, so every later line is a renewal or a cycle charge). For
each it prints lines per second for the lazy iterator and for ``charge_lines``, beside a floor
measured in the same run: building and keeping the same number of plain tuples with the same
``Decimal`` arithmetic; the ratio to the floor is the figure to compare (issue 13 targets:
>= 0.28 mixed, >= 0.40 steady). Each timing is the best of ``--repeat`` runs, in CPU time.
Then the lazy iterator's peak traced memory (tracemalloc, in a separate pass) for a growing
horizon and a growing number of subscriptions.

The random seat reductions ignore new commerce's 7-day seat-reduction window, so the runs use
``NEW_COMMERCE`` without it (``reduction_window_days=None``): otherwise the first reduction of
seats older than a week would be refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import time
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import ROUND_DOWN, Decimal
from functools import partial

import attrs

import licbill as lb

#: New commerce without the seat-reduction window: the random reductions below are not
#: restricted to seats added in the last seven days.
RULEBOOK = attrs.evolve(lb.rulebooks.NEW_COMMERCE, reduction_window_days=None)

START = dt.date(2024, 1, 1)
SKUS = [
    lb.Sku.annual(
        id=f"plan-{i}",
        name=f"Plan {i}",
        unit_price=lb.Money(price, "USD"),
        billing=lb.Billing.MONTHLY,
    )
    for i, price in enumerate(["8.00", "12.50", "20.00", "36.00"])
]


def events(subscriptions: int, months: int, seed: int = 7) -> Iterator[lb.Event]:
    """Yield a date-ordered stream: purchases through January, then seat changes, conversions
    and cancellations spread over the horizon (about 3 events per subscription)."""
    rng = random.Random(seed)
    horizon = (lb.add_months(START, months) - START).days
    plan: dict[int, list[tuple[int, int, int]]] = {}
    for n in range(subscriptions):
        bought = rng.randrange(31)
        quantity = rng.randrange(1, 40)
        plan.setdefault(bought, []).append((n, 0, quantity))
        day = bought
        sku = n % len(SKUS)
        for _ in range(rng.randrange(5)):
            day += rng.randrange(10, 90)
            if day >= horizon:
                break
            roll = rng.random()
            if roll < 0.6:
                quantity = (
                    quantity + rng.randrange(1, 5) if roll < 0.4 or quantity < 5 else quantity - 2
                )
                plan.setdefault(day, []).append((n, 1, quantity))
            elif roll < 0.85:
                sku = (sku + 1) % len(SKUS)
                plan.setdefault(day, []).append((n, 2, sku))
            else:
                plan.setdefault(day, []).append((n, 3, 0))
                break
    for offset in sorted(plan):
        on = START + dt.timedelta(days=offset)
        for n, kind, value in plan.pop(offset):
            sid = f"S{n:06d}"
            if kind == 0:
                yield lb.Purchase(
                    subscription_id=sid, on=on, sku=SKUS[n % len(SKUS)], quantity=value
                )
            elif kind == 1:
                yield lb.ChangeQuantity(subscription_id=sid, on=on, quantity=value)
            elif kind == 2:
                yield lb.ConvertSku(subscription_id=sid, on=on, to=SKUS[value])
            else:
                yield lb.Cancel(subscription_id=sid, on=on)


def through_of(months: int) -> dt.date:
    return lb.add_months(START, months) - dt.timedelta(days=1)


def steady(subscriptions: int, months: int) -> Iterator[lb.Event]:
    """The purchases of :func:`events` alone: every later line is a renewal or cycle charge."""
    return (event for event in events(subscriptions, months) if isinstance(event, lb.Purchase))


WORKLOADS = {"mixed": events, "steady": steady}


def lazy_run(stream: list[lb.Event], months: int) -> int:
    count = 0
    for _ in lb.iter_charge_lines(iter(stream), through=through_of(months), rulebook=RULEBOOK):
        count += 1
    return count


def eager_run(stream: list[lb.Event], months: int) -> int:
    return len(lb.charge_lines(stream, through=through_of(months), rulebook=RULEBOOK))


def eager_run_without_collector(stream: list[lb.Event], months: int) -> int:
    """``charge_lines`` with the cyclic garbage collector off, as a caller may choose for a
    batch run. ``charge_lines`` pauses the collector itself while it keeps its lines; when it
    switches it on again, the first pass goes over every line it kept, which a caller who keeps
    the collector off does not pay."""
    gc.disable()
    try:
        return eager_run(stream, months)
    finally:
        gc.enable()


def floor(count: int) -> int:
    """The same number of plain tuples, each with one prorated Decimal total, kept in a list
    as ``charge_lines`` keeps its lines."""
    cent = Decimal("0.01")
    price = Decimal("36.00")
    rows = []
    for i in range(count):
        billing, cycle = 1 + i % 30, 30
        total = (price * billing / cycle).quantize(cent, rounding=ROUND_DOWN) * (1 + i % 40)
        rows.append(("S", START, "plan", "Plan", START, START, price, price, 1, total, "new"))
    return len(rows)


def best_times(repeat: int, runs: dict[str, Callable[[], int]]) -> dict[str, float]:
    """The fastest of *repeat* timings of each run, taken in turns so that a noisy moment on
    the shared machine hurts every run alike. Times are the process's CPU time: every run is
    single-threaded, and other jobs on the machine then cost it less than in wall time."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            began = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    args = parser.parse_args()
    subs, months, repeat = args.subscriptions, args.months, args.repeat

    for name, workload in WORKLOADS.items():
        stream = list(workload(subs, months))
        print(f"{name}: {subs:,} subscriptions, {months} months, {len(stream):,} events")
        lines = lazy_run(stream, months)
        best = best_times(
            repeat,
            {
                "floor": partial(floor, lines),
                "lazy": partial(lazy_run, stream, months),
                "eager": partial(eager_run, stream, months),
                "eager, no gc": partial(eager_run_without_collector, stream, months),
            },
        )
        base, lazy, eager, no_gc = best["floor"], best["lazy"], best["eager"], best["eager, no gc"]
        print(f"  {'floor (tuples):':<42} {lines / base:>11,.0f} rows/s")
        for what, seconds in (
            ("iter_charge_lines", lazy),
            ("charge_lines", eager),
            ("charge_lines, the caller's collector off", no_gc),
        ):
            print(
                f"  {what + ':':<42} {lines / seconds:>11,.0f} lines/s = "
                f"{base / seconds:.2f} of the floor"
            )
    if args.no_memory:
        return

    print("\npeak traced memory of iter_charge_lines (events generated lazily too):")
    for s, m in [
        (subs // 4, months),
        (subs // 4, months * 2),
        (subs // 4, months * 4),
        (subs // 2, months),
        (subs, months),
    ]:
        tracemalloc.start()
        count = sum(
            1 for _ in lb.iter_charge_lines(events(s, m), through=through_of(m), rulebook=RULEBOOK)
        )
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  {s:>7,} subscriptions, {m:>2} months: {count:>9,} lines, "
            f"peak {peak / 2**20:6.1f} MiB"
        )


if __name__ == "__main__":
    main()
