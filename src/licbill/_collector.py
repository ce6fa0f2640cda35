"""The cyclic garbage collector paused while a run keeps its lines (docs/scale-out.md).

A run that returns its lines holds every one of them until it returns, each a tracked object;
the collector's full passes then traverse all the lines kept so far, again and again as they
grow, although a run makes no reference cycles for it to find. Pausing it for the call is
what Mercurial's ``util.nogc`` does for the same reason. The caller's setting is restored when
the call returns or raises; a collector that was off stays off. No result depends on it. With
the collector left on, ``charge_lines`` took 1.25 to 1.32 times as long on the mixed workload
and 0.99 to 1.17 on the steady one (two runs of ``python bench/engine_ablation.py
--subscriptions 3000``, 2026-11-23), the more so the more lines a run keeps.
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
