"""Billing runs on dask (extra ``dask``): events partitioned by subscription, lines as columns.

``pip install 'licbill[dask]'``. A module of licbill named like the library it drives: the real
dask is imported inside the functions, absolutely. See ``docs/scale-out.md`` for the recipe.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from typing import Any

from licbill.errors import InvalidTypeError, MissingDependencyError
from licbill.models import Sku
from licbill.rulebooks import Rulebook

__all__ = ["charge_lines"]


def _require(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependencyError(
            f"licbill.dask needs {name}: pip install 'licbill[dask]'"
        ) from None


def charge_lines(
    events: Any, *, skus: Mapping[str, Sku], through: dt.date, rulebook: Rulebook
) -> Any:
    """Bill a dask DataFrame of events (:data:`licbill.arrow.EVENT_SCHEMA` columns) on dask.

    The events are shuffled so that each subscription's events share a partition, by
    ``subscription_id``, or, when partial upgrades link subscriptions, by the partition key of
    :func:`licbill.arrow.partition_keys` (the links are read here, over all the events, before
    the shuffle: only the partial-upgrade rows are computed). Each partition is billed as
    :func:`licbill.charge_lines` bills it (through :func:`licbill.arrow.charge_batches`).
    Returns a lazy dask DataFrame of lines in :data:`licbill.arrow.LINE_SCHEMA` columns (pandas
    ``ArrowDtype``), one partition per event partition, each in its own run order;
    :func:`licbill.arrow.merge_line_tables` of the computed partitions gives the single-run
    order. Arguments are checked here; errors in the events are raised, with the row, when the
    result is computed. Event-id uniqueness is checked within each partition only.
    """
    dd = _require("dask.dataframe")
    pd = _require("pandas")
    pa = _require("pyarrow")
    from licbill import arrow

    charge = arrow.charge_batches(skus=skus, through=through, rulebook=rulebook)
    if not isinstance(events, dd.DataFrame):
        raise InvalidTypeError(f"events must be a dask DataFrame, not {events!r}")
    meta = arrow.LINE_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    links: dict[str, str] = {}
    if "target_subscription_id" in events.columns:
        pairs = events[["subscription_id", "target_subscription_id"]]
        upgrades = pairs[pairs["target_subscription_id"].notnull()].compute()
        links = arrow.linked_subscriptions(pa.Table.from_pandas(upgrades, preserve_index=False))
    if links:
        keyed = events.map_partitions(_with_key, links, meta=_with_key(events._meta, links))
        shuffled = keyed.shuffle(on=arrow.PARTITION_KEY)
    else:
        shuffled = events.shuffle(on="subscription_id")
    return shuffled.map_partitions(_charge_partition, charge, meta=meta, align_dataframes=False)


def _with_key(frame: Any, links: Mapping[str, str]) -> Any:
    from licbill import arrow

    keys = [links.get(sub_id, sub_id) for sub_id in frame["subscription_id"]]
    return frame.assign(**{arrow.PARTITION_KEY: keys})


def _charge_partition(frame: Any, charge: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    from licbill import arrow

    frame = frame.drop(columns=[arrow.PARTITION_KEY], errors="ignore")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lines = pa.Table.from_batches(list(charge(table.to_batches())), schema=arrow.LINE_SCHEMA)
    return lines.to_pandas(types_mapper=pd.ArrowDtype)
