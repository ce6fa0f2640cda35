"""The sample prices the tests share: the workspace price list docs/workspace.md shows, and
the Dynamics 365 Commerce SKUs of the Partner Center page "How do I reconcile transactions
after changing billing plans?" (a three-year term billed monthly at 20 EUR or annually at
250 EUR)."""

from __future__ import annotations

import attrs

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

COMMERCE_MONTHLY = lb.Sku(
    id="d365c-m",
    name="Dynamics 365 Commerce",
    unit_price=lb.Money("20", "EUR"),
    term=lb.Term.P3Y,
    billing=lb.Billing.MONTHLY,
)
COMMERCE_ANNUAL = attrs.evolve(
    COMMERCE_MONTHLY,
    id="d365c-a",
    unit_price=lb.Money("250", "EUR"),
    billing=lb.Billing.ANNUAL,
)
