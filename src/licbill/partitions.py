"""Billing runs split by subscription: partial runs merged back into the single-run order.

A run's lines are ordered by date, then subscription id (see :func:`licbill.charge_lines`), and
every line of a subscription comes from that subscription's events alone. So runs over disjoint
sets of subscriptions (the partitions of a scale-out run, see ``docs/scale-out.md``) merge into
exactly the lines of one run over all the events.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from operator import attrgetter

from .charges import ChargeLines
from .errors import InvalidTypeError, InvalidValueError
from .lines import ChargeLine

__all__ = ["merge_charge_lines"]

_ORDER = attrgetter("order_date", "subscription_id")


def merge_charge_lines(*parts: Iterable[ChargeLine]) -> ChargeLines:
    """Merge the lines of runs over disjoint sets of subscriptions into the single-run order.

    Each part is the output of one run (:func:`licbill.charge_lines`, or the lines of one
    partition), in its own order. Raises :class:`~licbill.InvalidValueError` when two parts bill
    the same subscription or a part is not in run order (date, then subscription id), since the
    merge would then not be the single run's order; :class:`~licbill.InvalidTypeError` for
    anything but charge lines.
    """
    runs: list[list[ChargeLine]] = []
    owner: dict[str, int] = {}
    for n, part in enumerate(parts):
        if isinstance(part, str | bytes) or not isinstance(part, Iterable):
            raise InvalidTypeError(f"part {n} is not a collection of charge lines: {part!r}")
        lines = list(part)
        if not set(map(type, lines)) <= {ChargeLine}:
            culprit = next(line for line in lines if not isinstance(line, ChargeLine))
            raise InvalidTypeError(
                f"part {n} holds something not a licbill.ChargeLine: {culprit!r}"
            )
        keys = list(map(_ORDER, lines))
        for i in range(1, len(keys)):
            if keys[i] < keys[i - 1]:
                raise InvalidValueError(
                    f"part {n} is not in run order (date, subscription id) at {lines[i]!r}"
                )
        for sub_id in dict.fromkeys(key[1] for key in keys):
            first = owner.setdefault(sub_id, n)
            if first != n:
                raise InvalidValueError(
                    f"subscription {sub_id!r} is billed in parts {first} and {n}; "
                    "partition events by subscription id"
                )
        runs.append(lines)
    return ChargeLines(heapq.merge(*runs, key=_ORDER))
