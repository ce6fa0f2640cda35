"""Arrow columns: line and event tables, record-batch runs, month-end counting over columns."""

from __future__ import annotations

import datetime as dt
import gc
import typing
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories, workspace_months

pa = pytest.importorskip("pyarrow")
arrow = pytest.importorskip("licbill.arrow")

from arrow_months import month_end_rows  # noqa: E402 (after the extra's skip)

RULEBOOKS = st.sampled_from([lb.rulebooks.MARKETPLACE_2019, lb.rulebooks.NEW_COMMERCE]).flatmap(
    lambda book: st.sampled_from(lb.Rounding).map(lambda r: attrs.evolve(book, rounding=r))
)
THROUGH = dt.date(2027, 12, 31)
BOOK = lb.rulebooks.NEW_COMMERCE
EUR = lb.Sku.monthly(id="seat", name="Seat", unit_price=lb.Money("10.00", "EUR"))


def skus_of(events: typing.Iterable[lb.Event]) -> dict[str, lb.Sku]:
    """The SKUs an event history names, by id."""
    found: dict[str, lb.Sku] = {}
    for event in events:
        if isinstance(event, lb.Purchase):
            found[event.sku.id] = event.sku
        elif (
            isinstance(event, lb.ConvertSku | lb.ChangeBillingPlan | lb.ScheduleChange)
            and event.to is not None
        ):
            found[event.to.id] = event.to
    return found


def expected_cell(value: Any) -> Any:
    """What a line value reads back as from its Arrow column."""
    if isinstance(value, lb.Money):
        return value.amount
    if isinstance(value, lb.ChargeTypeName):
        return value.spelling
    if isinstance(value, lb.Term):
        return value.name
    if isinstance(value, lb.Billing):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


# Schemas ---------------------------------------------------------------------------------------


def test_line_schema_follows_charge_line_fields() -> None:
    """LINE_SCHEMA has a column per recorded ChargeLine field, in order, and a currency column."""
    names = [name for name in arrow.LINE_SCHEMA.names if name != "currency"]
    assert names == [name for name in lb.ChargeLine._fields if name != "basis"]
    assert arrow.LINE_SCHEMA.field("total").type == pa.decimal128(38, 10)
    assert arrow.LINE_SCHEMA.field("order_date").type == pa.date32()


def test_event_columns_cover_every_event_type() -> None:
    """Every event type of licbill.Event has its entry in EVENT_COLUMNS."""
    assert set(arrow.EVENT_COLUMNS) == set(typing.get_args(lb.Event))


def test_event_columns_cover_every_event_field() -> None:
    """Each event type's columns hold every one of its fields, so none is lost in a table."""
    common = {"subscription_id", "on", "event_id"}
    for cls, columns in arrow.EVENT_COLUMNS.items():
        fields = {field.name for field in attrs.fields(cls)}
        assert fields == common | {column.field for column in columns}, cls.__name__


# Lines -----------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(events=event_histories(), rulebook=RULEBOOKS)
def test_to_arrow_holds_every_line_value(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook
) -> None:
    """Each row of to_arrow() reads back as its line's values, amounts exact."""
    lines = lb.charge_lines(events, through=THROUGH, rulebook=rulebook)
    rows = lines.to_arrow().to_pylist()
    assert len(rows) == len(lines)
    for line, row in zip(lines, rows, strict=True):
        expected = {
            name: expected_cell(value) for name, value in line._asdict().items() if name != "basis"
        }
        expected["currency"] = line.currency
        assert row == expected


def test_to_arrow_of_no_lines_is_an_empty_table() -> None:
    """No lines give an empty table in LINE_SCHEMA."""
    table = lb.ChargeLines().to_arrow()
    assert (table.num_rows, table.schema) == (0, arrow.LINE_SCHEMA)


def test_amount_beyond_ten_places_is_refused() -> None:
    """An amount with more places than the money columns hold is refused, never rounded."""
    line = lb.charge_lines(
        [lb.Purchase(subscription_id="S1", on=dt.date(2024, 1, 1), sku=EUR)],
        through=dt.date(2024, 1, 1),
        rulebook=BOOK,
    )[0]
    tiny = line._replace(unit_price=lb.Money("0.00000000001", "EUR"))
    with pytest.raises(lb.InvalidValueError, match=r"decimal128\(38, 10\)"):
        arrow.lines_to_batch([tiny])


def test_lines_to_batch_refuses_other_values() -> None:
    """lines_to_batch names a value that is not a charge line."""
    with pytest.raises(lb.InvalidTypeError, match=r"not a licbill\.ChargeLine: 'x'"):
        arrow.lines_to_batch(["x"])


def test_lines_to_batch_refuses_a_non_sequence() -> None:
    """lines_to_batch refuses a string for its lines."""
    with pytest.raises(lb.InvalidTypeError, match=r"sequence of licbill\.ChargeLine"):
        arrow.lines_to_batch("lines")


# Events ----------------------------------------------------------------------------------------


@settings(max_examples=60)
@given(events=event_histories())
def test_events_round_trip_through_a_table(events: tuple[lb.Event, ...]) -> None:
    """events_from_table(events_to_table(events)) gives the same events back."""
    table = arrow.events_to_table(events)
    assert table.schema == arrow.EVENT_SCHEMA
    assert arrow.events_from_table(table, skus=skus_of(events)) == list(events)


def test_event_ids_round_trip() -> None:
    """Event ids and every event type survive a round trip."""
    other = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("20.00", "EUR"))
    day = dt.date(2024, 3, 1)
    events = [
        lb.Purchase(
            subscription_id="S1",
            on=day,
            sku=EUR,
            quantity=3,
            trial=False,
            auto_renew=False,
            event_id="e1",
        ),
        lb.ChangeQuantity(subscription_id="S1", on=day, quantity=4, event_id="e2"),
        lb.ConvertSku(subscription_id="S1", on=day, to=other, quantity=4, event_id="e3"),
        lb.SetAutoRenew(subscription_id="S1", on=day, enabled=True),
        lb.Cancel(subscription_id="S1", on=day, event_id="e4"),
    ]
    table = arrow.events_to_table(events)
    assert arrow.events_from_table(table, skus={"seat": EUR, "pro": other}) == events


def test_events_to_table_refuses_other_values() -> None:
    """events_to_table names a value that is not an event."""
    with pytest.raises(lb.InvalidTypeError, match="not a licbill event: 3"):
        arrow.events_to_table([3])


def test_events_to_table_refuses_a_string() -> None:
    """events_to_table refuses a string for its events."""
    with pytest.raises(lb.InvalidTypeError, match="iterable of licbill events"):
        arrow.events_to_table("events")


def purchase_table(**columns: Any) -> Any:
    """A one-row event table of a purchase of the seat SKU, with *columns* replaced."""
    row: dict[str, Any] = {
        "event_type": ["Purchase"],
        "subscription_id": ["S1"],
        "on": [dt.date(2024, 1, 1)],
        "sku_id": ["seat"],
        "quantity": [2],
    }
    row.update(columns)
    return pa.table({name: value for name, value in row.items() if value is not None})


def test_missing_optional_columns_read_as_defaults() -> None:
    """A table without the columns of other event types, or of defaulted fields, reads."""
    (purchase,) = arrow.events_from_table(purchase_table(), skus={"seat": EUR})
    assert purchase == lb.Purchase(
        subscription_id="S1", on=dt.date(2024, 1, 1), sku=EUR, quantity=2
    )


def test_columns_cast_to_the_schema() -> None:
    """Large strings and midnight timestamps cast to the schema's strings and dates."""
    table = purchase_table(
        subscription_id=pa.array(["S1"], pa.large_string()),
        on=pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("ns")),
    )
    (purchase,) = arrow.events_from_table(table, skus={"seat": EUR})
    assert purchase.on == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"event_type": ["Refund"]}, "row 0: unknown event_type 'Refund'"),
        ({"sku_id": ["gold"]}, "row 0: column 'sku_id' names 'gold'"),
        ({"enabled": [True]}, "row 0: a Purchase has no 'enabled'"),
        ({"sku_id": pa.array([None], pa.string())}, "row 0: a Purchase needs 'sku_id'"),
        ({"quantity": [0]}, "row 0: quantity must lie in 1..1000000000, not 0"),
        ({"colour": ["red"]}, r"unknown columns \['colour'\]"),
        ({"on": None}, "has no column 'on'"),
        ({"on": pa.array([None], pa.date32())}, "row 0: column 'on' is null"),
        ({"quantity": ["two"]}, "column 'quantity' of type string is not int64"),
    ],
)
def test_events_from_table_names_the_bad_row(columns: dict[str, Any], message: str) -> None:
    """A bad event table is refused with a licbill error naming the row or column."""
    with pytest.raises(lb.LicbillError, match=message):
        arrow.events_from_table(purchase_table(**columns), skus={"seat": EUR})


def test_events_from_table_refuses_other_tables() -> None:
    """events_from_table refuses anything but an Arrow table or record batch."""
    with pytest.raises(lb.InvalidTypeError, match="pyarrow Table or RecordBatch"):
        arrow.events_from_table([{"event_type": "Cancel"}], skus={})


@pytest.mark.parametrize(
    ("skus", "message"),
    [
        ([EUR], "skus must map SKU ids"),
        ({"seat": "Seat"}, r"skus\['seat'\] is not a licbill.Sku"),
        ({"gold": EUR}, r"skus\['gold'\] holds the SKU 'seat'"),
    ],
)
def test_events_from_table_checks_the_skus(skus: Any, message: str) -> None:
    """The skus mapping must map each id to the SKU of that id."""
    with pytest.raises(lb.LicbillError, match=message):
        arrow.events_from_table(purchase_table(), skus=skus)


# Runs over record batches ----------------------------------------------------------------------


@settings(max_examples=60)
@given(events=event_histories(), rulebook=RULEBOOKS, size=st.integers(1, 4))
def test_charge_batches_bill_as_charge_lines(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, size: int
) -> None:
    """Record batches of events give the lines of charge_lines, in its order, as columns."""
    charge = arrow.charge_batches(skus=skus_of(events), through=THROUGH, rulebook=rulebook)
    batches = arrow.events_to_table(events).to_batches(max_chunksize=size)
    got = pa.Table.from_batches(list(charge(iter(batches))), schema=arrow.LINE_SCHEMA)
    assert got.equals(lb.charge_lines(events, through=THROUGH, rulebook=rulebook).to_arrow())


def test_charge_batches_of_nothing_yield_nothing() -> None:
    """A partition without events yields no batch."""
    charge = arrow.charge_batches(skus={}, through=THROUGH, rulebook=BOOK)
    assert list(charge(iter([]))) == []


def test_charge_batches_split_long_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines come in batches of at most BATCH_LINES lines."""
    monkeypatch.setattr(arrow, "BATCH_LINES", 5)
    purchase = lb.Purchase(subscription_id="S1", on=dt.date(2024, 1, 1), sku=EUR)
    charge = arrow.charge_batches(skus={"seat": EUR}, through=dt.date(2024, 12, 31), rulebook=BOOK)
    sizes = [batch.num_rows for batch in charge(arrow.events_to_table([purchase]).to_batches())]
    assert sizes == [5, 5, 2]


def test_charge_batches_pause_the_collector_only_while_making_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off while a batch's lines are made, on again whenever the caller has a batch."""
    monkeypatch.setattr(arrow, "BATCH_LINES", 5)
    made: list[bool] = []
    to_batch = arrow.lines_to_batch

    def recording(lines: list[lb.ChargeLine]) -> Any:
        made.append(gc.isenabled())
        return to_batch(lines)

    monkeypatch.setattr(arrow, "lines_to_batch", recording)
    purchase = lb.Purchase(subscription_id="S1", on=dt.date(2024, 1, 1), sku=EUR)
    charge = arrow.charge_batches(skus={"seat": EUR}, through=dt.date(2024, 12, 31), rulebook=BOOK)
    was = gc.isenabled()
    gc.enable()
    try:
        handed = [gc.isenabled() for _ in charge(arrow.events_to_table([purchase]).to_batches())]
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
    assert made == [False, False, False]
    assert handed == [True, True, True]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"skus": {}, "through": "2024-01-01", "rulebook": BOOK}, "through"),
        ({"skus": {}, "through": THROUGH, "rulebook": "new"}, "rulebook must be"),
        ({"skus": None, "through": THROUGH, "rulebook": BOOK}, "skus must map"),
    ],
)
def test_charge_batches_check_arguments_at_once(arguments: dict[str, Any], message: str) -> None:
    """Bad arguments are refused when the function is made, before any batch is read."""
    with pytest.raises(lb.LicbillError, match=message):
        arrow.charge_batches(**arguments)


# Merging partial runs ----------------------------------------------------------------------------


@settings(max_examples=60)
@given(events=event_histories(subscriptions=st.integers(1, 5)), parts=st.integers(1, 3))
def test_merged_partitions_give_the_single_run(events: tuple[lb.Event, ...], parts: int) -> None:
    """Runs over disjoint sets of subscriptions merge into exactly the single run's lines."""
    groups: list[list[lb.Event]] = [[] for _ in range(parts)]
    keys = arrow.partition_keys(arrow.events_to_table(events)).to_pylist()
    for event, key in zip(events, keys, strict=True):
        groups[int(key[1:]) % parts].append(event)
    runs = [lb.charge_lines(group, through=THROUGH, rulebook=BOOK) for group in groups]
    assert lb.merge_charge_lines(*runs) == lb.charge_lines(events, through=THROUGH, rulebook=BOOK)


def two_subscriptions() -> lb.ChargeLines:
    """The lines of two subscriptions bought on one day."""
    day = dt.date(2024, 1, 1)
    events = [
        lb.Purchase(subscription_id="S1", on=day, sku=EUR),
        lb.Purchase(subscription_id="S2", on=day, sku=EUR),
    ]
    return lb.charge_lines(events, through=dt.date(2024, 2, 1), rulebook=BOOK)


PRO = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("20.00", "EUR"))
TOP = lb.Sku.monthly(id="top", name="Top", unit_price=lb.Money("30.00", "EUR"))


def upgrade(source: str, on: dt.date, to: lb.Sku, seats: int, target: str) -> lb.ConvertSku:
    """A partial upgrade: *seats* seats of *source* move to *target* on SKU *to*."""
    return lb.ConvertSku(
        subscription_id=source, on=on, to=to, quantity=seats, target_subscription_id=target
    )


def linked_events() -> list[lb.Event]:
    """S2 moves two seats into a new S1 and S4 into S9; S3 stands alone; S9 later feeds S7."""
    day = dt.date(2024, 1, 1)
    return [
        *(lb.Purchase(subscription_id=f"S{n}", on=day, sku=EUR, quantity=5) for n in (2, 3, 4)),
        upgrade("S2", dt.date(2024, 1, 10), PRO, 2, "S1"),
        upgrade("S4", dt.date(2024, 1, 10), PRO, 3, "S9"),
        lb.ChangeQuantity(subscription_id="S3", on=dt.date(2024, 1, 10), quantity=6),
        upgrade("S9", dt.date(2024, 1, 20), TOP, 1, "S7"),
    ]


def test_partition_keys_group_linked_subscriptions() -> None:
    """Each row's key is the smallest subscription id of its group of linked subscriptions."""
    keys = arrow.partition_keys(arrow.events_to_table(linked_events())).to_pylist()
    assert keys == ["S1", "S3", "S4", "S1", "S4", "S3", "S4"]


def test_linked_subscriptions_follow_chains() -> None:
    """A target that feeds another subscription joins that one's group too."""
    links = arrow.linked_subscriptions(arrow.events_to_table(linked_events()))
    assert links == {"S2": "S1", "S1": "S1", "S4": "S4", "S9": "S4", "S7": "S4"}


def test_partition_keys_without_links_are_the_subscription_ids() -> None:
    """A table without a target column keys each row by its own subscription."""
    table = pa.table({"subscription_id": ["S2", "S1"]})
    assert arrow.partition_keys(table).to_pylist() == ["S2", "S1"]


@pytest.mark.parametrize(
    ("table", "error", "message"),
    [
        ("events", lb.InvalidTypeError, "pyarrow Table or RecordBatch"),
        (pa.table({"on": [1]}), lb.InvalidValueError, "no column 'subscription_id'"),
        (
            pa.table({"subscription_id": [None], "target_subscription_id": ["S1"]}),
            lb.InvalidValueError,
            "partial upgrade 0 .* has no subscription_id",
        ),
        (
            pa.table({"subscription_id": [[1]], "target_subscription_id": ["S1"]}),
            lb.InvalidValueError,
            "column 'subscription_id' is not text",
        ),
    ],
)
def test_linked_subscriptions_refuse_bad_tables(table: Any, error: type, message: str) -> None:
    """linked_subscriptions names what is wrong with the table."""
    with pytest.raises(error, match=message):
        arrow.linked_subscriptions(table)


LINKED_THROUGH = dt.date(2024, 3, 31)


def linked_runs(order: tuple[str, ...]) -> list[lb.ChargeLines]:
    """The linked events' charge lines billed one partition key at a time, in *order*."""
    events = linked_events()
    keys = arrow.partition_keys(arrow.events_to_table(events)).to_pylist()
    return [
        lb.charge_lines(
            [e for e, k in zip(events, keys, strict=True) if k == key],
            through=LINKED_THROUGH,
            rulebook=BOOK,
        )
        for key in order
    ]


def test_merge_takes_parts_of_linked_subscriptions() -> None:
    """Parts split by partition key merge into the single run, target lines in their turn."""
    runs = linked_runs(("S4", "S3", "S1"))
    whole = lb.charge_lines(linked_events(), through=LINKED_THROUGH, rulebook=BOOK)
    assert lb.merge_charge_lines(*runs) == whole


def test_merge_line_tables_gives_the_single_run() -> None:
    """Line tables of partitions merge into the single run's table."""
    tables = [run.to_arrow() for run in linked_runs(("S3", "S1", "S4"))]
    expected = lb.charge_lines(linked_events(), through=LINKED_THROUGH, rulebook=BOOK).to_arrow()
    assert arrow.merge_line_tables(*tables).equals(expected)


def test_merge_line_tables_of_nothing_is_empty() -> None:
    """No tables merge into an empty table in LINE_SCHEMA."""
    assert arrow.merge_line_tables().equals(arrow.LINE_SCHEMA.empty_table())


def test_merge_line_tables_refuses_a_subscription_in_two_tables() -> None:
    """Two tables billing one subscription cannot be merged."""
    table = two_subscriptions().to_arrow()
    with pytest.raises(lb.InvalidValueError, match="'S1' is billed in parts 0 and 1"):
        arrow.merge_line_tables(table, table)


def test_new_event_types_round_trip() -> None:
    """The issue-8 events and fields survive a round trip through a table."""
    annual = lb.Sku.annual(
        id="seat-a", name="Seat", unit_price=lb.Money("100.00", "EUR"), billing=lb.Billing.MONTHLY
    )
    day = dt.date(2024, 3, 1)
    events = [
        lb.Purchase(
            subscription_id="S1",
            on=day,
            sku=annual,
            quantity=3,
            custom_term_end=dt.date(2024, 12, 31),
            event_id="e1",
        ),
        lb.ScheduleChange(subscription_id="S1", on=day, quantity=4),
        lb.ScheduleChange(subscription_id="S1", on=day, to=PRO, event_id="e2"),
        lb.ChangeBillingPlan(subscription_id="S1", on=day, to=PRO),
        lb.ConvertTrial(subscription_id="S1", on=day),
        upgrade("S1", day, PRO, 2, "S2"),
    ]
    table = arrow.events_to_table(events)
    assert arrow.events_from_table(table, skus={"seat-a": annual, "pro": PRO}) == events


def test_merge_refuses_a_subscription_in_two_parts() -> None:
    """Two parts billing one subscription cannot be merged into a single run."""
    lines = two_subscriptions()
    with pytest.raises(lb.InvalidValueError, match="'S1' is billed in parts 0 and 1"):
        lb.merge_charge_lines(lines, lines)


def test_merge_refuses_a_part_out_of_order() -> None:
    """A part that is not in run order is refused."""
    with pytest.raises(lb.InvalidValueError, match="part 0 is not in run order"):
        lb.merge_charge_lines(tuple(reversed(two_subscriptions())))


def test_merge_refuses_other_values() -> None:
    """merge_charge_lines names a part that holds something other than charge lines."""
    with pytest.raises(lb.InvalidTypeError, match="part 1 holds something not"):
        lb.merge_charge_lines(two_subscriptions(), [1])


def test_merge_refuses_a_string_part() -> None:
    """A string is not a part."""
    with pytest.raises(lb.InvalidTypeError, match="part 0 is not a collection"):
        lb.merge_charge_lines("lines")


# Month-end counting over columns ---------------------------------------------------------------


@settings(max_examples=40)
@given(months=st.lists(workspace_months(), min_size=1, max_size=3))
def test_count_month_end_agrees_with_count_seats(months: list[Any]) -> None:
    """Column counting gives count_seats' month-end seats, workspace by workspace."""
    entries, expected = month_end_rows(months)
    workspaces, users, groups = arrow.directory_tables(entries)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.to_pylist() == expected


def seat_tables(*users: lb.User, edition: lb.LegacyEdition | None = None) -> tuple[Any, Any, Any]:
    """Directory tables of one workspace with *users* and a group g1 with Hybrid."""
    created = dt.date(2023, 1, 1) if edition else dt.date(2024, 6, 1)
    workspace = lb.Workspace(id="w1", created_on=created, edition=edition)
    group = lb.Group(id="g1", modules={lb.Module.HYBRID})
    return arrow.directory_tables([(workspace, users, [group])])


def test_count_month_end_counts_group_modules_and_the_edition() -> None:
    """A legacy user holds the edition, its own module and its group's module."""
    user = lb.User(id="u1", username="a", modules={lb.Module.UNIFY}, groups={"g1"})
    workspaces, users, groups = seat_tables(user, edition=lb.LegacyEdition.BOOST)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.column("product").to_pylist() == ["Boost", "Hybrid", "Unify"]


@pytest.mark.parametrize(
    ("rule", "products"),
    [(lb.LegacySeats.NEEDS_MODULE, []), (lb.LegacySeats.EVERY_ACTIVE_USER, ["Adapt"])],
)
def test_legacy_seats_decide_the_edition_seat(rule: lb.LegacySeats, products: list[str]) -> None:
    """A legacy user without modules holds the edition only under EVERY_ACTIVE_USER."""
    workspace = lb.Workspace(
        id="w1", created_on=dt.date(2023, 1, 1), edition=lb.LegacyEdition.ADAPT, legacy_seats=rule
    )
    user = lb.User(id="u1", username="a")
    workspaces, users, groups = arrow.directory_tables([(workspace, [user], [])])
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.column("product").to_pylist() == products


def test_unknown_group_of_an_active_user_is_refused() -> None:
    """An active user's membership of a group not given is an UnknownGroupError naming both."""
    user = lb.User(id="u1", username="a", groups={"g9"})
    workspaces, users, groups = seat_tables(user)
    with pytest.raises(lb.UnknownGroupError, match="user 'u1' belongs to group 'g9'"):
        arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)


def test_unknown_group_of_an_inactive_user_holds_no_seat() -> None:
    """An inactive user holds no seat, whatever groups it names (as in count_seats)."""
    user = lb.User(id="u1", username="a", groups={"g9"}, status=lb.UserStatus.INACTIVE)
    workspaces, users, groups = seat_tables(user)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.num_rows == 0


def test_count_month_end_refuses_an_unknown_workspace() -> None:
    """A user of a workspace the workspace table lacks is refused, naming both."""
    _workspaces, users, groups = seat_tables(lb.User(id="u1", username="a"))
    empty = arrow.WORKSPACE_SCHEMA.empty_table()
    with pytest.raises(lb.InvalidValueError, match="user 'u1' belongs to workspace 'w1'"):
        arrow.count_month_end(workspaces=empty, users=users, groups=groups)


def replaced(table: Any, name: str, values: list[Any]) -> Any:
    """*table* with column *name* replaced by *values*."""
    field = table.schema.field(name)
    return table.set_column(table.schema.get_field_index(name), field, pa.array(values, field.type))


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("status", ["asleep"], "unknown status 'asleep'"),
        ("modules", [["Chat"]], "unknown module in the user table 'Chat'"),
        ("modules", [[None]], "the user table lists a null module"),
        ("user_id", ["u1", "u1"], "two users of workspace 'w1' have the id 'u1'"),
    ],
)
def test_count_month_end_refuses_bad_user_columns(
    column: str, values: list[Any], message: str
) -> None:
    """Bad user rows are refused with a licbill error naming the value."""
    _, users, groups = seat_tables(*(lb.User(id=f"u{n}", username="a") for n in range(len(values))))
    workspaces, _, _ = seat_tables()
    with pytest.raises(lb.InvalidValueError, match=message):
        arrow.count_month_end(
            workspaces=workspaces, users=replaced(users, column, values), groups=groups
        )


def test_count_month_end_refuses_an_unknown_edition() -> None:
    """An edition the legacy model does not have is refused."""
    workspaces, users, groups = seat_tables(edition=lb.LegacyEdition.ADAPT)
    with pytest.raises(lb.InvalidValueError, match="unknown edition 'Gold'"):
        arrow.count_month_end(
            workspaces=replaced(workspaces, "edition", ["Gold"]), users=users, groups=groups
        )


def test_count_month_end_refuses_an_unknown_legacy_seats_rule() -> None:
    """A legacy_seats value licbill does not have is refused."""
    workspaces, users, groups = seat_tables(edition=lb.LegacyEdition.ADAPT)
    with pytest.raises(lb.InvalidValueError, match="unknown legacy_seats 'some'"):
        arrow.count_month_end(
            workspaces=replaced(workspaces, "legacy_seats", ["some"]), users=users, groups=groups
        )


def test_count_month_end_refuses_a_workspace_twice() -> None:
    """The workspace table holds each workspace once."""
    workspaces, users, groups = seat_tables()
    twice = pa.concat_tables([workspaces, workspaces])
    with pytest.raises(lb.InvalidValueError, match="one workspace_id"):
        arrow.count_month_end(workspaces=twice, users=users, groups=groups)


@pytest.mark.parametrize(
    "entry",
    [
        ("w1", [], []),
        (lb.Workspace(id="w1", created_on=dt.date(2024, 6, 1)), ["u1"], []),
        (lb.Workspace(id="w1", created_on=dt.date(2024, 6, 1)), [], ["g1"]),
    ],
)
def test_directory_tables_refuse_other_values(entry: tuple[Any, Any, Any]) -> None:
    """directory_tables names a value that is not a workspace, user or group."""
    with pytest.raises(lb.InvalidTypeError, match="not a licbill"):
        arrow.directory_tables([entry])


def test_optional_modules_load_on_first_use() -> None:
    """lb.arrow is the optional module; other unknown attributes stay errors."""
    assert lb.arrow is arrow
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = lb.nothing  # type: ignore[attr-defined]


def test_decimal_columns_are_exact() -> None:
    """A prorated effective unit price keeps its ten places in the decimal column."""
    day = dt.date(2024, 1, 1)
    events = [
        lb.Purchase(subscription_id="S1", on=day, sku=EUR, quantity=2),
        lb.ChangeQuantity(subscription_id="S1", on=dt.date(2024, 1, 11), quantity=3),
    ]
    lines = lb.charge_lines(events, through=dt.date(2024, 1, 11), rulebook=BOOK)
    column = lines.to_arrow().column("effective_unit_price").to_pylist()
    assert column == [line.effective_unit_price.amount for line in lines]
    assert any(value != value.quantize(Decimal("0.01")) for value in column)


def many_workspaces(extra: tuple[lb.User, ...] = ()) -> list[Any]:
    """Three hundred small workspaces with ids of their own, one sharing its users' ids."""
    entries = []
    for n in range(300):
        edition = lb.LegacyEdition.SIMPLIFY if n % 3 == 0 else None
        created = dt.date(2023, 1, 1) if edition else dt.date(2024, 6, 1)
        rule = lb.LegacySeats.EVERY_ACTIVE_USER if n % 6 == 0 else lb.LegacySeats.NEEDS_MODULE
        workspace = lb.Workspace(id=f"w{n}", created_on=created, edition=edition, legacy_seats=rule)
        group = lb.Group(id=f"g{n}", modules={list(lb.Module)[n % 3]} if n % 4 else set())
        users = (
            lb.User(id="shared", username="s", guest=n % 2 == 1, groups={f"g{n}"}),
            lb.User(id=f"own{n}", username="o", modules={lb.Module.ENGAGE}),
        )
        entries.append((workspace, users + (extra if n == 7 else ()), (group,)))
    return entries


def test_count_month_end_agrees_over_many_small_workspaces() -> None:
    """Many workspaces of few users (sparse keys) count as count_seats counts them."""
    entries = many_workspaces()
    expected = [
        {"workspace_id": ws.id, "product": p.value, "user_kind": k.value, "seats": c.month_end}
        for ws, users, groups in entries
        for (p, k), c in lb.count_seats(
            ws, users=users, groups=groups, month=lb.Month(2024, 7)
        ).items()
    ]
    workspaces, users, groups = arrow.directory_tables(entries)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.to_pylist() == expected


def test_count_month_end_refuses_a_user_twice_among_many_workspaces() -> None:
    """A second user of one id in one workspace is refused, among many workspaces."""
    entries = many_workspaces((lb.User(id="shared", username="again"),))
    workspaces, users, groups = arrow.directory_tables(entries)
    with pytest.raises(lb.InvalidValueError, match="two users of workspace 'w7' have the id"):
        arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)


def test_count_month_end_refuses_a_group_of_an_unknown_workspace() -> None:
    """A group of a workspace the workspace table lacks is refused, naming both."""
    _workspaces, users, groups = seat_tables()
    with pytest.raises(lb.InvalidValueError, match="group 'g1' belongs to workspace 'w1'"):
        arrow.count_month_end(
            workspaces=arrow.WORKSPACE_SCHEMA.empty_table(), users=users, groups=groups
        )


def test_null_lists_hold_nothing() -> None:
    """A null modules or groups list is an empty one; other rows keep their modules."""
    people = [
        lb.User(id="u0", username="a", groups={"g1"}),
        lb.User(id="u1", username="b", modules={lb.Module.UNIFY}),
    ]
    workspaces, users, groups = seat_tables(*people)
    users = replaced(users, "groups", [["g1"], None])
    users = replaced(users, "modules", [None, ["Unify"]])
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.select(["product", "seats"]).to_pylist() == [
        {"product": "Hybrid", "seats": 1},
        {"product": "Unify", "seats": 1},
    ]


# Hostile input -----------------------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.binary(max_size=4),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
)
CALLS: dict[str, Any] = {
    "events_to_table": lambda v: arrow.events_to_table(v),
    "events_from_table.table": lambda v: arrow.events_from_table(v, skus={}),
    "events_from_table.skus": lambda v: arrow.events_from_table(purchase_table(), skus=v),
    "lines_to_batch": lambda v: arrow.lines_to_batch(v),
    "charge_batches.through": lambda v: arrow.charge_batches(skus={}, through=v, rulebook=BOOK),
    "count_month_end.users": lambda v: arrow.count_month_end(
        workspaces=arrow.WORKSPACE_SCHEMA.empty_table(),
        users=v,
        groups=arrow.GROUP_SCHEMA.empty_table(),
    ),
    "directory_tables": lambda v: arrow.directory_tables(v),
    "directory_tables.entry": lambda v: arrow.directory_tables([v]),
    "directory_tables.users": lambda v: arrow.directory_tables(
        [(lb.Workspace(id="w", created_on=dt.date(2024, 2, 1)), v, ())]
    ),
    "merge_charge_lines": lambda v: lb.merge_charge_lines(v),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=20)
@given(value=JUNK)
def test_wrong_values_meet_a_licbill_error(call: str, value: Any) -> None:
    """Any wrong value passed to the column functions raises a licbill error, nothing else."""
    try:
        CALLS[call](value)
    except lb.LicbillError as error:
        caught: Exception | None = error
    else:
        caught = None
    if caught is not None:
        assert isinstance(caught, TypeError | ValueError | LookupError)
        assert str(caught)
