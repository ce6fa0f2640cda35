"""Benchmark: a month of workspace seat billing for a whole hosting instance.

    python -m pip install -e '.[bench]'
    python bench/billing_run.py [--workspaces 10000] [--users-per-workspace 100]

Builds workspaces (a tenth of them legacy) with users, groups that carry modules, and one
month of user revisions (status changes, module and group changes, new users). Then it times
licbill's seat counts for MONTH_END and DAILY_PRORATED, and the same counts computed with
plain pandas from the same records, and checks that they agree. Peak memory is traced with
tracemalloc in a separate pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
import tracemalloc
from typing import Any

import licbill as lb

M, S = lb.Module, lb.UserStatus
MONTH = lb.Month(2024, 5)
MODULE_SETS = [frozenset(), frozenset({M.ENGAGE}), frozenset({M.HYBRID, M.ENGAGE}), frozenset(M)]
Record = tuple[lb.Workspace, tuple[lb.User, ...], tuple[lb.Group, ...], tuple[lb.Revision, ...]]


def build(workspaces: int, per_workspace: int, seed: int = 11) -> list[Record]:
    rng = random.Random(seed)
    records = []
    for w in range(workspaces):
        legacy = w % 10 == 0
        workspace = lb.Workspace(
            id=f"w{w:05d}",
            created_on=dt.date(2022, 5, 1) if legacy else dt.date(2024, 2, 1),
            edition=lb.LegacyEdition.ADAPT if legacy else None,
            billing=lb.BillingInfo(company_name=f"Company {w}"),
            # The pandas side below gives every active legacy user the edition.
            legacy_seats=lb.LegacySeats.EVERY_ACTIVE_USER,
        )
        groups = tuple(
            lb.Group(id=f"g{g}", name=f"G{g}", modules=rng.choice(MODULE_SETS)) for g in range(5)
        )
        users = []
        for u in range(per_workspace):
            users.append(
                lb.User(
                    id=f"u{u}",
                    username=f"user{u}",
                    guest=rng.random() < 0.1,
                    status=S.ACTIVE if rng.random() < 0.85 else S.INACTIVE,
                    modules=rng.choice(MODULE_SETS),
                    groups=frozenset(f"g{g}" for g in rng.sample(range(5), rng.randrange(3))),
                )
            )
        history = []
        for _ in range(per_workspace // 20):  # about 5 % of users change during the month
            u = rng.randrange(per_workspace + 3)  # some are new users
            base = users[u] if u < per_workspace else lb.User(id=f"u{u}", username=f"user{u}")
            on = MONTH.first + dt.timedelta(days=rng.randrange(1, MONTH.days))
            change = rng.choice(("status", "modules", "groups"))
            if change == "status":
                status = S.INACTIVE if base.status is S.ACTIVE else S.ACTIVE
                version = lb.User(**{**_fields(base), "status": status})
            elif change == "modules":
                version = lb.User(**{**_fields(base), "modules": rng.choice(MODULE_SETS)})
            else:
                version = lb.User(
                    **{**_fields(base), "groups": frozenset({f"g{rng.randrange(5)}"})}
                )
            history.append(lb.Revision(on, version))
        records.append((workspace, tuple(users), groups, tuple(history)))
    return records


def _fields(user: lb.User) -> dict[str, Any]:
    return {
        "id": user.id, "username": user.username, "guest": user.guest, "status": user.status,
        "modules": user.modules, "groups": user.groups,
    }  # fmt: skip


def licbill_counts(records: list[Record], counting: lb.Counting) -> dict[tuple[str, str, str], int]:
    counts = {}
    for workspace, users, groups, history in records:
        seats = lb.count_seats(workspace, users=users, groups=groups, month=MONTH, history=history)
        for (product, kind), seat in seats.items():
            value = seat.month_end if counting is lb.Counting.MONTH_END else seat.seat_days
            if value:
                counts[workspace.id, product.value, kind.value] = value
    return counts


def pandas_counts(records: list[Record], counting: lb.Counting) -> dict[tuple[str, str, str], int]:
    import pandas as pd

    # Every user version as a row, valid from a day to a day (the month's start and end, or the
    # days around a revision), in plain columns.
    rows = []
    for workspace, users, _groups, history in records:
        versions: dict[str, list[tuple[int, lb.User]]] = {u.id: [(1, u)] for u in users}
        for revision in sorted(history, key=lambda r: r.on):
            assert isinstance(revision.value, lb.User)
            versions.setdefault(revision.value.id, [(1, None)]).append(  # type: ignore[list-item]
                (revision.on.day, revision.value)
            )
        edition = workspace.edition.value if workspace.edition else ""
        for user_id, chain in versions.items():
            for i, (start, user) in enumerate(chain):
                end = chain[i + 1][0] - 1 if i + 1 < len(chain) else MONTH.days
                if user is None or end < start:
                    continue
                rows.append(
                    (workspace.id, edition, user_id, start, end, user.status is S.ACTIVE,
                     "guest" if user.guest else "regular",
                     [m.value for m in user.modules], list(user.groups))
                )  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=["ws", "edition", "user", "start", "end", "active", "kind", "modules", "groups"],
    )
    group_rows = [
        (workspace.id, g.id, m.value) for workspace, _u, groups, _h in records for g in groups
        for m in g.modules
    ]  # fmt: skip
    group_modules = pd.DataFrame(group_rows, columns=["ws", "group", "module"])
    frame = frame[frame["active"]]
    if counting is lb.Counting.MONTH_END:
        frame = frame[frame["end"] == MONTH.days]
    frame = frame.assign(segment=range(len(frame)), days=frame["end"] - frame["start"] + 1)
    own = frame.explode("modules").dropna(subset=["modules"]).rename(columns={"modules": "module"})
    via = (
        frame.explode("groups")
        .dropna(subset=["groups"])
        .merge(group_modules, left_on=["ws", "groups"], right_on=["ws", "group"])
    )
    keep = ["ws", "segment", "kind", "days", "module"]
    held = pd.concat([own[keep], via[keep]]).drop_duplicates(["segment", "module"])
    editions = frame[frame["edition"] != ""].assign(module=frame["edition"])[keep]
    held = pd.concat([held, editions])
    measure = "days" if counting is lb.Counting.DAILY_PRORATED else "segment"
    agg = "sum" if counting is lb.Counting.DAILY_PRORATED else "count"
    table = held.groupby(["ws", "module", "kind"])[measure].agg(agg)
    return {key: int(value) for key, value in table.items() if value}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--users-per-workspace", type=int, default=100)
    args = parser.parse_args()
    began = time.perf_counter()
    records = build(args.workspaces, args.users_per_workspace)
    users = sum(len(r[1]) for r in records)
    revisions = sum(len(r[3]) for r in records)
    print(
        f"{len(records):,} workspaces, {users:,} users, {revisions:,} revisions in {MONTH} "
        f"(built in {time.perf_counter() - began:.1f} s)"
    )
    for counting in (lb.Counting.MONTH_END, lb.Counting.DAILY_PRORATED):
        began = time.perf_counter()
        ours = licbill_counts(records, counting)
        ours_s = time.perf_counter() - began
        began = time.perf_counter()
        theirs = pandas_counts(records, counting)
        theirs_s = time.perf_counter() - began
        agree = (
            "agree"
            if ours == theirs
            else f"DISAGREE on {len(set(ours.items()) ^ set(theirs.items()))} keys"
        )
        print(
            f"{counting.name:<15} licbill {ours_s:6.2f} s = {users / ours_s:>10,.0f} users/s | "
            f"pandas {theirs_s:6.2f} s = {users / theirs_s:>10,.0f} users/s | counts {agree}"
        )
    tracemalloc.start()
    licbill_counts(records, lb.Counting.DAILY_PRORATED)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"peak traced memory of a licbill counting pass (records excluded): {peak / 2**20:.1f} MiB"
    )
    seats = sum(licbill_counts(records, lb.Counting.MONTH_END).values())
    print(f"seats at month end: {seats:,}")


if __name__ == "__main__":
    main()
