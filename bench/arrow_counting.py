"""Benchmark: month-end seat counting over Arrow columns, beside monthly_invoice in the same run.

    python -m pip install -e '.[bench,arrow]'
    python bench/arrow_counting.py [--workspaces 10000] [--users-per-workspace 100]

Builds the hosting instance of ``bench/billing_run.py`` (same seed), takes each workspace's
state on the month's last day, and times ``licbill.arrow.count_month_end`` over Arrow tables of
it against ``licbill.monthly_invoice`` (MONTH_END, its one-pass month-end count) over the
licbill objects, checking that the counts agree. Building the tables is timed apart: it is
the cost of leaving objects for columns. Each timed count is printed in turn: the first ones
in a process also pay for Arrow's memory pool and compute kernels.
"""

from __future__ import annotations

import argparse
import time

import licbill as lb
from billing_run import MONTH, Record, build, invoice_counts
from licbill import arrow


def month_end_entries(
    records: list[Record],
) -> list[tuple[lb.Workspace, tuple[lb.User, ...], tuple[lb.Group, ...]]]:
    """Each workspace with its users and groups on the month's last day."""
    entries = []
    for workspace, users, groups, history in records:
        state = lb.month_end_state(users=users, groups=groups, history=history, month=MONTH)
        entries.append((workspace, state.users, state.groups))
    return entries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--users-per-workspace", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    records = build(args.workspaces, args.users_per_workspace)
    began = time.perf_counter()
    workspaces, users, groups = arrow.directory_tables(month_end_entries(records))
    built_s = time.perf_counter() - began
    rows = users.num_rows
    print(
        f"{len(records):,} workspaces, {rows:,} users at month end of {MONTH}; "
        f"Arrow tables built in {built_s:.2f} s"
    )
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        table = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
        times.append(time.perf_counter() - began)
    # The first counts in a process also pay for Arrow's memory pool and kernels: shown apart.
    print("count_month_end, each count in turn: " + ", ".join(f"{t:.3f}" for t in times) + " s")
    best = min(times)
    began = time.perf_counter()
    baseline = invoice_counts(records, lb.Counting.MONTH_END)
    baseline_s = time.perf_counter() - began
    ours = {
        (row["workspace_id"], row["product"], row["user_kind"]): row["seats"]
        for row in table.to_pylist()
    }
    agree = "agree" if ours == baseline else f"DISAGREE on {len(set(ours) ^ set(baseline))} keys"
    print(
        f"count_month_end (best of {args.repeat}) {best:6.3f} s = {rows / best:>12,.0f} users/s | "
        f"monthly_invoice MONTH_END {baseline_s:6.2f} s = {rows / baseline_s:>10,.0f} users/s | "
        f"counts {agree}"
    )


if __name__ == "__main__":
    main()
