"""The cyclic garbage collector paused while a run keeps its lines (docs/scale-out.md), or
while :func:`licbill.arrow.charge_batches` makes a batch of them.

A run that returns its lines holds every one of them until it returns, each a tracked object;
the collector's full passes then traverse all the lines kept so far, again and again as they
grow, although a run makes no reference cycles for it to find. Pausing it for the call is
what Mercurial's ``util.nogc`` does for the same reason. The collector is switched on again
when the call returns or raises, if it was on; a collector that was off stays off. No result
depends on it. The pause holds for the whole process while a call runs: a thread that switches
the collector off meanwhile finds it on again when the call returns. With the collector left
on, ``charge_lines`` took 1.58 (steady) to 1.73 (mixed) times as long with 20,000
subscriptions (``python bench/engine_ablation.py --subscriptions 20000``), and 1.07 to 1.10
with 3,000 (two runs), the more so the more lines a run keeps (2026-11-23).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block if it is on; switch it on again after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
