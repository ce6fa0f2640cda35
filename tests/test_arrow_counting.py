"""Month-end counting over columns: any row order, chunking, null lists and long lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import workspace_months

pa = pytest.importorskip("pyarrow")
arrow = pytest.importorskip("licbill.arrow")

from arrow_months import month_end_rows  # noqa: E402 (after the extra's skip)


def rechunked(table: Any, order: list[int], chunk: int) -> Any:
    """*table*'s rows in *order*, in record batches of *chunk* rows (0: one offset chunk)."""
    taken = table.take(pa.array(order, pa.int64()))
    if not chunk:
        return offset_chunk(taken)
    return pa.Table.from_batches(taken.to_batches(max_chunksize=chunk), schema=table.schema)


def offset_chunk(table: Any) -> Any:
    """*table* in one chunk per column that starts past the front of its buffers."""
    return pa.concat_tables([table, table]).combine_chunks().slice(table.num_rows)


def empty_lists_as_nulls(table: Any, name: str) -> Any:
    """*table* with each empty list of column *name* null."""
    column = table.column(name)
    nulls = pa.compute.equal(pa.compute.list_value_length(column), 0)
    values = pa.compute.if_else(nulls, pa.nulls(len(column), column.type), column)
    return table.set_column(table.schema.get_field_index(name), name, values)


@given(
    months=st.lists(workspace_months(max_users=8), min_size=1, max_size=3),
    data=st.data(),
    per_module=st.booleans(),
)
def test_count_month_end_ignores_row_order_and_chunks(
    months: list[Any], data: st.DataObject, per_module: bool
) -> None:
    """Users in any order and chunking (one chunk past its buffers' front too), empty lists
    as nulls, each module counted apart or packed: the same counts as count_seats."""
    entries, expected = month_end_rows(months)
    workspaces, users, groups = arrow.directory_tables(entries)
    order = data.draw(st.permutations(range(users.num_rows)))
    if data.draw(st.booleans()):
        workspaces = offset_chunk(workspaces)
    users = rechunked(users, list(order), data.draw(st.integers(0, 8)))
    if data.draw(st.booleans()):
        users = empty_lists_as_nulls(empty_lists_as_nulls(users, "modules"), "groups")
    group_order = data.draw(st.permutations(range(groups.num_rows)))
    groups = rechunked(groups, list(group_order), data.draw(st.integers(0, 8)))
    with pytest.MonkeyPatch.context() as patch:
        if per_module:  # every row counts as long enough to carry out of a packed field
            patch.setattr(arrow, "_PACKED_BELOW", 1)
        got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.to_pylist() == expected


def two_workspaces(status: lb.UserStatus) -> tuple[Any, Any, Any]:
    """w1 with group g1 (Hybrid); w2 with no group and a user naming g1 besides its own Unify."""
    first = lb.Workspace(id="w1", created_on=dt.date(2024, 6, 1))
    second = lb.Workspace(id="w2", created_on=dt.date(2024, 6, 1))
    group = lb.Group(id="g1", modules={lb.Module.HYBRID})
    owner = lb.User(id="u1", username="a", groups={"g1"})
    stranger = lb.User(
        id="u2", username="b", modules={lb.Module.UNIFY}, groups={"g1"}, status=status
    )
    return arrow.directory_tables([(first, [owner], [group]), (second, [stranger], [])])


def test_group_of_another_workspace_is_unknown() -> None:
    """An active user naming a group that only another workspace has is refused."""
    workspaces, users, groups = two_workspaces(lb.UserStatus.ACTIVE)
    with pytest.raises(lb.UnknownGroupError, match="user 'u2' belongs to group 'g1'"):
        arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)


def test_inactive_user_of_a_group_of_another_workspace_holds_nothing() -> None:
    """An inactive user's group of another workspace neither fails nor gives a seat."""
    workspaces, users, groups = two_workspaces(lb.UserStatus.INACTIVE)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.to_pylist() == [
        {"workspace_id": "w1", "product": "Hybrid", "user_kind": "regular", "seats": 1}
    ]


@pytest.mark.parametrize("packed_below", [1, 2, 3, 1 << 20])
def test_long_lists_count_each_module_once(
    monkeypatch: pytest.MonkeyPatch, packed_below: int
) -> None:
    """A user in many groups of one module holds one seat of it, however long its lists."""
    monkeypatch.setattr(arrow, "_PACKED_BELOW", packed_below)
    space = lb.Workspace(id="w1", created_on=dt.date(2024, 6, 1))
    teams = [lb.Group(id=f"g{n}", modules={lb.Module.ENGAGE}) for n in range(6)]
    user = lb.User(id="u1", username="a", modules={lb.Module.ENGAGE}, groups={t.id for t in teams})
    workspaces, users, groups = arrow.directory_tables([(space, [user], teams)])
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.select(["product", "seats"]).to_pylist() == [{"product": "Engage", "seats": 1}]


@pytest.mark.parametrize("spaces", [0, 1, 3])
def test_no_users_count_nothing(spaces: int) -> None:
    """Workspaces without users, or no workspaces at all, give an empty count table."""
    entries = [
        (lb.Workspace(id=f"w{n}", created_on=dt.date(2024, 6, 1)), [], [lb.Group(id="g1")])
        for n in range(spaces)
    ]
    workspaces, users, groups = arrow.directory_tables(entries)
    got = arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
    assert got.num_rows == 0
    assert got.schema == arrow.COUNT_SCHEMA


def test_module_fields_are_wide_enough() -> None:
    """Each module's field in a packed count is at least as wide as there are modules."""
    assert len(lb.Module) <= arrow._FIELD


def test_unknown_workspace_is_named_among_runs() -> None:
    """Among users listed workspace by workspace, the first user of an unknown one is named."""
    held = lb.Workspace(id="w1", created_on=dt.date(2024, 6, 1))
    gone = lb.Workspace(id="w9", created_on=dt.date(2024, 6, 1))
    people = [lb.User(id=f"u{n}", username="a") for n in range(10)]
    workspaces, _, _ = arrow.directory_tables([(held, people, [])])
    _, users, groups = arrow.directory_tables([(held, people, []), (gone, people, [])])
    with pytest.raises(lb.InvalidValueError, match="user 'u0' belongs to workspace 'w9'"):
        arrow.count_month_end(workspaces=workspaces, users=users, groups=groups)
