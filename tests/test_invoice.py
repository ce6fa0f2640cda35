"""Seat counting and the monthly invoice (docs/workspace.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import WorkspaceMonth, workspace_months
from sample_prices import PRICES

M, K, S = lb.Module, lb.UserKind, lb.UserStatus
D = dt.date
MAY = lb.Month(2024, 5)
WS = lb.Workspace(
    id="w1",
    created_on=D(2024, 3, 1),
    billing=lb.BillingInfo(company_name="Contoso", reference="R-1", customer_type="MSP"),
)
LEGACY = lb.Workspace(id="w0", created_on=D(2022, 3, 1), edition=lb.LegacyEdition.ADAPT)
SALES = lb.Group(id="sales", name="Sales", modules={M.HYBRID})
USERS = (
    lb.User(id="ann", username="ann", modules={M.ENGAGE}),
    lb.User(id="bob", username="bob", groups={"sales"}),
    lb.User(id="cat", username="cat", guest=True, modules={M.ENGAGE}),
    lb.User(id="dan", username="dan", status=S.INACTIVE, modules={M.UNIFY}),
    lb.User(id="eve", username="eve"),
    lb.User(id="fay", username="fay", status=S.DELETED, modules={M.UNIFY}, admin=True),
)
# Mid-May: eve gets Unify on the 11th, ann is deactivated on the 16th, Sales loses Hybrid on
# the 21st.
HISTORY = (
    lb.Revision(D(2024, 5, 11), lb.User(id="eve", username="eve", modules={M.UNIFY})),
    lb.Revision(D(2024, 5, 16), lb.User(id="ann", username="ann", status=S.INACTIVE)),
    lb.Revision(D(2024, 5, 21), lb.Group(id="sales", name="Sales")),
)


def _lines(invoice: lb.Invoice) -> list[tuple[str, str, str, str]]:
    return [
        (x.product.value, x.user_kind.value, str(x.quantity), str(x.total.amount))
        for x in invoice.lines
    ]


def _invoice(counting: lb.Counting, **kwargs: object) -> lb.Invoice:
    args: dict[str, object] = {
        "users": USERS,
        "groups": [SALES],
        "month": MAY,
        "prices": PRICES,
        "counting": counting,
        "history": HISTORY,
    }
    return lb.monthly_invoice(WS, **(args | kwargs))  # type: ignore[arg-type]


def test_month_end_counts_active_users_with_modules() -> None:
    """Without changes, an invoice counts active regular and guest users per module."""
    invoice = _invoice(lb.Counting.MONTH_END, history=())
    assert _lines(invoice) == [
        ("Hybrid", "regular", "1", "6.00"),
        ("Engage", "regular", "1", "4.00"),
        ("Engage", "guest", "1", "1.00"),
    ]
    assert invoice.total == lb.Money("11.00", "EUR")
    assert invoice.billing.company_name == "Contoso"
    assert invoice.model is lb.LicenceModel.MODULES


@pytest.mark.parametrize(
    ("counting", "expected"),
    [
        (
            lb.Counting.MONTH_END,
            [("Engage", "guest", "1", "1.00"), ("Unify", "regular", "1", "8.00")],
        ),
        (
            lb.Counting.ANY_DAY,
            [
                ("Hybrid", "regular", "1", "6.00"),
                ("Engage", "regular", "1", "4.00"),
                ("Engage", "guest", "1", "1.00"),
                ("Unify", "regular", "1", "8.00"),
            ],
        ),
        (
            lb.Counting.PEAK,
            [
                ("Hybrid", "regular", "1", "6.00"),
                ("Engage", "regular", "1", "4.00"),
                ("Engage", "guest", "1", "1.00"),
                ("Unify", "regular", "1", "8.00"),
            ],
        ),
    ],
)
def test_counting_policies_on_a_month_with_changes(
    counting: lb.Counting, expected: list[tuple[str, str, str, str]]
) -> None:
    """Each counting policy reads the same mid-month changes its own way."""
    assert _lines(_invoice(counting)) == expected


def test_daily_prorated_uses_seat_days() -> None:
    """Daily prorating bills seat-days over 31 days: Hybrid 20, Engage 15, Unify 21 days."""
    invoice = _invoice(lb.Counting.DAILY_PRORATED, rounding=lb.Rounding.PER_LINE_HALF_UP)
    assert _lines(invoice) == [
        ("Hybrid", "regular", "0.6452", "3.87"),
        ("Engage", "regular", "0.4839", "1.94"),
        ("Engage", "guest", "1.0000", "1.00"),
        ("Unify", "regular", "0.6774", "5.42"),
    ]
    assert invoice.total == sum((x.total for x in invoice.lines), lb.Money.zero("EUR"))


def test_daily_prorated_per_unit_rounds_each_users_share() -> None:
    """Per-unit rounding prices each user's share of the month, then adds them up."""
    users = [lb.User(id=f"u{n}", username="x", modules={M.HYBRID}) for n in range(3)]
    history = [lb.Revision(D(2024, 5, 2), lb.User(id="u0", username="x", status=S.INACTIVE))]
    totals = {
        rounding: lb.monthly_invoice(
            WS, users=users, month=MAY, prices=PRICES, history=history,
            counting=lb.Counting.DAILY_PRORATED, rounding=rounding,
        ).total.amount
        for rounding in (lb.Rounding.PER_UNIT_DOWN, lb.Rounding.PER_LINE_DOWN)
    }  # fmt: skip
    # One day of Hybrid is 6/31 = 0.1935...: per unit 0.19 + 6 + 6; per line 12.19.
    assert totals == {
        lb.Rounding.PER_UNIT_DOWN: Decimal("12.19"),
        lb.Rounding.PER_LINE_DOWN: Decimal("12.19"),
    }


def test_daily_prorated_needs_a_rounding_policy() -> None:
    """Daily prorating without a named rounding policy is refused."""
    with pytest.raises(lb.InvalidValueError, match="rounding"):
        _invoice(lb.Counting.DAILY_PRORATED)


def test_legacy_workspace_bills_its_edition_and_trial_modules_at_zero() -> None:
    """A legacy workspace bills each edition seat; modules inside their trial cost nothing."""
    trial = lb.ModuleTrial(ends_on=D(2024, 6, 30))
    invoice = lb.monthly_invoice(
        LEGACY, users=USERS, groups=[SALES], month=MAY, prices=PRICES, trial=trial
    )
    assert _lines(invoice) == [
        ("Adapt", "regular", "2", "10.00"),
        ("Adapt", "guest", "1", "2.00"),
        ("Hybrid", "regular", "1", "0.00"),
        ("Engage", "regular", "1", "0.00"),
        ("Engage", "guest", "1", "0.00"),
    ]
    assert invoice.model is lb.LicenceModel.LEGACY
    assert invoice.total == lb.Money("12.00", "EUR")


def test_a_missing_price_is_an_error_never_a_zero() -> None:
    """A billed product without a price raises MissingPriceError naming it."""
    partial = lb.PriceList({(M.ENGAGE, K.REGULAR): lb.Money("4.00", "EUR")})
    with pytest.raises(lb.MissingPriceError, match="Hybrid"):
        lb.monthly_invoice(WS, users=USERS, groups=[SALES], month=MAY, prices=partial)


def test_sub_cent_prices_need_a_rounding_policy() -> None:
    """A price with digits beyond the cent is billed only with a named rounding policy."""
    fine = lb.PriceList({(M.ENGAGE, K.REGULAR): lb.Money("0.125", "EUR")})
    users = [lb.User(id="a", username="a", modules={M.ENGAGE})]
    with pytest.raises(lb.InvalidValueError, match="rounding"):
        lb.monthly_invoice(WS, users=users, month=MAY, prices=fine)
    invoice = lb.monthly_invoice(
        WS, users=users, month=MAY, prices=fine, rounding=lb.Rounding.PER_LINE_HALF_EVEN
    )
    assert invoice.total == lb.Money("0.12", "EUR")


@pytest.mark.parametrize(
    "prices",
    [
        {},
        {(M.ENGAGE, K.REGULAR): 4},
        {M.ENGAGE: lb.Money(4, "EUR")},
        {(M.ENGAGE, K.REGULAR): lb.Money(-4, "EUR")},
        {(M.ENGAGE, K.REGULAR): lb.Money(4, "EUR"), (M.ENGAGE, K.GUEST): lb.Money(1, "USD")},
        [((M.ENGAGE, K.REGULAR), lb.Money(4, "EUR"))],
    ],
)
def test_price_lists_are_validated(prices: object) -> None:
    """Price lists refuse wrong keys, non-money, negative prices and mixed currencies."""
    with pytest.raises(lb.LicbillError):
        lb.PriceList(prices)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"users": [USERS[0], USERS[0]]},
        {"users": ["ann"]},
        {"users": "ann"},
        {"month": "2024-05"},
        {"history": ["eve"]},
        {"history": None},
        {"prices": {}},
        {"counting": "peak"},
        {"rounding": "down"},
    ],
)
def test_invoice_input_is_validated(kwargs: dict[str, object]) -> None:
    """Duplicate users, wrong types and malformed history are refused with licbill errors."""
    with pytest.raises(lb.LicbillError):
        _invoice(**({"counting": lb.Counting.MONTH_END} | kwargs))  # type: ignore[arg-type]


def test_a_revision_needs_a_user() -> None:
    """A revision of something that is not a User is refused as a type error."""
    with pytest.raises(lb.InvalidTypeError):
        lb.Revision(D(2024, 5, 1), "user")  # type: ignore[arg-type]


def _count(
    drawn: WorkspaceMonth,
) -> dict[tuple[lb.Module | lb.LegacyEdition, lb.UserKind], lb.SeatCount]:
    return lb.count_seats(
        drawn.workspace,
        users=drawn.users,
        groups=drawn.groups,
        month=drawn.month,
        history=drawn.history,
    )


@given(drawn=workspace_months())
def test_counting_policies_are_ordered(drawn: WorkspaceMonth) -> None:
    """Counts never exceed the users; MONTH_END <= PEAK <= ANY_DAY; prorated lies in 0..ANY_DAY."""
    ids = {u.id for u in drawn.users} | {
        r.value.id for r in drawn.history if isinstance(r.value, lb.User)
    }
    for seat in _count(drawn).values():
        assert seat.any_day <= len(ids)
        assert seat.month_end <= seat.peak <= seat.any_day
        assert 0 <= seat.seat_days <= seat.any_day * drawn.month.days
        assert sum(seat.held_days.values()) == seat.any_day


@given(drawn=workspace_months())
def test_counts_agree_with_a_day_by_day_recount(drawn: WorkspaceMonth) -> None:
    """The sweep gives what counting every day from scratch gives (the slow, obvious way)."""
    fast = _count(drawn)
    daily: list[dict[tuple[object, object], set[str]]] = []
    for offset in range(drawn.month.days):
        day = drawn.month.first + dt.timedelta(days=offset)
        users = {u.id: u for u in drawn.users}
        groups = {g.id: g for g in drawn.groups}
        for revision in sorted(drawn.history, key=lambda r: r.on):
            # users= is the state on the first day: revisions dated that day are in it.
            if drawn.month.first < revision.on <= day:
                target = users if isinstance(revision.value, lb.User) else groups
                target[revision.value.id] = revision.value  # type: ignore[assignment]
        held: dict[tuple[object, object], set[str]] = {}
        for user in users.values():
            if user.status is S.ACTIVE:
                modules = lb.effective_modules(user, groups)  # type: ignore[arg-type]
                products = [m for m in M if m in modules]
                if drawn.workspace.edition is not None and (
                    products or drawn.workspace.legacy_seats is lb.LegacySeats.EVERY_ACTIVE_USER
                ):
                    products.insert(0, drawn.workspace.edition)  # type: ignore[arg-type]
                for product in products:
                    held.setdefault((product, user.kind), set()).add(user.id)
        if day >= drawn.workspace.created_on:  # nothing counts before the workspace exists
            daily.append(held)
    keys = {key for held in daily for key in held}
    assert set(fast) == keys
    for key in keys:
        per_day = [len(held.get(key, ())) for held in daily]
        seat = fast[key]  # type: ignore[index]
        assert seat.month_end == per_day[-1]
        assert seat.peak == max(per_day)
        assert seat.seat_days == sum(per_day)
        assert seat.any_day == len(set().union(*(held.get(key, set()) for held in daily)))


@given(drawn=workspace_months())
def test_invoice_total_is_the_sum_of_its_lines(drawn: WorkspaceMonth) -> None:
    """Under every policy an invoice's total equals the sum of its lines."""
    prices = lb.PriceList(
        {(p, k): lb.Money("3.10", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
    )
    for counting in lb.Counting:
        invoice = lb.monthly_invoice(
            drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
            prices=prices, counting=counting, history=drawn.history,
            rounding=lb.Rounding.PER_UNIT_HALF_UP, trial=drawn.trial,
        )  # fmt: skip
        assert invoice.total == sum((x.total for x in invoice.lines), lb.Money.zero("EUR"))


@given(drawn=workspace_months(max_revisions=0))
def test_inactive_users_and_users_without_modules_never_change_an_invoice(
    drawn: WorkspaceMonth,
) -> None:
    """Adding an inactive user, or one without modules (legacy: unless every active user holds
    an edition seat), changes nothing."""
    prices = lb.PriceList(
        {(p, k): lb.Money("2.00", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
    )
    extra = [lb.User(id="zz-inactive", username="z", status=S.INACTIVE, modules=set(M))]
    if drawn.workspace.legacy_seats is lb.LegacySeats.NEEDS_MODULE:
        extra.append(lb.User(id="zz-none", username="z"))
    base = lb.monthly_invoice(
        drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month, prices=prices,
        trial=drawn.trial,
    )  # fmt: skip
    more = lb.monthly_invoice(
        drawn.workspace, users=drawn.users + tuple(extra), groups=drawn.groups, month=drawn.month,
        prices=prices, trial=drawn.trial,
    )  # fmt: skip
    assert more == base


def test_an_unknown_group_names_the_user() -> None:
    """A user in a group that was not given is named in the error, with the group."""
    users = [lb.User(id="zed", username="zed", groups={"ghosts"})]
    with pytest.raises(lb.UnknownGroupError, match=r"'zed'.*'ghosts'"):
        lb.monthly_invoice(WS, users=users, month=MAY, prices=PRICES)


def test_seat_counts_per_policy() -> None:
    """A seat count answers each whole-count policy and refuses daily prorating."""
    seat = lb.count_seats(WS, users=USERS, groups=[SALES], month=MAY, history=HISTORY)[
        M.HYBRID, K.REGULAR
    ]
    assert [
        seat.count(c) for c in (lb.Counting.MONTH_END, lb.Counting.ANY_DAY, lb.Counting.PEAK)
    ] == [0, 1, 1]
    with pytest.raises(lb.InvalidValueError, match="seat_days"):
        seat.count(lb.Counting.DAILY_PRORATED)


def _last_day_holders(drawn: WorkspaceMonth) -> dict[tuple[object, object], int]:
    # The state on the month's last day rebuilt from scratch, and its seats counted user by
    # user with effective_modules and the seat rule written out (docs/workspace.md).
    users = {u.id: u for u in drawn.users}
    groups = {g.id: g for g in drawn.groups}
    for revision in sorted(drawn.history, key=lambda r: r.on):
        if drawn.month.first < revision.on <= drawn.month.last:
            target = users if isinstance(revision.value, lb.User) else groups
            target[revision.value.id] = revision.value  # type: ignore[assignment]
    held: dict[tuple[object, object], int] = {}
    for user in users.values():
        if user.status is not S.ACTIVE:
            continue
        modules = lb.effective_modules(user, groups)  # type: ignore[arg-type]
        products: list[object] = [m for m in M if m in modules]
        edition = drawn.workspace.edition
        if edition is not None and (
            products or drawn.workspace.legacy_seats is lb.LegacySeats.EVERY_ACTIVE_USER
        ):
            products.insert(0, edition)
        for product in products:
            held[product, user.kind] = held.get((product, user.kind), 0) + 1
    return held


@given(drawn=workspace_months())
def test_a_month_end_invoice_bills_the_last_days_snapshot(drawn: WorkspaceMonth) -> None:
    """A MONTH_END invoice has a line per product and kind held on the last day, its quantity
    the active holders on that day counted from scratch (legacy modules free inside a trial)."""
    prices = lb.PriceList(
        {(p, k): lb.Money("3.10", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
    )
    invoice = lb.monthly_invoice(
        drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
        prices=prices, history=drawn.history, trial=drawn.trial,
    )  # fmt: skip
    order = [(p, k) for p in [*lb.LegacyEdition, *M] for k in K]
    free = drawn.trial is not None and drawn.trial.ends_on >= drawn.month.last
    expected = [
        (p, k, count, Decimal("0.00") if free and p in M else Decimal("3.10") * count)
        for (p, k), count in sorted(
            _last_day_holders(drawn).items(), key=lambda x: order.index(x[0])
        )
    ]
    assert [(x.product, x.user_kind, x.quantity, x.total.amount) for x in invoice.lines] == expected


def test_a_seat_gone_by_month_end_still_needs_a_price() -> None:
    """Under MONTH_END a seat held only during the month still needs a price (never a zero)."""
    prices = lb.PriceList({(M.ENGAGE, K.REGULAR): lb.Money("4.00", "EUR")})
    users = [lb.User(id="ann", username="ann", modules={M.UNIFY})]
    history = [lb.Revision(D(2024, 5, 10), lb.User(id="ann", username="ann"))]
    with pytest.raises(lb.MissingPriceError, match="Unify"):
        lb.monthly_invoice(WS, users=users, month=MAY, prices=prices, history=history)


def test_an_unknown_group_left_mid_month_is_still_an_error() -> None:
    """Under MONTH_END a membership of a group not given raises even if left before the end."""
    users = [lb.User(id="ann", username="ann", groups={"nope"})]
    history = [lb.Revision(D(2024, 5, 10), lb.User(id="ann", username="ann"))]
    with pytest.raises(lb.UnknownGroupError, match=r"'ann'.*'nope'"):
        lb.monthly_invoice(WS, users=users, month=MAY, prices=PRICES, history=history)


def test_month_end_seats_reads_one_shot_iterables() -> None:
    """month_end_seats takes generators and counts the month's last day."""
    from licbill.seats import month_end_seats

    seats = month_end_seats(
        WS, users=iter(USERS), groups=iter([SALES]), month=MAY, history=iter(HISTORY)
    )
    # At the end of May: cat (guest, Engage) and eve (Unify since the 11th).
    assert seats == {(M.ENGAGE, K.GUEST): 1, (M.UNIFY, K.REGULAR): 1}


FULL_PRICES = lb.PriceList(
    {(p, k): lb.Money("2.00", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
)


def test_a_group_given_during_the_month_counts_at_month_end() -> None:
    """A group first given mid-month, joined the same day, bills its module at month end."""
    support = lb.Group(id="support", modules={M.UNIFY})
    history = [
        lb.Revision(D(2024, 5, 12), support),
        lb.Revision(D(2024, 5, 12), lb.User(id="eve", username="eve", groups={"support"})),
    ]
    invoice = lb.monthly_invoice(
        WS, users=USERS, groups=[SALES], month=MAY, prices=FULL_PRICES, history=history
    )
    quantities = {(x.product, x.user_kind): x.quantity for x in invoice.lines}
    assert quantities[M.UNIFY, K.REGULAR] == 1


def test_an_unknown_group_names_the_user_with_every_price_given() -> None:
    """With every price given (the month-end count alone), an unknown group still names the user."""
    users = [*USERS, lb.User(id="zed", username="zed", groups={"ghosts"})]
    with pytest.raises(lb.UnknownGroupError, match=r"'zed'.*'ghosts'"):
        lb.monthly_invoice(WS, users=users, groups=[SALES], month=MAY, prices=FULL_PRICES)


def test_month_end_seats_refuses_a_string_of_users() -> None:
    """month_end_seats refuses users given as a string, naming it."""
    from licbill.seats import month_end_seats

    with pytest.raises(lb.InvalidTypeError, match="'ann'"):
        month_end_seats(WS, users="ann", month=MAY)  # type: ignore[arg-type]


AMOUNTS = st.sampled_from(["4", "4.00", "3.10", "0.015", "12.345"])


def _priced(price_list: lb.PriceList, drawn: WorkspaceMonth, **kwargs: object) -> object:
    # The invoice's lines as written (a total of 8.00 is not one of 8), or the error raised.
    try:
        invoice = lb.monthly_invoice(
            drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
            prices=price_list, history=drawn.history, trial=drawn.trial, **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip
    except lb.LicbillError as error:
        return type(error), str(error)
    return [
        (x.product, x.user_kind, str(x.quantity), str(x.unit_price), str(x.total))
        for x in invoice.lines
    ]


@given(
    months=st.lists(workspace_months(), min_size=1, max_size=4),
    amounts=st.lists(AMOUNTS, min_size=12, max_size=12),
    counting=st.sampled_from(lb.Counting),
    rounding=st.sampled_from([None, *lb.Rounding]),
)
def test_a_price_list_used_again_prices_as_a_new_one(
    months: list[WorkspaceMonth],
    amounts: list[str],
    counting: lb.Counting,
    rounding: lb.Rounding | None,
) -> None:
    """Invoices priced in turn with one price list equal, as written and in their errors, those
    priced each with a new copy: the totals a price list remembers never change an amount."""
    keys = [(p, k) for p in [*lb.LegacyEdition, *M] for k in K]
    shared = lb.PriceList(
        {key: lb.Money(amount, "EUR") for key, amount in zip(keys, amounts, strict=True)}
    )
    for drawn in [*months, *months]:
        fresh = lb.PriceList(dict(shared.prices))
        assert _priced(shared, drawn, counting=counting, rounding=rounding) == _priced(
            fresh, drawn, counting=counting, rounding=rounding
        )


@pytest.mark.parametrize("counting", [lb.Counting.MONTH_END, lb.Counting.DAILY_PRORATED])
def test_a_price_list_remembers_a_bounded_number_of_totals(counting: lb.Counting) -> None:
    """Past the totals a price list remembers, totals are worked out afresh, and the same."""
    from licbill.invoice import _SeatPrices

    rounding = lb.Rounding.PER_LINE_HALF_UP
    crowds = [USERS, USERS[:1]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_SeatPrices, "REMEMBERED", 1)
        prices = lb.PriceList(dict(FULL_PRICES.prices))
        invoices = [
            _invoice(counting, prices=prices, rounding=rounding, users=u, history=())
            for u in crowds
        ]
        table = prices._by_seat
    assert [len(lines) for lines in table.lines.values()] == [1]
    fresh = [
        _invoice(
            counting,
            prices=lb.PriceList(dict(FULL_PRICES.prices)),
            rounding=rounding,
            users=u,
            history=(),
        )
        for u in crowds
    ]
    assert [_lines(x) for x in invoices] == [_lines(x) for x in fresh]
    assert len({tuple(_lines(x)) for x in invoices}) == 2  # the two crowds are priced apart


def test_an_invoice_as_a_data_frame_has_a_row_per_line() -> None:
    """to_dataframe gives the records as a pandas frame: one row per line, the totals kept."""
    invoice = _invoice(lb.Counting.MONTH_END)
    frame = invoice.to_dataframe()
    assert list(frame["product"]) == [x.product.value for x in invoice.lines]
    assert list(frame["total"]) == [x.total.amount for x in invoice.lines]


class _TaggedUser(lb.User):
    """A caller's own kind of user: still a licbill.User."""


def test_users_of_a_subclass_count_and_their_ids_stay_unique() -> None:
    """Users of a subclass of User are counted as users (the check is isinstance, not the exact
    type); two of them with one id, or a value that is no User among them, are refused."""
    tagged = tuple(_TaggedUser(id=u.id, username=u.username, modules=u.modules) for u in USERS[:1])
    invoice = _invoice(lb.Counting.MONTH_END, users=USERS[1:] + tagged, history=())
    assert _invoice(lb.Counting.MONTH_END, history=()).lines == invoice.lines
    with pytest.raises(lb.InvalidValueError, match="two users have the id 'ann'"):
        _invoice(lb.Counting.MONTH_END, users=USERS + tagged, history=())
    with pytest.raises(lb.InvalidTypeError, match=r"not a licbill\.User: 'ann'"):
        _invoice(lb.Counting.MONTH_END, users=[*USERS[1:], "ann"], history=())


def test_a_value_of_another_type_is_named_before_an_id_that_cannot_be_a_key() -> None:
    """A user whose id was forced to a list, beside a value that is no User: the value that is
    no User is named (a licbill type error), not Python's unhashable-type error."""
    forced = lb.User(id="ann", username="ann")
    object.__setattr__(forced, "id", ["ann"])
    with pytest.raises(lb.InvalidTypeError, match=r"not a licbill\.User: None"):
        _invoice(lb.Counting.MONTH_END, users=(forced, None), history=())


class _SlipperyId:
    """An id whose hash holds for the first four askings and then changes with every one."""

    asked = 0

    def __hash__(self) -> int:
        _SlipperyId.asked += 1
        return 0 if _SlipperyId.asked <= 4 else _SlipperyId.asked

    def __eq__(self, other: object) -> bool:
        return True


def test_ids_that_collide_and_then_do_not_are_still_a_licbill_error() -> None:
    """Two users whose forced ids collide when keyed and no longer when counted: a licbill
    value error saying two users share an id, never a bare StopIteration."""
    users = (lb.User(id="ann", username="ann"), lb.User(id="bob", username="bob"))
    for user in users:
        object.__setattr__(user, "id", _SlipperyId())
    _SlipperyId.asked = 0
    with pytest.raises(lb.InvalidValueError, match="two users have one id"):
        _invoice(lb.Counting.MONTH_END, users=users, history=())
