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

from licbill._collector import collector_paused
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
    Arguments are checked here, before any batch is read. The cyclic garbage collector is
    paused while each batch of lines is made, and switched on again (if it was on) before the
    batch is handed over (docs/scale-out.md).
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
        while True:
            # The collector paused while a batch's lines are made and turned into columns,
            # switched on again before the caller's code runs (licbill._collector): with it
            # left on, a partition took 1.27 and 1.44 times as long (charge_batches over the
            # 20,000 subscriptions of `python bench/scale_out.py`, two timings in one process).
            with collector_paused():
                chunk = list(islice(lines, BATCH_LINES))
                if not chunk:
                    return
                batch = lines_to_batch(chunk)
                del chunk  # the lines go while the collector is paused: it never scans them
            yield batch

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

# Speed: count_month_end over the tables of `python bench/arrow_counting.py --workspaces 2000`
# (2,000 workspaces, 200,273 users) took 17.0 ms as written, against 28.3 ms for the previous
# version (module masks ORed per row with reduceat), best of 30 calls each, interleaved with the
# variants named beside each trick below, in one process on the 2-core machine.

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
#: Status values, active first (code 0).
_STATUSES: Final = (
    UserStatus.ACTIVE.value,
    *(s.value for s in UserStatus if s is not UserStatus.ACTIVE),
)
_PRODUCT_NAMES: Final = pa.array([p.value for p in _PRODUCTS], pa.string())
_KIND_NAMES: Final = pa.array([k.value for k in _KINDS], pa.string())
#: How many module masks there are (bit n of a mask: the n-th Module).
_MASKS: Final = 1 << len(_MODULES)


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


def _one_chunk(column: Any) -> Any:
    """*column* (a chunked array) as one array, its own chunk when it has just one."""
    # combine_chunks copies even a lone chunk: every string and list column of the tables,
    # in fresh memory each count. Figure, `python bench/arrow_counting.py --workspaces 2000
    # --repeat 3`, three runs each, interleaved: each count in turn 0.093, 0.035, 0.033 s;
    # 0.098, 0.035, 0.027 s; 0.085, 0.031, 0.026 s with combine_chunks of every column, and
    # 0.076, 0.036, 0.023 s; 0.058, 0.026, 0.016 s; 0.067, 0.026, 0.017 s with this.
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _scratch(size: int, kind: Any) -> Any:
    """A writable numpy array of *size* items of *kind*, in memory from Arrow's pool."""
    # numpy takes arrays this large from the C allocator, which hands them back to the system
    # when freed: each count faulted some 3,300 pages in again. Arrow's pool keeps its pages.
    # Figure: 23.4 ms a count with np.empty here (see "Speed" above).
    return np.frombuffer(pa.allocate_buffer(size * np.dtype(kind).itemsize), kind)


def _runs_of(column: Any, ws_ids: Any, ids: Any, what: str) -> tuple[Any, Any]:
    """Where each row's workspace is in the workspace table, as ``(rows, starts)``.

    ``rows[k]`` is the workspace-table row of the k-th run of rows of one workspace and
    ``starts[k]`` its first row; *starts* is None when each row is its own run.
    """
    starts, runs = None, column
    # Entries usually come workspace by workspace: each run of one workspace is looked up once.
    if len(column) > 1:
        changes = pc.indices_nonzero(
            pc.not_equal(column.slice(1), column.slice(0, len(column) - 1))
        ).to_numpy()
        if 4 * (len(changes) + 1) < len(column):
            starts = np.concatenate(([0], changes.astype(np.int64) + 1))
            runs = column.take(starts)
    where = pc.index_in(runs, value_set=ws_ids)
    if where.null_count:
        at = pc.index(pc.is_null(where), True).as_py()
        at = at if starts is None else int(starts[at])
        raise InvalidValueError(
            f"{what} {ids[at].as_py()!r} belongs to workspace {column[at].as_py()!r}, "
            "which the workspace table does not hold"
        )
    return where.to_numpy().astype(np.int64), starts


def _expand(values: Any, starts: Any, size: int) -> Any:
    """``values[k]`` at each position from ``starts[k]`` up to ``starts[k + 1]``.

    *starts* ascend; equal starts make empty runs, and a start may be *size*.
    """
    # Each run adds its step from the run before at its start; a running sum spreads it.
    # Figure: 18.1 ms a count with np.repeat(values, run lengths) (see "Speed" above).
    steps = _scratch(size + 1, np.int64)
    steps.fill(0)
    np.add.at(steps, starts, np.diff(values, prepend=0))
    return np.cumsum(steps[:-1], out=steps[:-1])


def _check_unique(keys: Any, size: int, values: Any, spaces: Any, what: str) -> None:
    """Refuse two rows of one key (two users, or groups, of one workspace with one id)."""
    if size <= 8 * len(keys) + 1024:
        seen = np.bincount(keys, minlength=size)
        if seen.max(initial=0) < 2:  # all distinct, the usual case: 18.6 ms a count without this
            return
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
        return np.take(table, wanted, out=_scratch(len(wanted), np.int64), mode="clip")
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    spot = np.minimum(np.searchsorted(ordered, wanted), len(keys) - 1)
    return np.where(ordered[spot] == wanted, order[spot], -1)


def _list_parts(lists: Any) -> tuple[Any, Any]:
    """The values of a list column in row order, and the offset of each row's first (and end)."""
    values = pc.list_flatten(lists)
    if lists.null_count:  # a null list may hide values that list_flatten skips
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
        offsets = np.zeros(len(lists) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return values, offsets
    offsets = lists.offsets.to_numpy()
    return values, offsets - offsets[0] if offsets[0] else offsets


#: A part of the values of each row, for :func:`_held`: the offsets of each row's values, and
#: a function giving ``(table, codes)``: each value gives the modules of ``table[code]``.
_Part = tuple[Any, Callable[[], tuple[Any, Any]]]


def _module_codes(values: Any, what: str) -> tuple[Any, Any]:
    """``(_ONE_OF, codes)``: the module of each of *values* (its place in Module)."""
    if values.null_count:
        raise InvalidValueError(f"{what} lists a null module")
    return _ONE_OF, _codes(values, [m.value for m in _MODULES], f"module in {what}").to_numpy()


def _module_part(lists: Any, what: str) -> _Part:
    """The modules of each row of a list<string> column, as a part for :func:`_held`."""
    values, offsets = _list_parts(lists)
    return offsets, lambda: _module_codes(values, what)


# Which modules a row holds, counted in one unsigned 64-bit word per row: a field of _FIELD bits
# per module, each list value adding one to the fields of the modules it gives (a module of the
# user, or every module of a group). A field holds 1 or more exactly when the row holds its
# module, so no OR per row is needed: one running sum over all the values, read at the row
# bounds, counts every row and module at once (25.1 ms a count when each module is counted apart,
# as rows too long for the fields are below; see "Speed" above).
_FIELD: Final = 64 // len(_MODULES)
#: Rows with fewer list values than this cannot carry out of a field (its top bit stays free).
_PACKED_BELOW: Final = 1 << (_FIELD - 1)
#: Per module code, one in its field.
_ONE_OF: Final = np.array([1 << (_FIELD * n) for n in range(len(_MODULES))], np.uint64)
#: Added to the counts, a field holding 1 or more carries into its top bit, 0 does not.
_FIELD_FILL: Final = np.uint64(
    sum((_PACKED_BELOW - 1) << (_FIELD * n) for n in range(len(_MODULES)))
)
#: The top bit of every field.
_FIELD_TOPS: Final = np.uint64(sum(_PACKED_BELOW << (_FIELD * n) for n in range(len(_MODULES))))
# Multiplying 0/1 fields by _GATHER puts field n's bit at bit _GATHERED + n, and every other
# product of bits elsewhere: no two collide while fields are at least as wide as there are
# modules (up to 8 modules; tests/test_arrow_counting.py checks it).
_GATHERED: Final = (_FIELD - 1) * (len(_MODULES) - 1)
_GATHER: Final = np.uint64(sum(1 << (_GATHERED - (_FIELD - 1) * n) for n in range(len(_MODULES))))


def _add_row_sums(sums: Any, table: Any, codes: Any, offsets: Any, *, first: bool) -> Any:
    """Add to *sums* (set, when *first*) per row the sum of ``table[code]`` over its values.

    *offsets* say where each row's values start and end.
    """
    # uint64 sums wrap around; the differences at row bounds are still each row's exact sum.
    running = _scratch(len(codes) + 1, np.uint64)
    running[0] = 0
    # Codes are in range: "clip" takes straight into out, where "raise" takes through a buffer.
    # Figure: 20.0 ms a count with mode="raise" (see "Speed" above).
    np.take(table, codes, out=running[1:], mode="clip")
    np.cumsum(running[1:], out=running[1:])
    bounds = np.take(running, offsets, out=_scratch(len(offsets), np.uint64), mode="clip")
    del running  # freed before the next part's codes are made
    if first:
        return np.subtract(bounds[1:], bounds[:-1], out=sums)
    sums += bounds[1:]
    sums -= bounds[:-1]
    return sums


def _held(parts: Sequence[_Part]) -> Any:
    """Per row, one bit (0 or 1) in each module's field: whether any of its values gives it.

    A row's values in each part are ``codes[offsets[row]:offsets[row + 1]]``, each giving the
    modules of ``table[code]`` (0 or 1 per field).
    """
    rows = len(parts[0][0]) - 1
    total = sum(int(offsets[-1]) for offsets, _ in parts)  # offsets start at 0
    longest = total
    if total >= _PACKED_BELOW:
        longest = sum(int(np.diff(offsets).max(initial=0)) for offsets, _ in parts)
    if longest < _PACKED_BELOW:
        # The codes of a part are made only once the part before is summed, and dropped once
        # summed: 9.3 MB of Arrow's pool at the peak of a count, not 11.7, so fewer fresh
        # pages in the first counts of a process. Figure, `python bench/arrow_counting.py
        # --workspaces 2000 --repeat 3`, five runs each, interleaved: first and second counts
        # 0.054-0.094 s and 0.024-0.036 s with every part's codes made first, 0.023-0.048 s
        # and 0.017-0.022 s with this (the third, warm: 0.015-0.022 s both ways).
        sums = _scratch(rows, np.uint64)
        for n, (offsets, make) in enumerate(parts):
            _add_row_sums(sums, *make(), offsets, first=not n)
        sums += _FIELD_FILL  # carries into a field's top bit when it holds 1 or more
        sums &= _FIELD_TOPS
        sums >>= np.uint64(_FIELD - 1)
        return sums
    # A row long enough to carry out of a field: each module counted apart, in its own sums.
    made = [(*make(), offsets) for offsets, make in parts]
    held = np.zeros(rows, np.uint64)
    count = np.empty(rows, np.uint64)
    for n in range(len(_MODULES)):
        field = np.uint64(_FIELD * n)
        for k, (table, codes, offsets) in enumerate(made):
            _add_row_sums(count, table >> field & np.uint64(1), codes, offsets, first=not k)
        held |= (count > 0).astype(np.uint64) << field
    return held


def _mask_of(held: Any) -> Any:
    """The bitmask (bit n: the n-th Module) of each row of :func:`_held`, in its place."""
    held *= _GATHER
    held >>= np.uint64(_GATHERED)
    held &= np.uint64((1 << len(_MODULES)) - 1)
    return held.view(np.int64)


class _Rows(NamedTuple):
    """The rows of the user or the group table, each placed in its workspace."""

    ids: Any  #: the user_id or group_id column, in one chunk
    spaces: Any  #: the workspace_id column, in one chunk
    runs: Any  #: the workspace-table row of each run of rows (see _runs_of)
    starts: Any  #: the first row of each run, or None when each row is its own run
    at: Any  #: the workspace-table row of each row


class _GroupKeys(NamedTuple):
    """Each group's key: its workspace-table row times *width*, plus the code of its id."""

    keys: Any
    names: Any  #: the distinct group ids; an id's code is its place here
    width: int


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
    ws_ids, states = _workspace_states(ws)
    spaces = len(ws_ids)
    user_rows = _placed(us["user_id"], us["workspace_id"], ws_ids, "user")
    group_rows = _placed(gs["group_id"], gs["workspace_id"], ws_ids, "group")
    _check_user_ids(user_rows, spaces)
    group_keys = _group_keys(group_rows, spaces)
    # Status code 0 is active.
    statuses = _codes(_one_chunk(us["status"]), _STATUSES, "status").to_numpy()
    guest = pc.cast(_one_chunk(us["guest"]), pa.int8()).to_numpy()
    masks = _module_masks(us, gs, user_rows, group_keys, statuses, spaces)
    cells = _cells(user_rows.at, masks, guest, statuses, spaces)
    keys, seats = _seats(cells, states, spaces)
    return _seats_table(ws_ids, keys, seats)


def _workspace_states(ws: Mapping[str, Any]) -> tuple[Any, Any]:
    """The workspace ids in one chunk, checked distinct, and the state of each workspace.

    A state is 0 for the modules model, 1 + edition * len(LegacySeats) + rule for a legacy
    workspace (see :func:`_shape_products`).
    """
    ws_ids = _one_chunk(ws["workspace_id"])
    if pc.count_distinct(ws_ids).as_py() != len(ws_ids):
        raise InvalidValueError("two rows of the workspace table have one workspace_id")
    editions = _codes(ws["edition"], [e.value for e in _EDITIONS], "edition")
    seat_rules = _codes(ws["legacy_seats"], [r.value for r in _RULES], "legacy_seats")
    rule = pc.fill_null(seat_rules, _RULES.index(LegacySeats.NEEDS_MODULE))
    legacy = pc.add(pc.add(pc.multiply(editions, len(_RULES)), rule), 1)
    return ws_ids, pc.fill_null(legacy, 0).to_numpy().astype(np.int64)


def _placed(ids: Any, spaces: Any, ws_ids: Any, what: str) -> _Rows:
    """The rows of *ids*, each placed in its workspace (*spaces*) of the workspace table."""
    ids, spaces = _one_chunk(ids), _one_chunk(spaces)
    runs, starts = _runs_of(spaces, ws_ids, ids, what)
    at = runs if starts is None else _expand(runs, starts, len(ids))
    return _Rows(ids, spaces, runs, starts, at)


def _check_user_ids(users: _Rows, spaces: int) -> None:
    """Refuse two users of one workspace with one id."""
    # An id is told apart by its code in one dictionary, within its workspace.
    codes = pc.dictionary_encode(users.ids)
    width = len(codes.dictionary)
    if width < len(users.ids):  # some id is used twice, perhaps in two workspaces
        keys = np.multiply(users.at, width, out=_scratch(len(users.at), np.int64))
        keys += codes.indices.to_numpy()
        _check_unique(keys, spaces * width, users.ids, users.spaces, "users")


def _group_keys(groups: _Rows, spaces: int) -> _GroupKeys:
    """Each group's key, refusing two groups of one workspace with one id."""
    named = pc.dictionary_encode(groups.ids)
    width = len(named.dictionary)
    keys = groups.at * width + named.indices.to_numpy().astype(np.int64)
    _check_unique(keys, spaces * width, groups.ids, groups.spaces, "groups")
    return _GroupKeys(keys, named.dictionary, width)


def _module_masks(
    us: Mapping[str, Any],
    gs: Mapping[str, Any],
    users: _Rows,
    groups: _GroupKeys,
    statuses: Any,
    spaces: int,
) -> Any:
    """Each user's module mask: the modules it has, its own and its groups'."""
    # One row past the groups holds no module: an inactive user's unknown group points there.
    group_held = np.append(
        _held([_module_part(_one_chunk(gs["modules"]), "the group table")]), np.uint64(0)
    )
    parts = [_module_part(_one_chunk(us["modules"]), "the user table")]
    members, member_offsets = _list_parts(_one_chunk(us["groups"]))
    if len(members):

        def member_groups() -> tuple[Any, Any]:
            found = _member_groups(members, member_offsets, users, groups, statuses, spaces)
            return group_held, found

        parts.append((member_offsets, member_groups))
    return _mask_of(_held(parts))


def _member_groups(
    members: Any, offsets: Any, users: _Rows, groups: _GroupKeys, statuses: Any, spaces: int
) -> Any:
    """The group-table row of each of *members* (group ids of the users, rows at *offsets*).

    An inactive user's group that is not given gets the row past the groups.
    """
    codes = pc.index_in(members, value_set=groups.names)
    nameless = pc.is_null(codes).to_numpy(zero_copy_only=False) if codes.null_count else None
    codes = pc.fill_null(codes, 0).to_numpy()
    if users.starts is None:
        member_ws = _expand(users.at, offsets[:-1], len(members))
    else:
        member_ws = _expand(users.runs, np.take(offsets, users.starts), len(members))
    member_ws *= groups.width
    member_ws += codes
    found = _find(groups.keys, spaces * groups.width, member_ws)
    if nameless is not None:  # a group id no group has is never found, whatever its workspace
        found[nameless] = -1
    unknown = np.flatnonzero(found < 0)
    if len(unknown):
        _check_inactive(unknown, offsets, statuses, users.ids, members)
        found[unknown] = len(groups.keys)  # an inactive user's unknown group: no module
    return found


def _check_inactive(unknown: Any, offsets: Any, statuses: Any, user_ids: Any, members: Any) -> None:
    """Refuse an active user's membership (of *members*, at *unknown*) of a group not given."""
    parents = np.searchsorted(offsets, unknown, side="right") - 1
    missing = np.flatnonzero(statuses[parents] == 0)
    if len(missing):
        user = user_ids[int(parents[missing[0]])].as_py()
        group = members[int(unknown[missing[0]])].as_py()
        raise UnknownGroupError(f"user {user!r} belongs to group {group!r}, which is not given")


def _cells(at: Any, masks: Any, guest: Any, statuses: Any, spaces: int) -> Any:
    """Each user's cell: (workspace, module mask, kind), active users before all others.

    The workspace gives the rest of a user's shape (its edition and legacy_seats). *at* is
    overwritten: each user's cell is built in its place.
    """
    size = spaces * _MASKS * 2
    cells = at
    cells *= _MASKS
    cells += masks
    cells *= 2
    cells += guest
    # Users who are not active fall past the cells of the active ones.
    cells += np.multiply(statuses, np.int64(size), out=_scratch(len(statuses), np.int64))
    return cells


def _seats(cells: Any, states: Any, spaces: int) -> tuple[Any, Any]:
    """The (workspace, product, kind) keys, ascending, of non-zero seats, and those seats."""
    size = spaces * _MASKS * 2
    if size * len(_STATUSES) > 4 * len(cells) + 1024:
        return _seats_of_present_cells(cells, states, spaces)
    # Every cell at once: seats[space, product, kind] is the sum over masks of the users
    # of a cell times whether its shape holds the product, one small matrix product per
    # workspace (19.4 ms a count with the sparse way below; see "Speed" above).
    counts = np.bincount(cells, minlength=size * len(_STATUSES))[:size]
    held = _SHAPES[states].transpose(0, 2, 1)
    seats = np.matmul(held, counts.reshape(spaces, _MASKS, 2)).ravel()
    keys = np.flatnonzero(seats)
    return keys, seats[keys]


def _seats_of_present_cells(cells: Any, states: Any, spaces: int) -> tuple[Any, Any]:
    """As :func:`_seats`, over the cells that hold a user only (for sparse cells)."""
    size = spaces * _MASKS * 2
    products = len(_PRODUCTS)
    cells, users_of = _tally(cells, size * len(_STATUSES))
    active = np.searchsorted(cells, size)
    cells, users_of = cells[:active], users_of[:active]
    # Each shape's products by the seat rule, summed per (workspace, product, kind).
    space, mask, kind = cells // (_MASKS * 2), cells // 2 % _MASKS, cells % 2
    rows, product = np.nonzero(_SHAPE_PRODUCTS[states[space] * _MASKS + mask])
    return _tally(
        (space[rows] * products + product) * 2 + kind[rows],
        spaces * products * 2,
        users_of[rows],
    )


def _seats_table(ws_ids: Any, keys: Any, seats: Any) -> Any:
    """The *seats* of each (workspace, product, kind) key as a table in COUNT_SCHEMA."""
    products = len(_PRODUCTS)
    return pa.table(
        {
            "workspace_id": ws_ids.take(pa.array(keys // (products * 2))),
            "product": _PRODUCT_NAMES.take(pa.array(keys // 2 % products)),
            "user_kind": _KIND_NAMES.take(pa.array(keys % 2)),
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
#: The same, as [state, mask, product].
_SHAPES: Final = _SHAPE_PRODUCTS.reshape(-1, 1 << len(_MODULES), len(_PRODUCTS))
