"""Results of a pure function remembered for one billing run (the engines' fast path).

A run asks the same questions again and again: every subscription bought on one day has the
same cycle ends, and every renewal of a cycle with the same first and last day the same
whole-cycle basis. A :class:`Memo` answers a repeat with one dict lookup.
It belongs to one run (no state outlives the run), and it is emptied when it reaches its limit,
so a run's memory stays flat however long its horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(dict[tuple[Any, ...], V]):
    """``memo[args]`` is ``function(*args)``, computed on the first asking."""

    __slots__ = ("function", "limit")

    def __init__(self, function: Callable[..., V], *, limit: int = 1 << 12) -> None:
        super().__init__()
        self.function = function
        self.limit = limit

    def __missing__(self, key: tuple[Any, ...]) -> V:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.function(*key)
        return value
