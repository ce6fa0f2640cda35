"""The cyclic garbage collector paused while an eager run keeps its lines, and given back."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator

import pytest

import licbill as lb
from licbill import charges

SKU = lb.Sku.annual(
    id="plan", name="Plan", unit_price=lb.Money("12.00", "USD"), billing=lb.Billing.MONTHLY
)
BOUGHT = lb.Purchase(subscription_id="S1", on=dt.date(2024, 1, 5), sku=SKU, quantity=3)
THROUGH = dt.date(2024, 6, 30)
RULEBOOK = lb.rulebooks.NEW_COMMERCE


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on for the test, and as the suite had it after."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The collector off for the test, and as the suite had it after."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def collector_states(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether the collector is on each time the engine starts a day's lines."""
    seen: list[bool] = []
    day = charges._Engine.day

    def recording(self: charges._Engine, *args: object) -> Iterator[list[lb.ChargeLine]]:
        seen.append(gc.isenabled())
        return day(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(charges._Engine, "day", recording)
    return seen


@pytest.mark.usefixtures("collector_on")
def test_charge_lines_pauses_the_collector_and_switches_it_on_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off while the run keeps its lines, on again when it returns."""
    seen = collector_states(monkeypatch)
    lines = lb.charge_lines([BOUGHT], through=THROUGH, rulebook=RULEBOOK)
    assert len(lines) == 6
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_continue_charge_lines_pauses_the_collector_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resuming a run keeps its lines the same way, and gives the collector back."""
    seen = collector_states(monkeypatch)
    lines, state = charges.continue_charge_lines(
        [BOUGHT], state=charges.RunState(), since=None, through=THROUGH, rulebook=RULEBOOK
    )
    assert len(lines) == 6
    assert [sub.subscription_id for sub in state.subscriptions] == ["S1"]
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_refused_run_switches_the_collector_on_again() -> None:
    """A run that raises still gives the collector back."""
    cancel = lb.Cancel(subscription_id="S2", on=dt.date(2024, 2, 1))
    with pytest.raises(lb.UnknownSubscriptionError):
        lb.charge_lines([BOUGHT, cancel], through=THROUGH, rulebook=RULEBOOK)
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_off")
def test_a_collector_the_caller_switched_off_stays_off() -> None:
    """licbill never switches on a collector it did not switch off."""
    lines = lb.charge_lines([BOUGHT], through=THROUGH, rulebook=RULEBOOK)
    assert [line.total for line in lines] == [lb.Money("36.00", "USD")] * 6
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_lazy_iterator_leaves_the_collector_alone() -> None:
    """Between its yields the caller's code runs: iter_charge_lines never pauses it."""
    for _ in lb.iter_charge_lines([BOUGHT], through=THROUGH, rulebook=RULEBOOK):
        assert gc.isenabled()
