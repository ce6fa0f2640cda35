"""Billing runs split by subscription: partial runs merged back into the single-run order.

A run bills day by day; on each day the subscriptions are handled in subscription-id order, and
each one's lines (its cycle boundary, then its events) come together. A partial upgrade
(``ConvertSku`` with ``target_subscription_id``) links two subscriptions: the source's event
also bills the target, so the target's line of that event comes in the source's place. Every
other line of a subscription comes from that subscription's events alone. So runs over disjoint
sets of *linked groups* of subscriptions (the partitions of a scale-out run, see
``docs/scale-out.md``) merge into exactly the lines of one run over all the events.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Sequence

from .charges import ChargeLines
from .errors import InvalidTypeError, InvalidValueError
from .lines import ChargeLine

__all__ = ["merge_charge_lines", "merge_order"]

#: What the merge reads of one line: its order date, subscription id and reference id.
LineKey = tuple[dt.date, str, str]


def merge_order(*parts: Sequence[LineKey]) -> list[tuple[int, int]]:
    """Return ``(part, position)`` of every line of *parts* in the single-run order.

    Each part lists ``(order_date, subscription_id, reference_id)`` of the lines of one run in
    its own order. A line is placed by its date and the subscription whose turn billed it: its
    own, or, for a line that shares the reference id of the line before it (one event billing
    two subscriptions, a partial upgrade), that line's. Raises
    :class:`~licbill.InvalidValueError` when two parts bill one subscription or a part is not
    in run order.
    """
    runs: list[list[tuple[dt.date, str, int, int]]] = []
    owner: dict[str, int] = {}
    for n, part in enumerate(parts):
        keys: list[tuple[dt.date, str, int, int]] = []
        previous: LineKey | None = None
        lines = list(part)
        early = _crossed_early(lines)
        for i, line in enumerate(lines):
            date, sub_id, ref = line
            if previous is not None and previous[0] == date and previous[2] == ref:
                turn = keys[-1][1]  # billed in the turn of the line before: the same event
            elif i in early:
                turn = early[i]  # a target's renewal crossed in its source's turn
            else:
                turn = sub_id
            if keys and (date, turn) < keys[-1][:2]:
                raise InvalidValueError(
                    f"part {n} is not in run order (date, subscription id) at line {i}: "
                    f"{sub_id!r} on {date}"
                )
            keys.append((date, turn, n, i))
            previous = line
            first = owner.setdefault(sub_id, n)
            if first != n:
                raise InvalidValueError(
                    f"subscription {sub_id!r} is billed in parts {first} and {n}; partition "
                    "events by their partition key (licbill.arrow.partition_keys)"
                )
        runs.append(keys)
    return [(n, i) for _date, _turn, n, i in heapq.merge(*runs)]


def _crossed_early(lines: Sequence[LineKey]) -> dict[int, str]:
    """The lines a source's turn billed for another subscription before moving seats into it.

    A partial upgrade into a target that renews the same day crosses the target's boundary
    first (charges.py): its lines come, under their own reference ids, between the source's
    line before and the event's lines for both subscriptions. Map each to the source.
    """
    early: dict[int, str] = {}
    for i in range(len(lines) - 2, 0, -1):
        date, sub_id, _ref = lines[i]
        after = lines[i + 1]
        if after[0] != date or after[1] >= sub_id:
            continue
        shared = any(
            later[0] == date and later[1] == sub_id and later[2] == after[2]
            for later in lines[i + 2 :]
        )
        if shared:
            early[i] = after[1]
            for j in range(i - 1, 0, -1):  # the rest of the target's boundary lines
                if lines[j][0] != date or lines[j][1] != sub_id or j in early:
                    break
                early[j] = after[1]
    return early


def merge_charge_lines(*parts: Iterable[ChargeLine]) -> ChargeLines:
    """Merge the lines of runs over disjoint sets of subscriptions into the single-run order.

    Each part is the output of one run (:func:`licbill.charge_lines`, or the lines of one
    partition), in its own order; subscriptions linked by a partial upgrade are billed in one
    part (see :func:`licbill.arrow.partition_keys`). Raises :class:`~licbill.InvalidValueError`
    when two parts bill the same subscription or a part is not in run order (date, then the
    subscription whose turn billed the line), since the merge would then not be the single
    run's order; :class:`~licbill.InvalidTypeError` for anything but charge lines.
    """
    runs: list[list[ChargeLine]] = []
    for n, part in enumerate(parts):
        if isinstance(part, str | bytes) or not isinstance(part, Iterable):
            raise InvalidTypeError(f"part {n} is not a collection of charge lines: {part!r}")
        lines = list(part)
        if not set(map(type, lines)) <= {ChargeLine}:
            culprit = next(line for line in lines if not isinstance(line, ChargeLine))
            raise InvalidTypeError(
                f"part {n} holds something not a licbill.ChargeLine: {culprit!r}"
            )
        runs.append(lines)
    keys = [[(ln.order_date, ln.subscription_id, ln.reference_id) for ln in run] for run in runs]
    return ChargeLines(runs[n][i] for n, i in merge_order(*keys))
