"""Benchmark: one billing run in one process, over Arrow record batches, and on dask.

    python -m pip install -e '.[bench,dask]'
    python bench/scale_out.py [--subscriptions 20000] [--months 12] [--workers 2]

Uses the event stream of ``bench/lifecycle.py`` (same seed). Times ``charge_lines`` in this
process, then ``licbill.arrow.charge_batches`` over the events as an Arrow table (lines out as
Arrow), then ``licbill.dask.charge_lines`` on a ``distributed.LocalCluster`` of *workers*
single-threaded worker processes (cluster start-up excluded, shuffle included), and checks
that all three give the same lines in the single-run order.
"""

from __future__ import annotations

import argparse
import time

import licbill as lb
from licbill import arrow
from licbill import dask as lb_dask
from lifecycle import RULEBOOK, SKUS, START, events


def report(what: str, seconds: float, lines: int) -> None:
    print(f"{what:<40} {seconds:6.2f} s = {lines / seconds:>9,.0f} lines/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import dask.dataframe as dd
    import distributed
    import pandas as pd
    import pyarrow as pa

    stream = list(events(args.subscriptions, args.months))
    through = lb.period_end(START, args.months)
    book = RULEBOOK  # new commerce without the seat-reduction window, as bench/lifecycle.py
    skus = {sku.id: sku for sku in SKUS}
    print(f"{args.subscriptions:,} subscriptions, {len(stream):,} events through {through}")

    began = time.perf_counter()
    single = lb.charge_lines(stream, through=through, rulebook=book).to_arrow()
    single_s = time.perf_counter() - began
    lines = single.num_rows
    report("charge_lines + to_arrow, one process", single_s, lines)

    table = arrow.events_to_table(stream)
    began = time.perf_counter()
    charge = arrow.charge_batches(skus=skus, through=through, rulebook=book)
    batches = pa.Table.from_batches(list(charge(table.to_batches())), schema=arrow.LINE_SCHEMA)
    batches_s = time.perf_counter() - began
    report("charge_batches, one process", batches_s, lines)

    frame = dd.from_pandas(
        table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=args.workers * 4
    )
    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        began = time.perf_counter()
        result = client.compute(
            lb_dask.charge_lines(frame, skus=skus, through=through, rulebook=book)
        ).result()
        dask_s = time.perf_counter() - began
    ordered = result.sort_values(["order_date", "subscription_id"], kind="stable")
    on_dask = pa.Table.from_pandas(ordered, schema=arrow.LINE_SCHEMA, preserve_index=False)
    report(f"licbill.dask, {args.workers} worker processes", dask_s, lines)
    same = single.equals(batches) and single.equals(on_dask)
    print(f"{lines:,} lines; all three {'agree' if same else 'DISAGREE'}")


if __name__ == "__main__":
    main()
