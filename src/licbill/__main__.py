"""``python -m licbill``: the command line (licbill.io.cli)."""

from __future__ import annotations

import sys

from .io.cli import main

if __name__ == "__main__":
    sys.exit(main())
