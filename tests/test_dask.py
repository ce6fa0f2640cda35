"""Billing runs on dask: a LocalCluster of two workers gives the single-process lines."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
arrow = pytest.importorskip("licbill.arrow")
lb_dask = importlib.import_module("licbill.dask")

THROUGH = dt.date(2027, 12, 31)
BOOK = lb.rulebooks.NEW_COMMERCE


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A local dask cluster of two single-threaded workers, in this process."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def skus_of(events: tuple[lb.Event, ...]) -> dict[str, lb.Sku]:
    """The SKUs an event history names, by id."""
    found = {e.sku.id: e.sku for e in events if isinstance(e, lb.Purchase)}
    found.update(
        {
            e.to.id: e.to
            for e in events
            if isinstance(e, lb.ConvertSku | lb.ChangeBillingPlan | lb.ScheduleChange)
            and e.to is not None
        }
    )
    return found


def event_frame(events: tuple[lb.Event, ...], partitions: int) -> Any:
    """The events as a dask DataFrame of *partitions* partitions, as a Parquet file reads."""
    frame = arrow.events_to_table(events).to_pandas(types_mapper=pd.ArrowDtype)
    return dd.from_pandas(frame, npartitions=partitions, sort=False)


def single_run_order(client: Any, lines: Any) -> Any:
    """The computed partitions of *lines*, merged into the single-run order as one table."""
    parts = client.gather(client.compute(lines.to_delayed()))
    return arrow.merge_line_tables(
        *(pa.Table.from_pandas(p, schema=arrow.LINE_SCHEMA, preserve_index=False) for p in parts)
    )


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=event_histories(subscriptions=st.integers(1, 6)), partitions=st.integers(1, 3))
def test_dask_run_gives_the_single_run(
    client: Any, events: tuple[lb.Event, ...], partitions: int
) -> None:
    """Lines billed on two dask workers equal charge_lines' lines, line for line."""
    lines = lb_dask.charge_lines(
        event_frame(events, partitions), skus=skus_of(events), through=THROUGH, rulebook=BOOK
    )
    got = single_run_order(client, lines)
    assert got.equals(lb.charge_lines(events, through=THROUGH, rulebook=BOOK).to_arrow())


def test_each_subscription_is_billed_in_one_partition(client: Any) -> None:
    """Every partition of the result holds all the lines of its subscriptions."""
    day = dt.date(2024, 1, 31)
    sku = lb.Sku.monthly(id="seat", name="Seat", unit_price=lb.Money("9.99", "USD"))
    events = tuple(
        lb.Purchase(
            subscription_id=f"S{n}", on=day + dt.timedelta(days=n % 5), sku=sku, quantity=1 + n % 4
        )
        for n in range(40)
    ) + tuple(
        lb.ChangeQuantity(subscription_id=f"S{n}", on=dt.date(2024, 3, 15), quantity=7)
        for n in range(40)
    )
    lines = lb_dask.charge_lines(
        event_frame(events, 4), skus={"seat": sku}, through=dt.date(2024, 6, 30), rulebook=BOOK
    )
    parts = client.compute(lines.to_delayed())
    owners: dict[str, int] = {}
    for n, part in enumerate(client.gather(parts)):
        for sub_id in set(part["subscription_id"]):
            assert owners.setdefault(sub_id, n) == n
    assert len(owners) == 40


def test_bad_events_are_refused_when_computed(client: Any) -> None:
    """An event the engine refuses raises its licbill error from the computed result."""
    sku = lb.Sku.monthly(id="seat", name="Seat", unit_price=lb.Money("9.99", "USD"))
    events = (lb.ChangeQuantity(subscription_id="S1", on=dt.date(2024, 1, 1), quantity=3),)
    lines = lb_dask.charge_lines(
        event_frame(events, 1), skus={"seat": sku}, through=THROUGH, rulebook=BOOK
    )
    with pytest.raises(lb.UnknownSubscriptionError):
        client.compute(lines).result()


def test_events_must_be_a_dask_frame() -> None:
    """A pandas frame is refused: the dask path takes a dask DataFrame."""
    frame = arrow.EVENT_SCHEMA.empty_table().to_pandas()
    with pytest.raises(lb.InvalidTypeError, match="a dask DataFrame"):
        lb_dask.charge_lines(frame, skus={}, through=THROUGH, rulebook=BOOK)


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dask, licbill.dask names the extra to install."""

    def no_dask(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", no_dask)
    with pytest.raises(lb.MissingDependencyError, match=r"licbill\[dask\]"):
        lb_dask.charge_lines(None, skus={}, through=THROUGH, rulebook=BOOK)


def test_plain_pandas_dtypes_are_read(client: Any) -> None:
    """Events in NumPy-backed pandas columns (object dates, float quantities) bill the same."""
    sku = lb.Sku.monthly(id="seat", name="Seat", unit_price=lb.Money("9.99", "USD"))
    events = (
        lb.Purchase(subscription_id="S1", on=dt.date(2024, 1, 31), sku=sku, quantity=2),
        lb.SetAutoRenew(subscription_id="S1", on=dt.date(2024, 2, 2), enabled=False),
        lb.Purchase(subscription_id="S2", on=dt.date(2024, 2, 29), sku=sku, quantity=1, trial=True),
    )
    frame = dd.from_pandas(arrow.events_to_table(events).to_pandas(), npartitions=2)
    lines = lb_dask.charge_lines(frame, skus={"seat": sku}, through=THROUGH, rulebook=BOOK)
    got = single_run_order(client, lines)
    assert got.equals(lb.charge_lines(events, through=THROUGH, rulebook=BOOK).to_arrow())


def upgrade(source: str, to: lb.Sku, seats: int, target: str) -> lb.ConvertSku:
    """A partial upgrade on 2024-01-20: *seats* seats of *source* move to *target* on *to*."""
    return lb.ConvertSku(
        subscription_id=source,
        on=dt.date(2024, 1, 20),
        to=to,
        quantity=seats,
        target_subscription_id=target,
    )


def partial_upgrades() -> tuple[tuple[lb.Event, ...], dict[str, lb.Sku]]:
    """Subscriptions S3 and S5 feed targets S1 and S6 by partial upgrades; S2 and S4 stand alone."""
    seat = lb.Sku.monthly(id="seat", name="Seat", unit_price=lb.Money("9.99", "USD"))
    pro = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("19.99", "USD"))
    day = dt.date(2024, 1, 5)
    events = (
        *(lb.Purchase(subscription_id=f"S{n}", on=day, sku=seat, quantity=4) for n in (2, 3, 4, 5)),
        upgrade("S3", pro, 2, "S1"),
        upgrade("S5", pro, 1, "S6"),
        lb.ChangeQuantity(subscription_id="S1", on=dt.date(2024, 3, 3), quantity=5),
        lb.ChangeQuantity(subscription_id="S4", on=dt.date(2024, 3, 3), quantity=6),
    )
    return events, {"seat": seat, "pro": pro}


@pytest.mark.parametrize("partitions", [1, 3, 6])
def test_partial_upgrades_bill_as_one_run(client: Any, partitions: int) -> None:
    """Subscriptions linked by partial upgrades are billed together: the lines of one run."""
    events, skus = partial_upgrades()
    lines = lb_dask.charge_lines(
        event_frame(events, partitions), skus=skus, through=dt.date(2024, 6, 30), rulebook=BOOK
    )
    got = single_run_order(client, lines)
    expected = lb.charge_lines(events, through=dt.date(2024, 6, 30), rulebook=BOOK)
    assert got.equals(expected.to_arrow())


def test_partition_key_column_is_not_in_the_lines(client: Any) -> None:
    """The partition key used for the shuffle does not leak into the line columns."""
    events, skus = partial_upgrades()
    lines = lb_dask.charge_lines(
        event_frame(events, 2), skus=skus, through=dt.date(2024, 6, 30), rulebook=BOOK
    )
    assert list(lines.columns) == arrow.LINE_SCHEMA.names
