"""licbill computes in its own decimal context, whatever the caller's (issue 10, finding 1)."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings

import licbill as lb
from caller_contexts import CALLER_CONTEXTS
from licbill.io.display import format_money
from licbill.strategies import event_histories, workspace_months

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
SKU = lb.Sku.monthly(id="big", name="Big", unit_price=lb.Money("12345.67", "USD"))
BUY = lb.Purchase(subscription_id="S1", on=D(2024, 1, 10), sku=SKU, quantity=3)
MORE = lb.ChangeQuantity(subscription_id="S1", on=D(2024, 1, 25), quantity=7)
THROUGH = D(2024, 4, 30)
PRICES = lb.PriceList({(lb.Module.HYBRID, lb.UserKind.REGULAR): lb.Money("12345.67", "EUR")})
WS = lb.Workspace(id="w1", created_on=D(2024, 1, 1))
USERS = [lb.User(id=f"u{n}", username=f"u{n}", modules={lb.Module.HYBRID}) for n in range(3)]

#: Caller contexts named in the issue, and the extremes around them.
HOSTILE = {
    "prec=3": {"prec": 3},
    "prec=5, ROUND_UP": {"prec": 5, "rounding": decimal.ROUND_UP},
    "small Emax": {"Emax": 2, "Emin": -2},
    "every trap": {"traps": list(decimal.Context().flags)},
    "prec=1, ROUND_FLOOR, clamp": {"prec": 1, "rounding": decimal.ROUND_FLOOR, "clamp": 1},
}


@contextmanager
def _caller(**settings_: object) -> Iterator[decimal.Context]:
    """Run the block with the caller's current context changed, as a careless host would."""
    with decimal.localcontext() as context:
        for name, value in settings_.items():
            if name == "traps":
                assert isinstance(value, list)
                context.traps = dict.fromkeys(context.traps, False) | dict.fromkeys(value, True)
            else:
                setattr(context, name, value)
        yield context


def _charges() -> tuple[lb.ChargeLine, ...]:
    return tuple(lb.charge_lines([BUY, MORE], through=THROUGH, rulebook=NC))


def _invoice() -> lb.Invoice:
    month = lb.Month(2024, 5)
    return lb.monthly_invoice(WS, users=USERS, month=month, prices=PRICES)


def _prorated_invoice() -> lb.Invoice:
    month = lb.Month(2024, 5)
    history = [lb.Revision(D(2024, 5, 11), attrs.evolve(USERS[0], status=lb.UserStatus.INACTIVE))]
    return lb.monthly_invoice(
        WS,
        users=USERS,
        month=month,
        prices=PRICES,
        history=history,
        counting=lb.Counting.DAILY_PRORATED,
        rounding=lb.Rounding.PER_LINE_HALF_UP,
    )


def _money_ops() -> tuple[object, ...]:
    a, b = lb.Money("12345.67", "USD"), lb.Money("0.005", "USD")
    return (
        a + b,
        a - b,
        -a,
        abs(-a),
        a * 3,
        a * Decimal("1.5"),
        sum([a] * 7, lb.Money.zero("USD")),
        (a + b).rounded(lb.RoundingMode.HALF_UP),
        (a + b).is_rounded,
        a.to_minor(),
        a.allocate([1, 2, 3]),
        lb.Money.from_minor(1234567, "USD"),
        lb.prorate(
            unit_price=a,
            quantity=3,
            billing_days=16,
            cycle_days=31,
            rounding=lb.Rounding.PER_LINE_HALF_EVEN,
        ),
        lb.effective_unit_price(unit_price=a, billing_days=16, cycle_days=31),
    )


def _formatted() -> tuple[str, ...]:
    return (
        format_money(lb.Money("37037.01", "USD"), locale="en_US"),
        format_money(lb.Money("-1234567.125", "BHD"), locale="nl_NL"),
        format_money(lb.Money("37037", "JPY"), locale="ja_JP"),
    )


COMPUTATIONS: dict[str, Callable[[], object]] = {
    "charge_lines": _charges,
    "monthly_invoice": _invoice,
    "daily-prorated invoice": _prorated_invoice,
    "Money arithmetic": _money_ops,
    "format_money": _formatted,
}


def test_the_issue_example_bills_37037_01_under_prec_3() -> None:
    """Three seats at 12345.67 cost 37037.01 although the caller set prec=3."""
    with _caller(prec=3):
        lines = lb.charge_lines([BUY], through=D(2024, 1, 10), rulebook=NC)
    assert [line.total for line in lines] == [lb.Money("37037.01", "USD")]


@pytest.mark.parametrize("computation", COMPUTATIONS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_results_do_not_depend_on_the_callers_context(computation: str, hostile: str) -> None:
    """Each computation gives the same result under a hostile caller context as by default."""
    run = COMPUTATIONS[computation]
    expected = run()
    with _caller(**HOSTILE[hostile]):
        assert run() == expected


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_callers_context_is_left_as_it_was(hostile: str) -> None:
    """After every computation the caller's context has its settings and no new flags."""
    with _caller(**HOSTILE[hostile]) as context:
        before = repr(context)
        for run in COMPUTATIONS.values():
            run()
        assert repr(decimal.getcontext()) == before
        assert decimal.getcontext() is context


def test_a_suspended_iterator_leaves_no_context_behind() -> None:
    """Between ``next()`` calls the caller's context is its own, and changing it changes nothing."""
    expected = _charges()
    got = []
    with _caller(prec=28) as context:
        before = repr(context)
        lines = lb.iter_charge_lines(iter([BUY, MORE]), through=THROUGH, rulebook=NC)
        for step, hostile in enumerate(list(HOSTILE.values()) * 3):
            line = next(lines, None)
            if line is None:
                break
            got.append(line)
            assert repr(decimal.getcontext()) == before, f"after line {step}"
            for name, value in hostile.items():
                if name != "traps":
                    setattr(context, name, value)
            before = repr(context)
        got.extend(lines)
    assert tuple(got) == expected


def test_threads_bill_alike_under_different_contexts() -> None:
    """Threads with different caller contexts, billing at once, all get the default result."""
    expected = _charges()
    results: dict[str, object] = {}

    def work(name: str) -> None:
        with _caller(**HOSTILE[name]):
            results[name] = [_charges() for _ in range(20)]

    threads = [threading.Thread(target=work, args=(name,)) for name in HOSTILE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {name: [expected] * 20 for name in HOSTILE}


def test_decimal_context_is_a_copy_that_traps_inexact_results() -> None:
    """``decimal_context()`` is licbill's context: a fresh copy each call, trapping Inexact."""
    first, second = lb.money.decimal_context(), lb.money.decimal_context()
    assert first is not second
    first.prec = 3
    assert second.prec == 80
    assert second.traps[decimal.Inexact]
    assert second.traps[decimal.Rounded]
    assert lb.Money("12345.67", "USD") * 3 == lb.Money("37037.01", "USD")


@settings(max_examples=30)
@given(events=event_histories(), caller=CALLER_CONTEXTS)
def test_any_caller_context_bills_the_same(
    events: tuple[lb.Event, ...], caller: decimal.Context
) -> None:
    """Property: any drawn caller context (precision, rounding, exponents, traps) bills alike."""
    expected = lb.charge_lines(events, through=D(2027, 12, 31), rulebook=NC)
    with decimal.localcontext(caller):
        assert lb.charge_lines(events, through=D(2027, 12, 31), rulebook=NC) == expected


@settings(max_examples=30)
@given(drawn=workspace_months(), caller=CALLER_CONTEXTS)
def test_any_caller_context_invoices_the_same(drawn: object, caller: decimal.Context) -> None:
    """Property: any drawn caller context gives the same daily-prorated invoice."""
    from licbill.strategies import WorkspaceMonth

    assert isinstance(drawn, WorkspaceMonth)
    prices = lb.PriceList(
        {
            (product, kind): lb.Money("12345.6789", "EUR")
            for product in [*lb.Module, *lb.LegacyEdition]
            for kind in lb.UserKind
        }
    )

    def bill() -> lb.Invoice:
        return lb.monthly_invoice(
            drawn.workspace,
            users=drawn.users,
            groups=drawn.groups,
            month=drawn.month,
            history=drawn.history,
            prices=prices,
            counting=lb.Counting.DAILY_PRORATED,
            rounding=lb.Rounding.PER_UNIT_HALF_UP,
            trial=drawn.trial,
        )

    expected = bill()
    with decimal.localcontext(caller):
        assert bill() == expected
