"""Check: two source trees of licbill bill the same generated histories identically.

    git archive <rev> src | tar -x -C /tmp/old
    python bench/differential.py --old /tmp/old/src [--histories 3000] [--limit 1]

For speed work: a trick must change no line. Draws ``--histories`` event histories from
``licbill.strategies.event_histories`` (derandomised, so every run draws the same), then bills
each under new commerce, marketplace 2019 and a per-line half-even variant, once whole and once
resumed in two pieces through ``continue_charge_lines``, in the tree this script imports
(``src`` of this checkout) and in ``--old``, each in a process of its own. It compares the
``repr`` of every line, every ``line.explain()``, the states handed on and any error, and
prints the first difference or how much agreed. ``--limit N`` empties every memo table of the
new tree at N answers, so its fast paths run with their tables all but empty. Both trees must
read the pickled events (the same event classes and fields).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

HERE = Path(__file__).resolve()
NEW = HERE.parents[1] / "src"


def draw(count: int) -> list[tuple[tuple[lb.Event, ...], int, int]]:
    """*count* histories, each with days past its last event to bill and a day to split at."""
    drawn: list[tuple[tuple[lb.Event, ...], int, int]] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        event_histories(subscriptions=st.integers(1, 4), max_events=8),
        st.integers(0, 500),
        st.integers(0, 400),
    )
    def collect(events: tuple[lb.Event, ...], extra: int, cut: int) -> None:
        drawn.append((events, extra, cut))

    collect()
    return drawn


def bill(histories: list[tuple[tuple[lb.Event, ...], int, int]]) -> list[Any]:
    """What the imported tree makes of each history, as text."""
    from licbill import charges

    books = [
        lb.rulebooks.NEW_COMMERCE,
        lb.rulebooks.MARKETPLACE_2019,
        attrs.evolve(
            lb.rulebooks.NEW_COMMERCE,
            rounding=lb.Rounding.PER_LINE_HALF_EVEN,
            signed_credit_prices=False,
        ),
    ]
    results: list[Any] = []
    for events, extra, cut in histories:
        first, last = min(e.on for e in events), max(e.on for e in events)
        through = min(last + dt.timedelta(days=extra), dt.date.max)
        since = min(first + dt.timedelta(days=cut), through)
        for book in books:
            try:
                lines = lb.charge_lines(events, through=through, rulebook=book)
                whole: Any = [repr(line) for line in lines]
                whole += [repr(line.explain()) for line in lines if line.basis is not None]
            except lb.LicbillError as error:
                whole = ("error", type(error).__name__, str(error))
            try:
                before = [e for e in events if e.on <= since]
                after = [e for e in events if since < e.on <= through]
                head, state = charges.continue_charge_lines(
                    before, state=charges.RunState(), since=None, through=since, rulebook=book
                )
                tail, state = charges.continue_charge_lines(
                    after, state=state, since=since, through=through, rulebook=book
                )
                pieces: Any = ([repr(line) for line in head + tail], repr(state))
            except lb.LicbillError as error:
                pieces = ("error", type(error).__name__, str(error))
            results.append((whole, pieces))
    return results


def run_tree(tree: str, inputs: Path, output: Path, limit: int | None) -> None:
    env = {**os.environ, "PYTHONPATH": tree, "PYTHONHASHSEED": "0"}
    command = [sys.executable, str(HERE), "--bill", str(inputs), str(output)]
    if limit is not None:
        command += ["--limit", str(limit)]
    subprocess.run(command, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", help="the src folder of the tree to compare with")
    parser.add_argument("--histories", type=int, default=3000)
    parser.add_argument("--limit", type=int, help="empty the new tree's memo tables at N")
    parser.add_argument("--bill", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bill:  # a child process: bill the pickled histories with the tree it imports
        if args.limit is not None:
            from licbill import _memo

            _memo.Memo.__init__.__kwdefaults__["limit"] = args.limit  # type: ignore[index]
        inputs, output = (Path(name) for name in args.bill)
        histories = pickle.loads(inputs.read_bytes())
        output.write_bytes(pickle.dumps(bill(histories)))
        return
    if not args.old:
        parser.error("--old is required")
    histories = draw(args.histories)
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "histories.pickle"
        inputs.write_bytes(pickle.dumps(histories))
        run_tree(args.old, inputs, Path(folder) / "old.pickle", None)
        run_tree(str(NEW), inputs, Path(folder) / "new.pickle", args.limit)
        old = pickle.loads((Path(folder) / "old.pickle").read_bytes())
        new = pickle.loads((Path(folder) / "new.pickle").read_bytes())
    billed = [whole for whole, _ in new if isinstance(whole, list)]
    lines = sum(item.startswith("ChargeLine(") for whole in billed for item in whole)
    for n, (was, now) in enumerate(zip(old, new, strict=True)):
        if was != now:
            events, _extra, _cut = histories[n // 3]
            print(f"history {n // 3} (rulebook {n % 3}) differs; its events:")
            for event in events:
                print(f"  {event!r}")
            print(f"old: {was!r}\nnew: {now!r}")
            sys.exit(1)
    print(
        f"{len(histories):,} histories x 3 rulebooks, whole and in two pieces: {lines:,} lines, "
        "their explanations, the states and the errors identical"
    )


if __name__ == "__main__":
    main()
