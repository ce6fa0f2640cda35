"""Benchmark: the charge engine's work counted in instructions, which a shared machine's other
jobs cannot disturb.

    python bench/instructions.py [--subscriptions 2000] [--old <src folder of another tree>]

Needs valgrind on the PATH (Debian: ``apt install valgrind``). For each workload of
``bench/lifecycle.py`` (``mixed`` and ``steady``, a year), a child process builds the events,
bills them once with ``iter_charge_lines`` to warm up (imports, the interpreter's specialised
instructions) and, in a second child, once more; valgrind's cachegrind counts the instructions
each child executes, and the difference is the work of one warm run. Printed: millions of
instructions, and thousands per line. With ``--old`` the same runs use that tree's ``licbill``
(``git archive <rev> src | tar -x -C /tmp/old``, then ``--old /tmp/old/src``) and the ratio
of this tree to it is printed: below 1.0 this tree does less work.

Instructions are not time: a cache miss costs many of them, and a run of 20,000 subscriptions
is slower per line than one of 2,000 for that reason. Read the count beside
``bench/lifecycle.py``'s timings; it settles the small differences that the timings cannot
tell from noise. ``PYTHONHASHSEED=0`` makes every run execute the same instructions.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
NEW = HERE.parents[1] / "src"
WORKLOADS = ("mixed", "steady")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def child(workload: str, subscriptions: int, again: bool) -> None:
    """Bill the workload once (warm-up) and, when *again*, once more."""
    sys.path.insert(0, str(HERE.parent))
    import lifecycle

    stream = list(lifecycle.WORKLOADS[workload](subscriptions, 12))
    lifecycle.lazy_run(stream, 12)
    if again:
        lines = lifecycle.lazy_run(stream, 12)
        print(f"lines {lines}")


def counted(src: Path, workload: str, subscriptions: int, again: bool) -> tuple[int, int]:
    """Instructions a child executes under cachegrind, and the lines it reports."""
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(src))
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(HERE),
        "--child",
        workload,
        "--subscriptions",
        str(subscriptions),
    ]
    if again:
        command.append("--again")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    refs = _REFS.search(done.stderr)
    if refs is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    lines = re.search(r"lines (\d+)", done.stdout)
    return int(refs.group(1).replace(",", "")), int(lines.group(1)) if lines else 0


def run_of(src: Path, workload: str, subscriptions: int) -> tuple[int, int]:
    """Instructions of one warm run of *workload* with the licbill of *src*, and its lines."""
    warm, _ = counted(src, workload, subscriptions, again=False)
    both, lines = counted(src, workload, subscriptions, again=True)
    return both - warm, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--old", type=Path, help="src folder of another licbill tree")
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--again", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.subscriptions, args.again)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind on the PATH (apt install valgrind)")
    print(f"{args.subscriptions:,} subscriptions, 12 months, one warm run of iter_charge_lines")
    for workload in WORKLOADS:
        ours, lines = run_of(NEW, workload, args.subscriptions)
        text = f"  {workload:<7} {lines:>7,} lines  {ours / 1e6:>8.1f} M instructions"
        text += f" = {ours / lines / 1e3:5.1f} k per line"
        if args.old is not None:
            theirs, their_lines = run_of(args.old, workload, args.subscriptions)
            if their_lines != lines:
                raise SystemExit(f"{workload}: {lines} lines here, {their_lines} in --old")
            text += f" | --old {theirs / 1e6:8.1f} M; this tree / old = {ours / theirs:.3f}"
        print(text)


if __name__ == "__main__":
    main()
