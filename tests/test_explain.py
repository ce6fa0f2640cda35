"""``line.explain()``: the derivation of every amount licbill makes, as a value and as text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.explain import plain
from licbill.strategies import WorkspaceMonth, event_histories, workspace_months

_SKU = lb.Sku.monthly(id="p", name="P", unit_price=lb.Money("10.08", "EUR"))
_EVENTS = (
    lb.Purchase(subscription_id="S", on=dt.date(2024, 6, 1), sku=_SKU, quantity=5, event_id="R-1"),
    lb.ChangeQuantity(subscription_id="S", on=dt.date(2024, 6, 8), quantity=10, event_id="R-2"),
)


def _lines(rulebook: lb.Rulebook = lb.rulebooks.NEW_COMMERCE) -> lb.ChargeLines:
    return lb.charge_lines(_EVENTS, through=dt.date(2024, 6, 30), rulebook=rulebook)


def test_a_prorated_charge_explains_itself_per_unit() -> None:
    """The seat addition's charge reads as the issue's example, step by step."""
    assert str(_lines()[2].explain()) == (
        "10.08 EUR / 30 days x 23 days = 7.728 -> 7.72 (PER_UNIT_DOWN) x 10 = 77.20 EUR"
    )


def test_an_explanation_is_a_value() -> None:
    """The explanation holds days, prices before and after rounding, policy and total."""
    e = _lines()[2].explain()
    assert (e.cycle_days, e.billing_days, e.quantity, e.rounding) == (
        30,
        23,
        10,
        lb.Rounding.PER_UNIT_DOWN,
    )
    assert e.effective_unit_price == lb.Money("7.728", "EUR")
    assert e.rounded_unit_price == lb.Money("7.72", "EUR")
    assert e.total == e.amount == lb.Money("77.20", "EUR")


def test_a_credit_names_the_charge_it_reverses() -> None:
    """The seat addition's credit gives back the purchase's seats and names its reference."""
    e = _lines()[1].explain()
    assert e.reverses == ("R-1",)
    assert e.total == lb.Money("-38.60", "EUR")
    assert str(e).endswith(": -38.60 EUR (reverses R-1)")


def test_a_per_line_policy_rounds_the_line() -> None:
    """Under a per-line policy the text multiplies first and rounds the line."""
    rulebook = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    e = _lines(rulebook)[2].explain()
    assert e.rounded_unit_price is None
    assert str(e) == (
        "10.08 EUR / 30 days x 23 days = 7.728 x 10 = 77.28 -> 77.28 (PER_LINE_DOWN) = 77.28 EUR"
    )


def test_a_full_refund_names_every_charge_of_the_cycle() -> None:
    """A cancel in the full-refund window reverses each line of the cycle, naming each one."""
    events = (
        _EVENTS[0],
        lb.ChangeQuantity(subscription_id="S", on=dt.date(2024, 6, 1), quantity=10, event_id="R-2"),
        lb.Cancel(subscription_id="S", on=dt.date(2024, 6, 1), event_id="R-3"),
    )
    lines = lb.charge_lines(
        events, through=dt.date(2024, 6, 30), rulebook=lb.rulebooks.NEW_COMMERCE
    )
    charged, refund = lines[:3], lines[3:]
    # Newest first: each reversal line names the one line it reverses, with its opposite total.
    assert [line.reverses for line in refund] == ["R-2", "R-2", "R-1"]
    assert [line.total for line in refund] == [-line.total for line in reversed(charged)]
    explained = [line.explain() for line in refund]
    assert all(e.refund for e in explained)
    assert [e.reverses for e in explained] == [("R-2",), ("R-2",), ("R-1",)]
    assert [str(e) for e in explained] == [
        "full refund of the cycle from 2024-06-01, reversing the charge of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 10 = 100.80 EUR: -100.80 EUR"
        " (reverses R-2)",
        "full refund of the cycle from 2024-06-01, reversing the credit of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 5 = 50.40 EUR: 50.40 EUR (reverses R-2)",
        "full refund of the cycle from 2024-06-01, reversing the charge of 10.08 EUR / 30 days"
        " x 30 days = 10.08 -> 10.08 (PER_UNIT_DOWN) x 5 = 50.40 EUR: -50.40 EUR (reverses R-1)",
    ]


def test_a_line_without_basis_cannot_explain_itself() -> None:
    """A line made by hand carries no basis: explain() says so with a licbill error."""
    line = _lines()[0]._replace(basis=None)
    with pytest.raises(lb.InvalidValueError, match="carries no basis"):
        line.explain()


@settings(max_examples=40)
@given(events=event_histories())
def test_every_engine_amount_is_its_explanation(events: tuple[lb.Event, ...]) -> None:
    """Every line's explanation recomputes its total (a full refund's: the line it reverses)."""
    lines = lb.charge_lines(
        events, through=dt.date(2027, 6, 30), rulebook=lb.rulebooks.NEW_COMMERCE
    )
    for line in lines:
        e = line.explain()
        assert abs(line.total) == e.amount
        if e.refund:
            assert e.reverses == (line.reverses,)
        starts = ("full refund", "credit of", "free trial: ", f"{plain(line.unit_price.amount)} ")
        assert str(e).startswith(starts)


@settings(max_examples=60)
@given(
    events=event_histories(),
    rulebook=st.sampled_from([lb.rulebooks.MARKETPLACE_2019, lb.rulebooks.NEW_COMMERCE]),
    rounding=st.sampled_from(lb.Rounding),
)
def test_every_engine_basis_passes_the_checks_of_its_constructor(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, rounding: lb.Rounding
) -> None:
    """The engine builds a prorated line's basis through its slots, unchecked: built again by
    Basis's own constructor, which checks every field, each basis is accepted and equal."""
    book = attrs.evolve(rulebook, rounding=rounding)
    lines = lb.charge_lines(events, through=dt.date(2027, 6, 30), rulebook=book)
    for line in lines:
        if line.basis is not None:
            assert attrs.evolve(line.basis) == line.basis


def test_a_trial_line_says_it_is_a_free_trial() -> None:
    """A trial's zero line explains itself as the free trial, at a zero price."""
    from licbill.seeds import SCENARIOS

    s = SCENARIOS[0]
    line = lb.charge_lines(s.events, through=s.through, rulebook=s.rulebook)[0]
    assert str(line.explain()) == (
        "free trial: 0 USD / 30 days x 30 days = 0 -> 0.00 (PER_UNIT_DOWN) x 1 = 0.00 USD"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cycle_start": "2024-06-01"}, lb.InvalidTypeError),
        ({"cycle_days": True}, lb.InvalidTypeError),
        ({"billing_days": 31}, lb.InvalidValueError),
        ({"rounding": "PER_UNIT_DOWN"}, lb.InvalidTypeError),
        ({"reverses": ["R-1"]}, lb.InvalidTypeError),
        ({"refund": 1}, lb.InvalidTypeError),
    ],
)
def test_a_basis_refuses_wrong_fields(change: dict[str, object], error: type[Exception]) -> None:
    """A basis built by hand with a wrong field is refused with a licbill error naming it."""
    fields: dict[str, object] = {
        "cycle_start": dt.date(2024, 6, 1),
        "cycle_days": 30,
        "billing_days": 23,
        "rounding": lb.Rounding.PER_UNIT_DOWN,
    }
    with pytest.raises(error):
        lb.Basis(**{**fields, **change})  # type: ignore[arg-type]


# Invoice lines and seat counts -----------------------------------------------------------------

_M, _K = lb.Module, lb.UserKind
_MAY = lb.Month(2024, 5)
_WS = lb.Workspace(id="w", created_on=dt.date(2024, 1, 1))
_HYBRID = frozenset({_M.HYBRID})
_USERS = (
    *(lb.User(id=f"u{n}", username=f"n{n}", modules=_HYBRID) for n in (1, 2, 7)),
    lb.User(id="u3", username="n3", modules=_HYBRID, status=lb.UserStatus.INACTIVE),
)
_HISTORY = (
    lb.Revision(dt.date(2024, 5, 20), lb.User(id="u3", username="n3", modules=_HYBRID)),
    lb.Revision(
        dt.date(2024, 5, 25),
        lb.User(id="u7", username="n7", modules=_HYBRID, status=lb.UserStatus.INACTIVE),
    ),
)
_PRICES = lb.PriceList({(_M.HYBRID, _K.REGULAR): lb.Money("5.00", "EUR")})
_EVERY_PRICE = lb.PriceList(
    {(p, k): lb.Money("3.00", "EUR") for p in [*lb.Module, *lb.LegacyEdition] for k in lb.UserKind}
)


def _line(counting: lb.Counting, history: tuple[lb.Revision, ...] = _HISTORY) -> lb.InvoiceLine:
    rounding = lb.Rounding.PER_UNIT_DOWN if counting is lb.Counting.DAILY_PRORATED else None
    invoice = lb.monthly_invoice(
        _WS, users=_USERS, month=_MAY, prices=_PRICES, counting=counting, history=history,
        rounding=rounding,
    )  # fmt: skip
    (line,) = invoice.lines
    return line


def test_a_month_end_invoice_line_names_the_users_it_bills() -> None:
    """A MONTH_END line reads as the issue's example: which users, which day, price, total."""
    assert str(_line(lb.Counting.MONTH_END, history=()).explain()) == (
        "Hybrid, regular users, 2024-05, MONTH_END: 3 users active with the module on "
        "2024-05-31 (u1, u2, u7) x 5.00 EUR = 15.00 EUR"
    )


def test_a_month_end_line_follows_the_changes_of_the_month() -> None:
    """u3 joined on 20 May and u7 left on 25 May: the month-end users are u1, u2 and u3."""
    explanation = _line(lb.Counting.MONTH_END).explain()
    assert explanation.users == ("u1", "u2", "u3")
    assert explanation.seats == 3


def test_an_any_day_line_names_every_user_holding_a_seat_some_day() -> None:
    """ANY_DAY bills the four users who held a seat on some day of May."""
    assert str(_line(lb.Counting.ANY_DAY).explain()) == (
        "Hybrid, regular users, 2024-05, ANY_DAY: 4 users active with the module on some day "
        "from 2024-05-01 to 2024-05-31 (u1, u2, u3, u7) x 5.00 EUR = 20.00 EUR"
    )


def test_a_peak_line_names_the_day_of_the_peak() -> None:
    """PEAK names the first day the most users held a seat, and those users."""
    assert str(_line(lb.Counting.PEAK).explain()) == (
        "Hybrid, regular users, 2024-05, PEAK: 4 users active with the module on 2024-05-20, "
        "the most on one day (u1, u2, u3, u7) x 5.00 EUR = 20.00 EUR"
    )


def test_a_daily_prorated_line_gives_each_users_seat_days_and_the_policy() -> None:
    """DAILY_PRORATED: seat-days per user (with the days of a partial one), days, policy."""
    explanation = _line(lb.Counting.DAILY_PRORATED).explain()
    assert str(explanation) == (
        "Hybrid, regular users, 2024-05, DAILY_PRORATED: 98 seat-days of 4 users (u1 31, u2 31, "
        "u3 12 (2024-05-20..2024-05-31), u7 24 (2024-05-01..2024-05-24)) / 31 days = 3.1613 "
        "seats x 5.00 EUR, rounding each user's share (PER_UNIT_DOWN) = 15.80 EUR"
    )
    assert explanation.held_days == {"u1": 31, "u2": 31, "u3": 12, "u7": 24}
    assert explanation.rounding is lb.Rounding.PER_UNIT_DOWN


def test_a_legacy_module_whose_trial_ends_in_the_month_counts_from_the_first_paid_day() -> None:
    """A trial ending 10 May: the module's explanation counts from 11 May, as its line does."""
    legacy = lb.Workspace(id="old", created_on=dt.date(2022, 1, 1), edition=lb.LegacyEdition.ADAPT)
    invoice = lb.monthly_invoice(
        legacy, users=_USERS, month=_MAY, prices=_EVERY_PRICE, counting=lb.Counting.ANY_DAY,
        history=_HISTORY, trial=lb.ModuleTrial(ends_on=dt.date(2024, 5, 10)),
    )  # fmt: skip
    module = next(line for line in invoice.lines if line.product is _M.HYBRID)
    assert "on some day from 2024-05-11 to 2024-05-31" in str(module.explain())
    assert module.explain().total == module.total


def test_a_hand_made_invoice_line_cannot_explain_itself() -> None:
    """A line not made by monthly_invoice has no inputs: explain() refuses it clearly."""
    line = lb.InvoiceLine(
        _M.HYBRID, _K.REGULAR, Decimal(1), lb.Money("5.00", "EUR"), lb.Money("5.00", "EUR")
    )
    with pytest.raises(lb.InvalidValueError, match="monthly_invoice"):
        line.explain()


def test_inputs_take_no_part_in_comparing_invoice_lines() -> None:
    """A copy of a line (as a file format makes it) drops its inputs, and still equals it."""
    line = _line(lb.Counting.MONTH_END)
    bare = attrs.evolve(line)
    assert (bare.inputs, line.inputs is not None) == (None, True)
    assert line == bare


def test_a_seat_count_explains_itself_under_each_policy() -> None:
    """count_seats(explain=True) gives counts that say which users they hold."""
    (count,) = lb.count_seats(
        _WS, users=_USERS, month=_MAY, history=_HISTORY, explain=True
    ).values()
    assert str(count.explain()) == (
        "Hybrid, regular users, 2024-05, MONTH_END: 3 users active with the module on "
        "2024-05-31 (u1, u2, u3)"
    )
    assert count.explain(counting=lb.Counting.ANY_DAY).users == ("u1", "u2", "u3", "u7")


def test_a_seat_count_without_detail_cannot_explain_itself() -> None:
    """A count made without explain=True refuses explain() and says how to get one."""
    (count,) = lb.count_seats(_WS, users=_USERS, month=_MAY, history=_HISTORY).values()
    with pytest.raises(lb.InvalidValueError, match="explain=True"):
        count.explain()


def test_explain_must_be_a_bool() -> None:
    """count_seats refuses an explain flag that is not True or False."""
    with pytest.raises(lb.InvalidTypeError, match="explain"):
        lb.count_seats(_WS, users=_USERS, month=_MAY, explain=1)  # type: ignore[arg-type]


def test_an_explanation_shows_in_a_notebook_as_a_table_of_users() -> None:
    """The HTML view gives the text, then each user with its days and whether it counts."""
    view = _line(lb.Counting.MONTH_END).explain()._repr_html_()
    assert view.startswith("<p>Hybrid, regular users, 2024-05, MONTH_END: 3 users")
    assert '<td>u7</td><td style="text-align:right">24</td><td>no</td>' in view


@settings(max_examples=60, deadline=None)
@given(drawn=workspace_months())
def test_a_seat_count_detail_agrees_with_every_count(drawn: WorkspaceMonth) -> None:
    """Property: the users and days recorded give back each count, and explaining changes none."""
    args = {"users": drawn.users, "groups": drawn.groups, "month": drawn.month,
            "history": drawn.history}  # fmt: skip
    try:
        plain_counts = lb.count_seats(drawn.workspace, **args)  # type: ignore[arg-type]
    except lb.UnknownGroupError:
        return
    explained = lb.count_seats(drawn.workspace, explain=True, **args)  # type: ignore[arg-type]
    assert explained == plain_counts
    for count in explained.values():
        detail = count.detail
        assert detail is not None
        assert count.month_end == len(detail.holders_on(drawn.month.last))
        assert count.any_day == len(detail.spans)
        assert count.seat_days == sum(map(detail.held, detail.spans))
        days = [detail.first_day + dt.timedelta(days=n) for n in range(detail.counted_days)]
        assert count.peak == max(len(detail.holders_on(day)) for day in days)


@settings(max_examples=40, deadline=None)
@given(drawn=workspace_months(), counting=st.sampled_from(lb.Counting))
def test_every_invoice_line_explains_its_own_quantity_and_total(
    drawn: WorkspaceMonth, counting: lb.Counting
) -> None:
    """Property: each line's explanation counts the line's seats and ends in its total."""
    try:
        invoice = lb.monthly_invoice(
            drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
            prices=_EVERY_PRICE, counting=counting, history=drawn.history,
            rounding=lb.Rounding.PER_LINE_HALF_UP, trial=drawn.trial,
        )  # fmt: skip
    except lb.UnknownGroupError:
        return
    for line in invoice.lines:
        explanation = line.explain()
        assert explanation.seats == line.quantity
        assert (explanation.unit_price, explanation.total) == (line.unit_price, line.total)
        assert str(explanation).endswith(f"= {line.total}")


def test_explaining_under_something_not_a_counting_policy_is_refused() -> None:
    """SeatCount.explain refuses a counting that is no licbill.Counting, naming it."""
    (count,) = lb.count_seats(
        _WS, users=_USERS, month=_MAY, history=_HISTORY, explain=True
    ).values()
    with pytest.raises(lb.InvalidTypeError, match="'month-end'"):
        count.explain(counting="month-end")  # type: ignore[arg-type]
