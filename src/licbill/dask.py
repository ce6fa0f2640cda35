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

    The events are shuffled so that each subscription's events share a partition (by
    ``subscription_id``), and each partition is billed as :func:`licbill.charge_lines` bills it
    (through :func:`licbill.arrow.charge_batches`). Returns a lazy dask DataFrame of lines in
    :data:`licbill.arrow.LINE_SCHEMA` columns (pandas ``ArrowDtype``), one partition per event
    partition, each in its own run order; a stable sort by ``order_date`` and
    ``subscription_id`` of the computed lines gives the single-run order. Arguments are checked
    here; errors in the events are raised, with the row, when the result is computed. Event-id
    uniqueness is checked within each partition only.
    """
    dd = _require("dask.dataframe")
    pd = _require("pandas")
    from licbill import arrow

    charge = arrow.charge_batches(skus=skus, through=through, rulebook=rulebook)
    if not isinstance(events, dd.DataFrame):
        raise InvalidTypeError(f"events must be a dask DataFrame, not {events!r}")
    meta = arrow.LINE_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    shuffled = events.shuffle(on="subscription_id")
    return shuffled.map_partitions(_charge_partition, charge, meta=meta, align_dataframes=False)


def _charge_partition(frame: Any, charge: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    from licbill import arrow

    table = pa.Table.from_pandas(frame, preserve_index=False)
    lines = pa.Table.from_batches(list(charge(table.to_batches())), schema=arrow.LINE_SCHEMA)
    return lines.to_pandas(types_mapper=pd.ArrowDtype)
