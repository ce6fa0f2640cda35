"""Hostile input: random wrong values meet a licbill error that names them, nothing else."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.io import display, tables
from licbill.io.scenarios import load_charges

D = dt.date(2024, 1, 10)
SKU = lb.Sku.monthly(id="s", name="S", unit_price=lb.Money("1", "USD"))
WS = lb.Workspace(id="w", created_on=dt.date(2024, 2, 1))
NC = lb.rulebooks.NEW_COMMERCE
LINE = lb.charge_lines([lb.Purchase(subscription_id="S1", on=D, sku=SKU)], through=D, rulebook=NC)[
    0
]

# Values of every shape a caller might pass by mistake.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
)

# Each call site with one slot for the hostile value; the rest of the call is valid.
CALLS: dict[str, Callable[[Any], object]] = {
    "Money.amount": lambda v: lb.Money(v, "USD"),
    "Money.currency": lambda v: lb.Money("1", v),
    "Sku.id": lambda v: lb.Sku.monthly(id=v, name="S", unit_price=lb.Money("1", "USD")),
    "Sku.unit_price": lambda v: lb.Sku.monthly(id="s", name="S", unit_price=v),
    "Sku.max_quantity": lambda v: lb.Sku.monthly(
        id="s", name="S", unit_price=lb.Money("1", "USD"), max_quantity=v
    ),
    "Purchase.on": lambda v: lb.Purchase(subscription_id="S1", on=v, sku=SKU),
    "Purchase.quantity": lambda v: lb.Purchase(subscription_id="S1", on=D, sku=SKU, quantity=v),
    "Purchase.sku": lambda v: lb.Purchase(subscription_id="S1", on=D, sku=v),
    "ChangeQuantity.quantity": lambda v: lb.ChangeQuantity(subscription_id="S1", on=D, quantity=v),
    "Cancel.subscription_id": lambda v: lb.Cancel(subscription_id=v, on=D),
    "SetAutoRenew.enabled": lambda v: lb.SetAutoRenew(subscription_id="S1", on=D, enabled=v),
    "charge_lines.events": lambda v: lb.charge_lines(v, through=D, rulebook=NC),
    "charge_lines.event": lambda v: lb.charge_lines(
        [lb.Purchase(subscription_id="S1", on=D, sku=SKU), v], through=D, rulebook=NC
    ),
    "charge_lines.through": lambda v: lb.charge_lines([], through=v, rulebook=NC),
    "prorate.quantity": lambda v: lb.prorate(
        unit_price=lb.Money("1", "USD"), quantity=v, billing_days=1, cycle_days=30,
        rounding=lb.Rounding.PER_LINE_DOWN,
    ),
    "Period.end": lambda v: lb.Period(D, v),
    "Month.month": lambda v: lb.Month(2024, v),
    "User.modules": lambda v: lb.User(id="u", username="u", modules=v),
    "User.status": lambda v: lb.User(id="u", username="u", status=v),
    "Group.modules": lambda v: lb.Group(id="g", modules=v),
    "Workspace.created_on": lambda v: lb.Workspace(id="w", created_on=v),
    "PriceList.prices": lambda v: lb.PriceList(v),
    "monthly_invoice.users": lambda v: lb.monthly_invoice(
        WS, users=v, month=lb.Month(2024, 5),
        prices=lb.PriceList({(lb.Module.ENGAGE, lb.UserKind.REGULAR): lb.Money(1, "EUR")}),
    ),
    "ProvisioningKey": lambda v: lb.ProvisioningKey(v),
    "add_months.day": lambda v: lb.add_months(v, 1),
    "add_months.months": lambda v: lb.add_months(D, v),
    "period_end.months": lambda v: lb.period_end(D, v),
    "inclusive_days.first": lambda v: lb.inclusive_days(v, D),
    "cycle.index": lambda v: lb.cycle(anchor=D, index=v, months=1),
    "Period.days_from": lambda v: lb.Period(D, D).days_from(v),
    "prorate.unit_price": lambda v: lb.prorate(
        unit_price=v, quantity=1, billing_days=1, cycle_days=30, rounding=lb.Rounding.PER_LINE_DOWN,
    ),
    "prorate.billing_days": lambda v: lb.prorate(
        unit_price=lb.Money("1", "USD"), quantity=1, billing_days=v, cycle_days=30,
        rounding=lb.Rounding.PER_LINE_DOWN,
    ),
    "effective_unit_price.unit_price": lambda v: lb.effective_unit_price(
        unit_price=v, billing_days=1, cycle_days=30
    ),
    "Rounding.bound": lambda v: lb.Rounding.PER_UNIT_DOWN.bound(v),
    "Sku.allows": lambda v: SKU.allows(v),
    "effective_modules.user": lambda v: lb.effective_modules(v, {}),
    "format_date.day": lambda v: lb.format_date(v, locale="nl_NL"),
    "format_money.locale": lambda v: lb.format_money(lb.Money("1", "EUR"), locale=v),
    "recon.neutralise": lambda v: lb.recon.neutralise(v),
    "reports.write_users_csv.groups": lambda v: lb.reports.write_users_csv(
        [], io.StringIO(), groups=v
    ),
    "reports.WorkspaceUsers.users": lambda v: lb.reports.WorkspaceUsers(workspace=WS, users=v),
    "reports.write_partner_report.prices": lambda v: lb.reports.write_partner_report(
        [], io.StringIO(), month=lb.Month(2024, 5), prices=v
    ),
    "directory.replay.events": lambda v: lb.directory.replay(
        lb.directory.Directory(workspace=WS, provisioning=lb.directory.Provisioning.SCIM), v
    ),
    "scenarios.load_charges.path": lambda v: load_charges(v),
    "recon.write_csv.customers": lambda v: lb.recon.write_csv([LINE], io.StringIO(), customers=v),
    "recon.write_csv.line.quantity": lambda v: lb.recon.write_csv(
        [LINE._replace(quantity=v)], io.StringIO()
    ),
    "recon.write_csv.line.total": lambda v: lb.recon.write_csv(
        [LINE._replace(total=v)], io.StringIO()
    ),
    "recon.write_csv.line.order_date": lambda v: lb.recon.write_csv(
        [LINE._replace(order_date=v)], io.StringIO()
    ),
    "recon.write_csv.line.sku_name": lambda v: lb.recon.write_csv(
        [LINE._replace(sku_name=v)], io.StringIO()
    ),
    "tables.line_cells.quantity": lambda v: tables.line_cells(LINE._replace(quantity=v)),
    "display.line_record.unit_price": lambda v: display.line_record(
        LINE._replace(unit_price=v)
    ),
    "tables.render.cell": lambda v: tables.render(("a",), [(v,)]),
}  # fmt: skip


def _int(value: object) -> bool:
    return type(value) is int


def _text(value: object) -> bool:
    return type(value) is str


def _empty(value: object) -> bool:
    return isinstance(value, list | dict | bytes | str) and len(value) == 0


# What each site may accept among the junk (a type-level bound, not a re-implementation):
# any other value must be refused with a licbill error. Sites not listed accept nothing.
ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "Money.amount": lambda v: type(v) in (int, str, Decimal),
    "Sku.id": _text,
    "Sku.max_quantity": lambda v: v is None or _int(v),
    "Purchase.quantity": _int,
    "ChangeQuantity.quantity": _int,
    "Cancel.subscription_id": _text,
    "SetAutoRenew.enabled": lambda v: type(v) is bool,
    "charge_lines.events": _empty,
    "prorate.quantity": _int,
    "Month.month": _int,
    "User.modules": _empty,
    "Group.modules": _empty,
    "PriceList.prices": _empty,
    "monthly_invoice.users": _empty,
    "ProvisioningKey": _text,
    "add_months.months": _int,
    "period_end.months": _int,
    "cycle.index": _int,
    "prorate.billing_days": _int,
    "Rounding.bound": _int,
    "Sku.allows": _int,
    "format_money.locale": _text,  # a locale name babel knows ("QU", Quechua) is accepted
    # A code babel knows as ISO 4217 ("BAD", the Bosnian dinar of 1992-1994) is a currency.
    "Money.currency": lambda v: type(v) is str and v in list_currencies(),
    "recon.neutralise": _text,
    "reports.write_users_csv.groups": _empty,
    "reports.WorkspaceUsers.users": _empty,
    "reports.write_partner_report.prices": lambda v: type(v) is dict,
    "directory.replay.events": _empty,
    "recon.write_csv.customers": lambda v: v is None or _empty(v),
    "recon.write_csv.line.quantity": _int,
    "recon.write_csv.line.sku_name": _text,
    "tables.line_cells.quantity": _int,
    "tables.render.cell": _text,
}


@pytest.mark.parametrize("site", sorted(CALLS))
@given(value=JUNK)
def test_only_licbill_errors_escape(site: str, value: object) -> None:
    """Random wrong values give a licbill error (also the matching builtin), never another;
    a value that is not refused must be of a type the site accepts."""
    caught: Exception | None = None
    try:
        CALLS[site](value)
    except lb.LicbillError as error:
        caught = error
    if caught is None:
        assert ACCEPTS.get(site, lambda v: False)(value), f"{site} accepted {value!r}"
    else:
        assert isinstance(caught, TypeError | ValueError | LookupError)
        assert str(caught)


def test_the_hostile_test_fails_when_nothing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above cannot pass vacuously: a site that silently takes a float fails it."""
    monkeypatch.setitem(CALLS, "Purchase.on", lambda v: None)
    inner = test_only_licbill_errors_escape.hypothesis.inner_test  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match=r"Purchase\.on accepted 1\.5"):
        inner(site="Purchase.on", value=1.5)


@pytest.mark.parametrize(
    ("site", "value", "error"),
    [
        ("Money.amount", 1.5, lb.InvalidTypeError),
        ("Money.amount", "12,50", lb.InvalidValueError),
        ("Money.currency", "EUROS", lb.UnknownCurrencyError),
        ("Purchase.quantity", -3, lb.InvalidValueError),
        ("Purchase.quantity", 2.0, lb.InvalidTypeError),
        ("Purchase.on", "2024-01-10", lb.InvalidTypeError),
        ("ChangeQuantity.quantity", 0, lb.InvalidValueError),
        ("Month.month", 13, lb.InvalidValueError),
        ("User.status", "active", lb.InvalidTypeError),
        ("charge_lines.event", "cancel S1", lb.InvalidTypeError),
        ("Sku.unit_price", Decimal("20"), lb.InvalidTypeError),
        ("PriceList.prices", {"Engage": 4}, lb.InvalidTypeError),
        ("recon.write_csv.customers", {"S1": "Contoso"}, lb.InvalidTypeError),
        ("recon.write_csv.line.quantity", "=cmd|' /C calc'!A0", lb.InvalidTypeError),
        ("display.line_record.unit_price", lb.Money("1", "EUR"), lb.InvalidTypeError),
        ("tables.render.cell", 3, lb.InvalidTypeError),
    ],
)
def test_errors_name_the_offending_value(site: str, value: object, error: type[Exception]) -> None:
    """The refusal has the expected class and quotes the value refused (for a mapping, a key)."""
    with pytest.raises(error) as caught:
        CALLS[site](value)
    named = next(iter(value)) if isinstance(value, dict) else value
    assert repr(named) in str(caught.value)
