"""``licbill`` / ``python -m licbill``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .demo import run_demo

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(prog="licbill", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="print the seed scenarios and a seat-change month as tables")
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
