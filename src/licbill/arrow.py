"""Columns: charge lines, events and seat counts as Apache Arrow tables (extra ``arrow``).

``pip install 'licbill[arrow]'``. Nothing here computes an amount: lines come from
:func:`licbill.charge_lines` (or :func:`licbill.iter_charge_lines`), seat rules from the
workspace model; this module only moves values between licbill objects and columns, and counts
month-end seats over whole columns at once. See ``docs/scale-out.md``.

- :data:`LINE_SCHEMA`: one column per :class:`~licbill.ChargeLine` field, dates as ``date32``,
  money as ``decimal128(38, 10)`` (exact; built from each distinct amount's string, never one
  ``Decimal`` conversion per line) plus one ``currency`` column;
- :data:`EVENT_SCHEMA`: one wide table for every event type, an ``event_type`` column and
  nullable columns for the fields of each type (:data:`EVENT_COLUMNS`);
- :func:`charge_batches`: a function from event record batches to line record batches, usable
  as-is with Spark's ``mapInArrow``, over events partitioned by :func:`partition_keys` (which
  keeps subscriptions linked by a partial upgrade together); :func:`merge_line_tables` puts the
  partitions' lines back into the single-run order;
- :func:`count_month_end`: month-end seats of many workspaces from Arrow tables of users and
  groups.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from licbill.charges import iter_charge_lines
from licbill.errors import (
    InvalidTypeError,
    InvalidValueError,
    LicbillError,
    MissingDependencyError,
    UnknownGroupError,
)
from licbill.legacy import seat_products
from licbill.lines import RECORD_FIELDS, ChargeLine, ChargeTypeName
from licbill.models import (
    Billing,
    Cancel,
    ChangeBillingPlan,
    ChangeQuantity,
    ConvertSku,
    ConvertTrial,
    Event,
    Purchase,
    ScheduleChange,
    SetAutoRenew,
    Sku,
    Term,
)
from licbill.money import Money
from licbill.partitions import merge_order
from licbill.periods import check_date
from licbill.proration import EUP_PLACES
from licbill.rulebooks import Rulebook
from licbill.workspace import (
    Group,
    LegacyEdition,
    LegacySeats,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
)

try:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError as error:  # pragma: no cover - the test extra installs pyarrow
    raise MissingDependencyError(
        "licbill.arrow needs pyarrow: pip install 'licbill[arrow]'"
    ) from error

__all__ = [
    "BATCH_LINES",
    "COUNT_SCHEMA",
    "EVENT_COLUMNS",
    "EVENT_SCHEMA",
    "GROUP_SCHEMA",
    "LINE_SCHEMA",
    "MONEY_TYPE",
    "PARTITION_KEY",
    "USER_SCHEMA",
    "WORKSPACE_SCHEMA",
    "ColumnKind",
    "EventColumn",
    "charge_batches",
    "count_month_end",
    "directory_tables",
    "events_from_table",
    "events_to_table",
    "lines_to_batch",
    "lines_to_table",
    "linked_subscriptions",
    "merge_line_tables",
    "partition_keys",
]

#: Money columns: exact decimals with room for the effective unit price's places.
MONEY_TYPE: Final = pa.decimal128(38, EUP_PLACES)

#: Lines per record batch that :func:`charge_batches` yields.
BATCH_LINES: Final = 65_536


# Values to columns ---------------------------------------------------------------------------


def _by_identity(values: Sequence[Any], convert: Callable[[Any], Any], kind: pa.DataType) -> Any:
    # Lines share their SKU's prices, charge types and full-cycle totals: each distinct object
    # is converted once, then taken into place by index.
    if not values:
        return pa.array([], kind)
    ids = pc.dictionary_encode(pa.array(list(map(id, values)), pa.int64()))
    positions = ids.indices.to_numpy()
    # One row of each distinct object (any row will do: they hold the same object).
    first = np.empty(len(ids.dictionary), np.int64)
    first[positions] = np.arange(len(positions))
    uniques = [convert(values[n]) for n in first.tolist()]
    return pa.array(uniques, kind).take(ids.indices)


def _money_column(values: Sequence[Money]) -> Any:
    strings = _by_identity(values, lambda money: str(money.amount), pa.string())
    try:
        return strings.cast(MONEY_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InvalidValueError(
            f"an amount does not fit decimal128(38, {EUP_PLACES}): {error}"
        ) from None


class _LineColumn(NamedTuple):
    name: str
    kind: pa.DataType
    nullable: bool
    convert: Callable[[Sequence[Any]], Any]


def _plain(kind: pa.DataType) -> Callable[[Sequence[Any]], Any]:
    return lambda values: pa.array(values, kind)


def _line_columns() -> tuple[_LineColumn, ...]:
    # LINE_SCHEMA follows ChargeLine's fields, in their order; a field of a type not listed
    # here fails at import, so a new field is never dropped from the columns unnoticed.
    by_type: dict[Any, tuple[pa.DataType, Callable[[Sequence[Any]], Any]]] = {
        str: (pa.string(), _plain(pa.string())),
        int: (pa.int64(), _plain(pa.int64())),
        bool: (pa.bool_(), _plain(pa.bool_())),
        dt.date: (pa.date32(), _plain(pa.date32())),
        Money: (MONEY_TYPE, _money_column),
        ChargeTypeName: (
            pa.string(),
            lambda values: _by_identity(values, str, pa.string()),
        ),
        Term: (pa.string(), lambda values: _by_identity(values, lambda t: t.name, pa.string())),
        Billing: (
            pa.string(),
            lambda values: _by_identity(values, lambda b: b.value, pa.string()),
        ),
        tuple[str, ...]: (
            pa.list_(pa.string()),
            lambda values: _by_identity(values, list, pa.list_(pa.string())),
        ),
    }
    hints = typing.get_type_hints(ChargeLine)
    columns: list[_LineColumn] = []
    for name in RECORD_FIELDS:
        hint, nullable = hints[name], False
        if typing.get_origin(hint) in (typing.Union, _UNION_TYPE):
            rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            hint, nullable = rest[0], True
        if hint not in by_type:  # pragma: no cover - a new ChargeLine field of a new type
            raise TypeError(f"ChargeLine.{name} is a {hint}: give LINE_SCHEMA a column for it")
        kind, convert = by_type[hint]
        columns.append(_LineColumn(name, kind, nullable, convert))
    # One currency column for every amount of a line, after the last money column.
    last_money = max(n for n, column in enumerate(columns) if column.kind == MONEY_TYPE)
    currency = _LineColumn("currency", pa.string(), False, _plain(pa.string()))
    columns.insert(last_money + 1, currency)
    return tuple(columns)


_UNION_TYPE = type(int | None)
_CURRENCY = attrgetter("currency")
_LINE_COLUMNS: Final = _line_columns()

#: The columns of charge lines: :class:`~licbill.ChargeLine`'s fields in order, and ``currency``.
LINE_SCHEMA: Final = pa.schema(
    [pa.field(column.name, column.kind, nullable=column.nullable) for column in _LINE_COLUMNS]
)


def lines_to_batch(lines: Sequence[ChargeLine]) -> Any:
    """Return *lines* as one ``pyarrow.RecordBatch`` in :data:`LINE_SCHEMA`.

    Raises :class:`~licbill.InvalidTypeError` for anything but charge lines.
    """
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence):
        raise InvalidTypeError(f"lines must be a sequence of licbill.ChargeLine, not {lines!r}")
    if not set(map(type, lines)) <= {ChargeLine}:
        culprit = next(line for line in lines if not isinstance(line, ChargeLine))
        raise InvalidTypeError(f"not a licbill.ChargeLine: {culprit!r}")
    values = {
        name: list(map(itemgetter(n), lines))
        for n, name in enumerate(ChargeLine._fields)
        if name in RECORD_FIELDS
    }
    values["currency"] = list(map(_CURRENCY, values["total"]))
    arrays = [column.convert(values[column.name]) for column in _LINE_COLUMNS]
    return pa.RecordBatch.from_arrays(arrays, schema=LINE_SCHEMA)


def lines_to_table(lines: Sequence[ChargeLine]) -> Any:
    """Return *lines* as a ``pyarrow.Table`` in :data:`LINE_SCHEMA` (``ChargeLines.to_arrow``)."""
    return pa.Table.from_batches([lines_to_batch(lines)], schema=LINE_SCHEMA)


def merge_line_tables(*tables: Any) -> Any:
    """Merge the line tables of partitions (each in its run order) into the single-run order.

    The columnar :func:`licbill.merge_charge_lines`: each table (or record batch) in
    :data:`LINE_SCHEMA` holds the lines of one partition, as :func:`charge_batches` or
    :func:`licbill.dask.charge_lines` give them. Returns one table in :data:`LINE_SCHEMA`.
    Raises :class:`~licbill.InvalidValueError` when two tables bill one subscription or a table
    is not in run order.
    """
    parts = [_columns_of(table, LINE_SCHEMA, f"line table {n}") for n, table in enumerate(tables)]
    keys = [
        list(
            zip(
                part["order_date"].to_pylist(),
                part["subscription_id"].to_pylist(),
                part["reference_id"].to_pylist(),
                strict=True,
            )
        )
        for part in parts
    ]
    order = merge_order(*keys)
    whole = pa.concat_tables(
        [pa.table(part, schema=LINE_SCHEMA) for part in parts] or [LINE_SCHEMA.empty_table()]
    )
    starts = np.cumsum([0] + [len(k) for k in keys])
    return whole.take(pa.array([int(starts[n]) + i for n, i in order], pa.int64()))


# Events --------------------------------------------------------------------------------------


class ColumnKind(NamedTuple):
    """How one event field is held in a column: its Arrow type, and the way there and back."""

    arrow: pa.DataType
    #: The column's value for a field's value.
    out: Callable[[Any], Any]
    #: The field's value for a column's value, given the ``skus`` mapping; raises LookupError.
    back: Callable[[Any, Mapping[str, Sku]], Any]


def _same(value: Any, _skus: Mapping[str, Sku]) -> Any:
    return value


_STR = ColumnKind(pa.string(), lambda value: value, _same)
_DATE = ColumnKind(pa.date32(), lambda value: value, _same)
_INT = ColumnKind(pa.int64(), lambda value: value, _same)
_BOOL = ColumnKind(pa.bool_(), lambda value: value, _same)
#: A SKU is held as its id; reading a table looks it up in the ``skus`` mapping.
_SKU = ColumnKind(pa.string(), lambda sku: sku.id, lambda sku_id, skus: skus[sku_id])


class EventColumn(NamedTuple):
    """One event field held in a column of :data:`EVENT_SCHEMA`."""

    field: str
    column: str
    kind: ColumnKind


#: The columns of every event type beyond the common ones (``event_type``, ``subscription_id``,
#: ``on``, ``event_id``): one entry per event class. A column shared by several types (such as
#: ``quantity``) has one type everywhere.
EVENT_COLUMNS: Final[Mapping[type, tuple[EventColumn, ...]]] = MappingProxyType(
    {
        Purchase: (
            EventColumn("sku", "sku_id", _SKU),
            EventColumn("quantity", "quantity", _INT),
            EventColumn("trial", "trial", _BOOL),
            EventColumn("auto_renew", "auto_renew", _BOOL),
            EventColumn("custom_term_end", "custom_term_end", _DATE),
            EventColumn("customer_id", "customer_id", _STR),
        ),
        ConvertSku: (
            EventColumn("to", "to_sku_id", _SKU),
            EventColumn("quantity", "quantity", _INT),
            EventColumn("target_subscription_id", "target_subscription_id", _STR),
        ),
        ChangeQuantity: (EventColumn("quantity", "quantity", _INT),),
        Cancel: (),
        SetAutoRenew: (EventColumn("enabled", "enabled", _BOOL),),
        ChangeBillingPlan: (EventColumn("to", "to_sku_id", _SKU),),
        ScheduleChange: (
            EventColumn("quantity", "quantity", _INT),
            EventColumn("to", "to_sku_id", _SKU),
        ),
        ConvertTrial: (),
    }
)

_COMMON: Final = (
    EventColumn("subscription_id", "subscription_id", _STR),
    EventColumn("on", "on", _DATE),
    EventColumn("event_id", "event_id", _STR),
)
_TYPES: Final = {cls.__name__: cls for cls in EVENT_COLUMNS}


def _event_schema() -> Any:
    fields = [
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("subscription_id", pa.string(), nullable=False),
        pa.field("on", pa.date32(), nullable=False),
        pa.field("event_id", pa.string()),
    ]
    kinds: dict[str, ColumnKind] = {}
    for cls, columns in EVENT_COLUMNS.items():
        for column in columns:
            if kinds.setdefault(column.column, column.kind) != column.kind:
                raise TypeError(  # pragma: no cover - a mistake in EVENT_COLUMNS itself
                    f"column {column.column!r} of {cls.__name__} changes its type"
                )
    fields += [pa.field(name, kind.arrow) for name, kind in kinds.items()]
    return pa.schema(fields)


#: One wide table for every event type: ``event_type`` names the class (``"Purchase"``), the
#: columns of other types' fields are null.
EVENT_SCHEMA: Final = _event_schema()


def events_to_table(events: Iterable[Event]) -> Any:
    """Return *events* as a ``pyarrow.Table`` in :data:`EVENT_SCHEMA`, one row each, in order.

    SKUs are held by id: :func:`events_from_table` needs the SKUs back as a mapping. Raises
    :class:`~licbill.InvalidTypeError` for anything but a licbill event.
    """
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidTypeError(f"events must be an iterable of licbill events, not {events!r}")
    rows = list(events)
    columns: dict[str, list[Any]] = {name: [None] * len(rows) for name in EVENT_SCHEMA.names}
    types = columns["event_type"]
    for n, event in enumerate(rows):
        cls = type(event)
        if cls not in EVENT_COLUMNS:
            raise InvalidTypeError(f"not a licbill event: {event!r}")
        types[n] = cls.__name__
        for column in (*_COMMON, *EVENT_COLUMNS[cls]):
            value = getattr(event, column.field)
            if value is not None:
                columns[column.column][n] = column.kind.out(value)
    return pa.table(columns, schema=EVENT_SCHEMA)


def _check_skus(skus: Any) -> Mapping[str, Sku]:
    if not isinstance(skus, Mapping):
        raise InvalidTypeError(f"skus must map SKU ids to licbill.Sku, not {skus!r}")
    for sku_id, sku in skus.items():
        if not isinstance(sku, Sku):
            raise InvalidTypeError(f"skus[{sku_id!r}] is not a licbill.Sku: {sku!r}")
        if sku.id != sku_id:
            raise InvalidValueError(f"skus[{sku_id!r}] holds the SKU {sku.id!r}")
    return skus


def _columns_of(table: Any, schema: Any, what: str) -> dict[str, Any]:
    """The columns of *table* cast to *schema*; missing nullable columns are all null."""
    if not isinstance(table, pa.Table | pa.RecordBatch):
        raise InvalidTypeError(f"{what} must be a pyarrow Table or RecordBatch, not {table!r}")
    unknown = sorted(set(table.schema.names) - set(schema.names))
    if unknown:
        raise InvalidValueError(f"{what} has unknown columns {unknown} (expected {schema.names})")
    columns: dict[str, Any] = {}
    for field in schema:
        if field.name not in table.schema.names:
            if not field.nullable:
                raise InvalidValueError(f"{what} has no column {field.name!r}")
            columns[field.name] = pa.nulls(table.num_rows, field.type)
            continue
        column = table.column(field.name)
        try:
            column = column.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise InvalidValueError(
                f"{what} column {field.name!r} of type {column.type} is not {field.type}: {error}"
            ) from None
        if not field.nullable and column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise InvalidValueError(f"{what} row {row}: column {field.name!r} is null")
        columns[field.name] = column
    return columns


def _required(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING)


_REQUIRED: Final = {cls: _required(cls) for cls in EVENT_COLUMNS}


def events_from_table(table: Any, *, skus: Mapping[str, Sku]) -> list[Event]:
    """Return the events of *table* (in :data:`EVENT_SCHEMA`), in row order.

    *skus* maps each SKU id to its :class:`~licbill.Sku`. Columns may be of any type that casts
    to the schema's (``large_string``, timestamps at midnight); a missing column of per-event
    fields is read as null. A null field takes the event's default. Raises a licbill error naming
    the row and column for an unknown column, event type or SKU id, a value set on a column that
    the row's event type does not have, or a value the event refuses.
    """
    checked = _check_skus(skus)
    columns = _columns_of(table, EVENT_SCHEMA, "the event table")
    values = {name: column.to_pylist() for name, column in columns.items()}
    own = {cls: (*_COMMON, *extra) for cls, extra in EVENT_COLUMNS.items()}
    owned = {cls: {column.column for column in cols} for cls, cols in own.items()}
    others = [name for name in EVENT_SCHEMA.names if name != "event_type"]
    events: list[Event] = []
    for row, type_name in enumerate(values["event_type"]):
        cls = _TYPES.get(type_name)
        if cls is None:
            raise InvalidValueError(
                f"the event table row {row}: unknown event_type {type_name!r} "
                f"(expected one of {sorted(_TYPES)})"
            )
        for name in others:
            if name not in owned[cls] and values[name][row] is not None:
                raise InvalidValueError(
                    f"the event table row {row}: a {type_name} has no {name!r} "
                    f"(got {values[name][row]!r})"
                )
        arguments: dict[str, Any] = {}
        for column in own[cls]:
            value = values[column.column][row]
            if value is None:
                if column.field in _REQUIRED[cls]:
                    raise InvalidValueError(
                        f"the event table row {row}: a {type_name} needs {column.column!r}"
                    )
                continue
            try:
                arguments[column.field] = column.kind.back(value, checked)
            except LookupError:
                raise InvalidValueError(
                    f"the event table row {row}: column {column.column!r} names {value!r}, "
                    "which skus does not hold"
                ) from None
        try:
            events.append(cls(**arguments))
        except LicbillError as error:
            raise type(error)(f"the event table row {row}: {error}") from None
    return events


# Billing runs over record batches --------------------------------------------------------------


def charge_batches(
    *, skus: Mapping[str, Sku], through: dt.date, rulebook: Rulebook
) -> Callable[[Iterable[Any]], Iterator[Any]]:
    """Return a function from event record batches to line record batches.

    The function reads every batch it is given (one partition: :data:`EVENT_SCHEMA` columns,
    every event of each subscription in it), bills the events as :func:`licbill.charge_lines`
    does with *through* and *rulebook*, and yields the lines in :data:`LINE_SCHEMA` batches of
    at most :data:`BATCH_LINES` lines, in the single-run order of that partition. It is usable
    as-is with Spark's ``mapInArrow`` once the events are partitioned by
    :func:`partition_keys` (``docs/scale-out.md``).
    Arguments are checked here, before any batch is read.
    """
    checked = dict(_check_skus(skus))
    check_date(through, "through")
    if not isinstance(rulebook, Rulebook):
        raise InvalidTypeError(f"rulebook must be a licbill.Rulebook, not {rulebook!r}")

    def charge(batches: Iterable[Any]) -> Iterator[Any]:
        events: list[Event] = []
        for batch in batches:
            events += events_from_table(batch, skus=checked)
        events.sort(key=_on)  # stable: one subscription's same-day events keep their order
        lines = iter_charge_lines(events, through=through, rulebook=rulebook)
        while chunk := list(islice(lines, BATCH_LINES)):
            yield lines_to_batch(chunk)

    return charge


def _on(event: Event) -> dt.date:
    return event.on


# Partition keys: subscriptions linked by partial upgrades ------------------------------------

#: The column :mod:`licbill.dask` adds to shuffle events by; see :func:`partition_keys`.
PARTITION_KEY: Final = "partition_key"


def _string_column(table: Any, name: str) -> Any:
    try:
        return table.column(name).cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise InvalidValueError(f"the event table column {name!r} is not text: {error}") from None


def linked_subscriptions(table: Any) -> dict[str, str]:
    """Map every subscription a partial upgrade links to the partition key of its group.

    *table* holds events in :data:`EVENT_SCHEMA` columns, or only their ``subscription_id``
    and ``target_subscription_id`` columns (the partial upgrades alone will do). Subscriptions
    joined by a partial upgrade (source and target), directly or through others, form one group;
    its key is the smallest subscription id in it. A subscription not in the result is its own
    key. Raises :class:`~licbill.InvalidValueError` for a missing ``subscription_id`` column or
    a partial upgrade without one.
    """
    if not isinstance(table, pa.Table | pa.RecordBatch):
        raise InvalidTypeError(f"the event table must be a pyarrow Table or RecordBatch: {table!r}")
    if "subscription_id" not in table.schema.names:
        raise InvalidValueError("the event table has no column 'subscription_id'")
    if "target_subscription_id" not in table.schema.names:
        return {}
    targets = _string_column(table, "target_subscription_id")
    upgrades = pc.is_valid(targets)
    sources = pc.filter(_string_column(table, "subscription_id"), upgrades).to_pylist()
    parent: dict[str, str] = {}

    def root(sub_id: str) -> str:
        while (up := parent.setdefault(sub_id, sub_id)) != sub_id:
            parent[sub_id] = parent[up]  # path halving
            sub_id = parent[sub_id]
        return sub_id

    for row, (source, target) in enumerate(
        zip(sources, pc.filter(targets, upgrades).to_pylist(), strict=True)
    ):
        if source is None:
            raise InvalidValueError(
                f"partial upgrade {row} of the event table (to {target!r}) has no subscription_id"
            )
        first, second = sorted((root(source), root(target)))
        parent[second] = first
    return {sub_id: root(sub_id) for sub_id in parent}


def partition_keys(table: Any) -> Any:
    """Return the partition key of each row of an event table, as a ``pyarrow`` string array.

    Partition events by this key (not by ``subscription_id`` alone) so that each partition holds
    every event of the subscriptions it bills, including both ends of a partial upgrade: the
    key is the subscription id, or for subscriptions linked by partial upgrades the smallest id
    of their group (:func:`linked_subscriptions`). The links are those of *table* as a whole:
    compute the keys over all the events of a run, before partitioning.
    """
    links = linked_subscriptions(table)
    subs = _string_column(table, "subscription_id")
    if isinstance(subs, pa.ChunkedArray):
        subs = subs.combine_chunks()
    if not links:
        return subs
    where = pc.index_in(subs, value_set=pa.array(list(links), pa.string()))
    keys = pa.array(list(links.values()), pa.string()).take(where)
    return pc.if_else(pc.is_valid(where), keys, subs)


# Month-end seat counting over columns -----------------------------------------------------------

#: One row per workspace: its id, its legacy edition (null for the modules model) and which
#: active legacy users hold an edition seat (a :class:`~licbill.LegacySeats` value; null reads
#: as the default, ``needs-module``).
WORKSPACE_SCHEMA: Final = pa.schema(
    [
        pa.field("workspace_id", pa.string(), nullable=False),
        pa.field("edition", pa.string()),
        pa.field("legacy_seats", pa.string()),
    ]
)
#: One row per user, as on the month's last day: modules and group ids as lists of strings.
USER_SCHEMA: Final = pa.schema(
    [
        pa.field("workspace_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("guest", pa.bool_(), nullable=False),
        pa.field("modules", pa.list_(pa.string())),
        pa.field("groups", pa.list_(pa.string())),
    ]
)
#: One row per group, as on the month's last day.
GROUP_SCHEMA: Final = pa.schema(
    [
        pa.field("workspace_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string(), nullable=False),
        pa.field("modules", pa.list_(pa.string())),
    ]
)
#: The result of :func:`count_month_end`: seats per workspace, product and user kind.
COUNT_SCHEMA: Final = pa.schema(
    [
        pa.field("workspace_id", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("user_kind", pa.string(), nullable=False),
        pa.field("seats", pa.int64(), nullable=False),
    ]
)

_MODULES: Final = tuple(Module)
_EDITIONS: Final = tuple(LegacyEdition)
#: Products in invoice order: editions, then modules; the column of each in the count matrix.
_PRODUCTS: Final = (*_EDITIONS, *_MODULES)
_KINDS: Final = (UserKind.REGULAR, UserKind.GUEST)
_RULES: Final = tuple(LegacySeats)


def directory_tables(
    entries: Iterable[tuple[Workspace, Iterable[User], Iterable[Group]]],
) -> tuple[Any, Any, Any]:
    """Return ``(workspaces, users, groups)`` tables for :func:`count_month_end`.

    *entries* holds, per workspace, its users and groups as on the month's last day.
    """
    ws_rows: dict[str, list[Any]] = {name: [] for name in WORKSPACE_SCHEMA.names}
    user_rows: dict[str, list[Any]] = {name: [] for name in USER_SCHEMA.names}
    group_rows: dict[str, list[Any]] = {name: [] for name in GROUP_SCHEMA.names}
    if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
        raise InvalidTypeError(f"entries must be (workspace, users, groups) tuples: {entries!r}")
    for entry in entries:
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise InvalidTypeError(f"not a (workspace, users, groups) tuple: {entry!r}")
        workspace, users, groups = entry
        if not isinstance(workspace, Workspace):
            raise InvalidTypeError(f"not a licbill.Workspace: {workspace!r}")
        for what, values in (("users", users), ("groups", groups)):
            if isinstance(values, str | bytes) or not isinstance(values, Iterable):
                raise InvalidTypeError(f"the {what} of {workspace.id!r} are not a collection")
        ws_rows["workspace_id"].append(workspace.id)
        ws_rows["edition"].append(workspace.edition.value if workspace.edition else None)
        ws_rows["legacy_seats"].append(workspace.legacy_seats.value)
        for user in users:
            if not isinstance(user, User):
                raise InvalidTypeError(f"not a licbill.User: {user!r}")
            user_rows["workspace_id"].append(workspace.id)
            user_rows["user_id"].append(user.id)
            user_rows["status"].append(user.status.value)
            user_rows["guest"].append(user.guest)
            user_rows["modules"].append(sorted(m.value for m in user.modules))
            user_rows["groups"].append(sorted(user.groups))
        for group in groups:
            if not isinstance(group, Group):
                raise InvalidTypeError(f"not a licbill.Group: {group!r}")
            group_rows["workspace_id"].append(workspace.id)
            group_rows["group_id"].append(group.id)
            group_rows["modules"].append(sorted(m.value for m in group.modules))
    return (
        pa.table(ws_rows, schema=WORKSPACE_SCHEMA),
        pa.table(user_rows, schema=USER_SCHEMA),
        pa.table(group_rows, schema=GROUP_SCHEMA),
    )


def _codes(column: Any, names: Sequence[str], what: str) -> Any:
    """The position of each value of *column* in *names*, refusing any other value."""
    codes = pc.index_in(column, value_set=pa.array(names, pa.string()))
    bad = pc.and_(pc.is_null(codes), pc.invert(pc.is_null(column)))
    if pc.any(bad).as_py():
        at = pc.index(bad, True).as_py()
        raise InvalidValueError(
            f"unknown {what} {column[at].as_py()!r}: expected one of {list(names)}"
        )
    return codes


def _masks(lists: Any, what: str) -> Any:
    """One bitmask of modules per row of a list<string> column (bit n: the n-th Module)."""
    values = pc.list_flatten(lists)
    if values.null_count:
        raise InvalidValueError(f"{what} lists a null module")
    codes = _codes(values, [m.value for m in _MODULES], f"module in {what}").to_numpy()
    return _or_lists(lists, np.left_shift(np.uint8(1), codes.astype(np.uint8)))


def _or_lists(lists: Any, bits: Any) -> Any:
    """Per row of a list column, the OR of *bits* (one per value of ``list_flatten(lists)``)."""
    masks = np.zeros(len(lists), np.uint8)
    if not len(bits):
        return masks
    if lists.null_count:  # a null list may hide values that list_flatten skips
        rows = pc.list_parent_indices(lists).to_numpy()
        starts = np.flatnonzero(np.diff(rows, prepend=-1))
        masks[rows[starts]] = np.bitwise_or.reduceat(bits, starts)
        return masks
    offsets = lists.offsets.to_numpy()
    starts = offsets[:-1] - offsets[0]
    filled = offsets[1:] > offsets[:-1]
    masks[filled] = np.bitwise_or.reduceat(bits, starts[filled])
    return masks


def _space_of(column: Any, ws_ids: Any, ids: Any, what: str) -> Any:
    """The workspace-table row of each entry's workspace, refusing a workspace not held."""
    # Entries usually come workspace by workspace: each run of one workspace is looked up once.
    if len(column) > 1:
        starts = np.flatnonzero(
            pc.not_equal(column.slice(1), column.slice(0, len(column) - 1)).to_numpy(
                zero_copy_only=False
            )
        )
        starts = np.concatenate(([0], starts + 1))
        if 4 * len(starts) < len(column):
            runs = _space_of(column.take(starts), ws_ids, ids.take(starts), what)
            return np.repeat(runs, np.diff(np.append(starts, len(column))))
    where = pc.index_in(column, value_set=ws_ids)
    if where.null_count:
        at = pc.index(pc.is_null(where), True).as_py()
        raise InvalidValueError(
            f"{what} {ids[at].as_py()!r} belongs to workspace {column[at].as_py()!r}, "
            "which the workspace table does not hold"
        )
    return where.to_numpy().astype(np.int64)


def _check_unique(keys: Any, size: int, values: Any, spaces: Any, what: str) -> None:
    """Refuse two rows of one key (two users, or groups, of one workspace with one id)."""
    if size <= 8 * len(keys) + 1024:
        seen = np.bincount(keys, minlength=size)
        twice = np.flatnonzero(seen[keys] > 1)
    else:
        ordered = np.argsort(keys, kind="stable")
        same = np.flatnonzero(keys[ordered][1:] == keys[ordered][:-1])
        twice = ordered[same + 1]
    if len(twice):
        at = int(twice[0])
        raise InvalidValueError(
            f"two {what} of workspace {spaces[at].as_py()!r} have the id {values[at].as_py()!r}"
        )


def _find(keys: Any, size: int, wanted: Any) -> Any:
    """The position in *keys* (distinct ints below *size*) of each *wanted* key, or -1."""
    if size <= 8 * (len(keys) + len(wanted)) + 1024:
        table = np.full(size, -1, np.int64)
        table[keys] = np.arange(len(keys))
        return table[wanted]
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    spot = np.minimum(np.searchsorted(ordered, wanted), len(keys) - 1)
    return np.where(ordered[spot] == wanted, order[spot], -1)


def count_month_end(*, workspaces: Any, users: Any, groups: Any) -> Any:
    """Count month-end seats per workspace, product and user kind over whole columns.

    *workspaces*, *users* and *groups* are Arrow tables in :data:`WORKSPACE_SCHEMA`,
    :data:`USER_SCHEMA` and :data:`GROUP_SCHEMA` (see :func:`directory_tables`), holding the
    state on the month's last day (:func:`licbill.month_end_state`). The seat rule is the
    workspace model's (:func:`licbill.legacy.seat_products`): an active user holds a seat of
    each module it has (its own and its groups'), and in a legacy workspace of the edition as
    its ``legacy_seats`` says. The result, in :data:`COUNT_SCHEMA`, lists non-zero counts in
    workspace order, then invoice order of products, regular before guest; it equals
    ``seat.month_end`` of :func:`licbill.count_seats` for the same month.

    Raises :class:`~licbill.UnknownGroupError` for an active user's membership of a group not
    given, and :class:`~licbill.InvalidValueError` for an unknown workspace, status, module,
    edition or legacy_seats, or two users (or groups) of one workspace with one id.
    """
    ws = _columns_of(workspaces, WORKSPACE_SCHEMA, "the workspace table")
    us = _columns_of(users, USER_SCHEMA, "the user table")
    gs = _columns_of(groups, GROUP_SCHEMA, "the group table")
    ws_ids = ws["workspace_id"].combine_chunks()
    if pc.count_distinct(ws_ids).as_py() != len(ws_ids):
        raise InvalidValueError("two rows of the workspace table have one workspace_id")
    editions = _codes(ws["edition"], [e.value for e in _EDITIONS], "edition")
    seat_rules = _codes(ws["legacy_seats"], [r.value for r in _RULES], "legacy_seats")
    user_ids, group_ids = us["user_id"].combine_chunks(), gs["group_id"].combine_chunks()
    user_ws, group_ws = us["workspace_id"].combine_chunks(), gs["workspace_id"].combine_chunks()
    at = _space_of(user_ws, ws_ids, user_ids, "user")
    group_at = _space_of(group_ws, ws_ids, group_ids, "group")
    # An id is told apart by its code in one dictionary, within its workspace.
    user_codes = pc.dictionary_encode(user_ids)
    width = len(user_codes.dictionary)
    if width < len(user_ids):  # some id is used twice, perhaps in two workspaces
        keys = at * width + user_codes.indices.to_numpy()
        _check_unique(keys, len(ws_ids) * width, user_ids, user_ws, "users")
    member_of = us["groups"].combine_chunks()
    members = pc.list_flatten(member_of)
    named = pc.dictionary_encode(group_ids)
    width = len(named.dictionary)
    group_keys = group_at * width + named.indices.to_numpy().astype(np.int64)
    _check_unique(group_keys, len(ws_ids) * width, group_ids, group_ws, "groups")

    statuses = _codes(us["status"], [s.value for s in UserStatus], "status").to_numpy()
    active = statuses == list(UserStatus).index(UserStatus.ACTIVE)
    guest = us["guest"].to_numpy(zero_copy_only=False).astype(np.int64)
    masks = _masks(us["modules"].combine_chunks(), "the user table")
    group_masks = _masks(gs["modules"].combine_chunks(), "the group table")
    if len(members):
        parents = pc.list_parent_indices(member_of).to_numpy()
        # A group id no group has is never found, whatever its workspace.
        codes = pc.fill_null(pc.index_in(members, value_set=named.dictionary), -1).to_numpy()
        found = _find(group_keys, len(ws_ids) * width, at[parents] * width + codes)
        found[codes < 0] = -1
        known = found >= 0
        missing = ~known & active[parents]
        if missing.any():
            miss = int(np.flatnonzero(missing)[0])
            user, group = user_ids[int(parents[miss])].as_py(), members[miss].as_py()
            raise UnknownGroupError(f"user {user!r} belongs to group {group!r}, which is not given")
        # found is -1 for an inactive user's unknown group: the appended zero mask.
        masks |= _or_lists(member_of, np.append(group_masks, np.uint8(0))[found])

    # Active users counted by (workspace, module mask, kind); the workspace gives the rest of
    # the shape (its edition and legacy_seats).
    spaces, products, masks_n = len(ws_ids), len(_PRODUCTS), 1 << len(_MODULES)
    rule = pc.fill_null(seat_rules, _RULES.index(LegacySeats.NEEDS_MODULE))
    legacy = pc.add(pc.add(pc.multiply(editions, len(_RULES)), rule), 1)
    state = pc.fill_null(legacy, 0).to_numpy().astype(np.int64)
    cells, users_of = _tally(((at * masks_n + masks) * 2 + guest)[active], spaces * masks_n * 2)
    # Each shape's products by the seat rule, summed per (workspace, product, kind).
    space, mask, kind = cells // (masks_n * 2), cells // 2 % masks_n, cells % 2
    rows, product = np.nonzero(_SHAPE_PRODUCTS[state[space] * masks_n + mask])
    keys, seats = _tally(
        (space[rows] * products + product) * 2 + kind[rows], spaces * products * 2, users_of[rows]
    )
    return pa.table(
        {
            "workspace_id": ws_ids.take(pa.array(keys // (products * 2))),
            "product": pa.array([p.value for p in _PRODUCTS]).take(pa.array(keys // 2 % products)),
            "user_kind": pa.array([k.value for k in _KINDS]).take(pa.array(keys % 2)),
            "seats": pa.array(seats),
        },
        schema=COUNT_SCHEMA,
    )


def _tally(keys: Any, size: int, weights: Any = None) -> tuple[Any, Any]:
    """The distinct *keys* (ints below *size*), ascending, with their counts (or weight sums)."""
    if size <= 4 * len(keys) + 1024:
        counts = np.bincount(keys, weights, minlength=size)
        present = np.flatnonzero(counts)
        return present, counts[present].astype(np.int64)
    present, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse, weights, minlength=len(present))
    return present, counts.astype(np.int64)


def _shape_products() -> Any:
    # Which products an active user of each shape holds: the seat rule of
    # licbill.legacy.seat_products, asked once per shape. A shape is a workspace state (0 for
    # the modules model, 1 + edition * len(LegacySeats) + rule for a legacy one) times
    # 2**modules, plus the user's module mask.
    states: list[tuple[LegacyEdition | None, LegacySeats]] = [(None, LegacySeats.NEEDS_MODULE)]
    states += [(edition, rule) for edition in _EDITIONS for rule in _RULES]
    table = np.zeros((len(states) << len(_MODULES), len(_PRODUCTS)), np.int64)
    for state, (edition, rule) in enumerate(states):
        for mask in range(1 << len(_MODULES)):
            held = frozenset(m for bit, m in enumerate(_MODULES) if mask >> bit & 1)
            for product in seat_products(edition, held, rule):
                table[(state << len(_MODULES)) + mask, _PRODUCTS.index(product)] = 1
    return table


_SHAPE_PRODUCTS: Final = _shape_products()
