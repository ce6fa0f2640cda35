"""Benchmark: replaying directory events stays linear in their number.

    python bench/directory_replay.py [--events 4000]

Replays n, 2n and 4n dated ``SyncUser`` events (each a new user, then a status change for a
tenth of them) into a SCIM-provisioned workspace with ``licbill.directory.replay_history`` and
prints events/s for each size, beside the time ratio of each doubling: about 2 for a linear
replay, about 4 for a quadratic one. The ratio is the figure to read; the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import licbill as lb
from licbill import directory as d

WORKSPACE = lb.Workspace(id="w", created_on=dt.date(2024, 1, 1))
START = dt.date(2024, 1, 1)


def events(n: int) -> list[d.DirectoryEvent]:
    """*n* new users synced over 28 days, then every tenth user reported inactive."""
    out: list[d.DirectoryEvent] = [
        d.SyncUser(user_id=f"u{i}", username=f"u{i}", on=START + dt.timedelta(days=i * 28 // n))
        for i in range(n)
    ]
    out += [
        d.SyncUser(user_id=f"u{i}", username=f"u{i}", active=False, on=dt.date(2024, 1, 30))
        for i in range(0, n, 10)
    ]
    return out


def seconds(n: int) -> float:
    """The best of three replays of ``events(n)``."""
    history = events(n)
    best = float("inf")
    for _ in range(3):
        directory = d.Directory(workspace=WORKSPACE, provisioning=d.Provisioning.SCIM)
        began = time.perf_counter()
        d.replay_history(directory, history)
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    n = parser.parse_args().events
    previous = None
    for size in (n // 4, n // 2, n):
        took = seconds(size)
        total = len(events(size))
        ratio = "" if previous is None else f", {took / previous:.2f}x the half size"
        print(f"{total:>7,} events: {took:.3f} s = {total / took:>10,.0f} events/s{ratio}")
        previous = took


if __name__ == "__main__":
    main()
