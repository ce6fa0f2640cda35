"""Drawn workspace months as directory entries, with count_seats' month-end rows of them: the
oracle the Arrow counting tests compare with."""

from __future__ import annotations

from typing import Any

import attrs

import licbill as lb


def month_end_rows(months: list[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    """Directory entries of drawn workspace months, and count_seats' month-end rows of them."""
    entries, expected = [], []
    for n, drawn in enumerate(months):
        workspace = attrs.evolve(drawn.workspace, id=f"w{n}")
        state = lb.month_end_state(
            users=drawn.users, groups=drawn.groups, history=drawn.history, month=drawn.month
        )
        entries.append((workspace, state.users, state.groups))
        seats = lb.count_seats(
            drawn.workspace,
            users=drawn.users,
            groups=drawn.groups,
            month=drawn.month,
            history=drawn.history,
        )
        expected += [
            {"workspace_id": workspace.id, "product": p.value, "user_kind": k.value, "seats": c}
            for (p, k), count in seats.items()
            if (c := count.month_end)
        ]
    return entries, expected
