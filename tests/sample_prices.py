"""The sample workspace price list the tests share (the one docs/workspace.md shows)."""

from __future__ import annotations

import licbill as lb

M, K = lb.Module, lb.UserKind

PRICES = lb.PriceList(
    {
        (M.HYBRID, K.REGULAR): lb.Money("6.00", "EUR"),
        (M.ENGAGE, K.REGULAR): lb.Money("4.00", "EUR"),
        (M.ENGAGE, K.GUEST): lb.Money("1.00", "EUR"),
        (M.UNIFY, K.REGULAR): lb.Money("8.00", "EUR"),
        (lb.LegacyEdition.ADAPT, K.REGULAR): lb.Money("5.00", "EUR"),
        (lb.LegacyEdition.ADAPT, K.GUEST): lb.Money("2.00", "EUR"),
    }
)
