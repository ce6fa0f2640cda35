"""Customers on lines and customer statements (docs/customers.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

D = dt.date
RULES = lb.rulebooks.NEW_COMMERCE
THROUGH = D(2027, 12, 31)
SKU = lb.Sku.monthly(id="e3", name="E3", unit_price=lb.Money("30.00", "EUR"))
E5 = lb.Sku.monthly(id="e5", name="E5", unit_price=lb.Money("60.00", "EUR"))


def _with_customers(events: tuple[lb.Event, ...], owners: list[str | None]) -> list[lb.Event]:
    """The events, each purchase given a customer from *owners* in turn."""
    out: list[lb.Event] = []
    for event in events:
        if isinstance(event, lb.Purchase):
            event = attrs.evolve(event, customer_id=owners[len(out) % len(owners)])
        out.append(event)
    return out


@given(
    events=event_histories(subscriptions=st.integers(1, 4)),
    owners=st.lists(st.sampled_from(["C-1", "C-2", None]), min_size=1, max_size=3),
)
def test_statements_hold_every_line_once_and_add_up(
    events: tuple[lb.Event, ...], owners: list[str | None]
) -> None:
    """Every line lands in exactly one statement, of its customer, month and currency; each
    statement's total is charges plus credits and the sum of its lines, credits kept."""
    lines = lb.charge_lines(_with_customers(events, owners), through=THROUGH, rulebook=RULES)
    statements = lb.customer_statements(lines)
    assert Counter(x for s in statements for x in s.lines) == Counter(lines)
    for s in statements:
        assert {(x.customer_id, lb.Month.of(x.order_date), x.currency) for x in s.lines} == {
            (s.customer_id, s.month, s.currency)
        }
        assert s.charges + s.credits == s.total == lb.total([x.total for x in s.lines])
        assert s.credits == lb.total(
            [x.total for x in s.lines if x.total.amount < 0], currency=s.currency
        )


@given(events=event_histories(), owners=st.sampled_from([["C-1"], ["C-1", "C-2"]]))
def test_every_line_carries_its_purchases_customer(
    events: tuple[lb.Event, ...], owners: list[str | None]
) -> None:
    """Each line's customer is that of its subscription's purchase (or of the source of a
    partial upgrade that created the subscription)."""
    given_events = _with_customers(events, owners)
    owner = {e.subscription_id: e.customer_id for e in given_events if isinstance(e, lb.Purchase)}
    for e in given_events:
        if isinstance(e, lb.ConvertSku) and e.target_subscription_id not in (None, *owner):
            owner[e.target_subscription_id] = owner[e.subscription_id]
    lines = lb.charge_lines(given_events, through=THROUGH, rulebook=RULES)
    assert all(line.customer_id == owner[line.subscription_id] for line in lines)


def test_a_partial_upgrade_gives_the_new_subscription_the_sources_customer() -> None:
    """Seats moved to a new subscription bill that subscription to the source's customer."""
    events = [
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 5), sku=SKU, quantity=5, customer_id="C-1"),
        lb.ConvertSku(
            subscription_id="S1", on=D(2024, 1, 10), to=E5, quantity=2, target_subscription_id="S2"
        ),
    ]
    lines = lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    assert {line.customer_id for line in lines if line.subscription_id == "S2"} == {"C-1"}


def test_statements_are_ordered_by_customer_then_month_with_no_customer_last() -> None:
    """Statements come by customer id (lines without one last), then month."""
    events = [
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 5), sku=SKU, customer_id="C-2"),
        lb.Purchase(subscription_id="S2", on=D(2024, 1, 6), sku=SKU),
        lb.Purchase(subscription_id="S3", on=D(2024, 1, 7), sku=SKU, customer_id="C-1"),
    ]
    lines = lb.charge_lines(events, through=D(2024, 2, 29), rulebook=RULES)
    keys = [(s.customer_id, str(s.month)) for s in lb.customer_statements(lines)]
    assert keys == [
        ("C-1", "2024-01"), ("C-1", "2024-02"), ("C-2", "2024-01"), ("C-2", "2024-02"),
        (None, "2024-01"), (None, "2024-02"),
    ]  # fmt: skip


def _reduced() -> lb.CustomerStatement:
    """Customer C's January statement: 3 seats bought on the 1st, reduced to 2 on the 3rd."""
    events = [
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=SKU, quantity=3, customer_id="C"),
        lb.ChangeQuantity(subscription_id="S1", on=D(2024, 1, 3), quantity=2),
    ]
    (statement,) = lb.customer_statements(
        lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    )
    return statement


def test_a_credit_stays_a_line_of_its_own() -> None:
    """A seat reduction's credit is a visible line; the statement's credits are its amount."""
    statement = _reduced()
    negative = [line.total for line in statement.lines if line.total.amount < 0]
    assert negative
    assert statement.credits == lb.total(negative)


def test_statement_table_ends_with_the_totals() -> None:
    """``to_table`` prints the lines, then charges, credits and total."""
    statement = _reduced()
    table = statement.to_table()
    assert table.splitlines()[0] == "Statement C 2024-01 (EUR)"
    assert table.splitlines()[-1] == f"total:    {statement.total.amount}"


def test_statement_html_escapes_and_holds_the_total() -> None:
    """``to_html`` holds a row per line and the total."""
    events = [
        lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=SKU, customer_id="<C>"),
    ]
    (statement,) = lb.customer_statements(
        lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    )
    page = statement.to_html()
    assert "&lt;C&gt;" in page
    assert "<td>total</td>" in page


def test_statement_records_carry_the_month() -> None:
    """``to_records`` gives one record per line, with the statement's month."""
    events = [lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=SKU, customer_id="C")]
    (statement,) = lb.customer_statements(
        lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    )
    assert [(r["customer_id"], r["month"]) for r in statement.to_records()] == [("C", "2024-01")]


def test_a_statement_whose_totals_do_not_add_up_is_refused() -> None:
    """A statement built by hand with a total other than its lines' is refused."""
    events = [lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=SKU, customer_id="C")]
    (statement,) = lb.customer_statements(
        lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    )
    with pytest.raises(lb.InvalidValueError, match="do not add up"):
        attrs.evolve(statement, total=statement.total + lb.Money("0.01", "EUR"))


def test_statements_of_text_are_refused() -> None:
    """Text where lines belong is an InvalidTypeError."""
    with pytest.raises(lb.InvalidTypeError, match="lines must be an iterable"):
        lb.customer_statements("S1")  # type: ignore[arg-type]


def test_statements_of_anything_but_lines_are_refused() -> None:
    """An iterable holding something else than lines is an InvalidTypeError naming the item."""
    with pytest.raises(lb.InvalidTypeError, match=r"line 0 is not a licbill\.ChargeLine"):
        lb.customer_statements([7])  # type: ignore[list-item]


def test_a_statement_shows_as_html_in_a_notebook() -> None:
    """``_repr_html_`` is the statement's HTML."""
    events = [lb.Purchase(subscription_id="S1", on=D(2024, 1, 1), sku=SKU, customer_id="C")]
    (statement,) = lb.customer_statements(
        lb.charge_lines(events, through=D(2024, 1, 31), rulebook=RULES)
    )
    assert statement._repr_html_() == statement.to_html()
