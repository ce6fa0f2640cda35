"""The decimal contexts a careless caller might install, drawn for the properties that licbill
computes alike under any of them (tests/test_context.py, tests/test_audit_review.py)."""

from __future__ import annotations

import decimal

from hypothesis import strategies as st

#: Every decimal signal, in a stable order.
SIGNALS = sorted(decimal.Context().flags, key=lambda signal: signal.__name__)

#: Any precision, rounding, exponent range, clamping and set of traps.
CALLER_CONTEXTS = st.builds(
    decimal.Context,
    prec=st.integers(1, 40),
    rounding=st.sampled_from(
        [
            decimal.ROUND_UP,
            decimal.ROUND_DOWN,
            decimal.ROUND_CEILING,
            decimal.ROUND_FLOOR,
            decimal.ROUND_HALF_UP,
            decimal.ROUND_HALF_DOWN,
            decimal.ROUND_HALF_EVEN,
            decimal.ROUND_05UP,
        ]
    ),
    Emax=st.integers(0, 30),
    Emin=st.integers(-30, 0),
    clamp=st.integers(0, 1),
    traps=st.lists(st.sampled_from(SIGNALS), unique=True),
)
