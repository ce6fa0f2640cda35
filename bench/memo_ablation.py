"""Benchmark: what each of the engine's memo tables buys.

    python bench/memo_ablation.py [--subscriptions 3000] [--repeat 9]

Runs ``iter_charge_lines`` over the workloads of ``bench/lifecycle.py`` (mixed and steady), as
licbill runs it and with one memo table at a time answering by calling its function every
time (cycle ends: ``_Engine.ends``; whole-cycle bases: ``Pricing.bases``). Prints lines per
second and each variant's time as a multiple of the engine's, best of ``--repeat`` runs in CPU
time, taken in turns. Results are identical by construction (a memo only remembers).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import licbill as lb
import lifecycle
from licbill import _memo, charges, pricing


class Direct(_memo.Memo[Any]):
    """A memo that remembers nothing: every asking calls the function."""

    __slots__ = ()

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self.function(*key)


OFF: set[str] = set()
_pricing_init = pricing.Pricing.__init__
_engine_init = charges._Engine.__init__


def pricing_init(self: pricing.Pricing, rulebook: lb.Rulebook) -> None:
    _pricing_init(self, rulebook)
    if "bases" in OFF:
        self.bases = Direct(self.bases.function)


def engine_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _engine_init(self, *args, **kwargs)
    if "ends" in OFF:
        # The subscriptions hold this very table: change what it does, not which it is.
        self.ends.__class__ = Direct


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    pricing.Pricing.__init__ = pricing_init  # type: ignore[method-assign]
    charges._Engine.__init__ = engine_init  # type: ignore[method-assign]
    variants = {"as licbill runs": set(), "no cycle-end memo": {"ends"}, "no basis memo": {"bases"}}
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
            print(f"  {variant + ':':<19} {lines / seconds:>9,.0f} lines/s, time x{ratio:.2f}")


if __name__ == "__main__":
    main()
