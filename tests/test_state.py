"""Resumable billing runs (docs/state.md): BillingState, its JSON form and its refusals."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories

D = dt.date
RULEBOOKS = st.sampled_from([lb.rulebooks.MARKETPLACE_2019, lb.rulebooks.NEW_COMMERCE]).flatmap(
    lambda book: st.sampled_from(lb.Rounding).map(lambda r: attrs.evolve(book, rounding=r))
)
RULES = lb.rulebooks.NEW_COMMERCE
SKU = lb.Sku.monthly(id="e3", name="E3", unit_price=lb.Money("30.00", "EUR"))


def _buy(sub_id: str, on: dt.date, **more: object) -> lb.Purchase:
    return lb.Purchase(subscription_id=sub_id, on=on, sku=SKU, quantity=2, **more)  # type: ignore[arg-type]


@given(
    events=event_histories(),
    rulebook=RULEBOOKS,
    cut=st.integers(-5, 500),
    more=st.integers(0, 500),
    stored=st.booleans(),
)
def test_resuming_at_any_cut_gives_the_one_shot_lines(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, cut: int, more: int, stored: bool
) -> None:
    """Billing to a cut date, (storing the state as JSON,) then on to the end gives exactly the
    lines of one run to the end."""
    cut_day = min(e.on for e in events) + dt.timedelta(days=cut)
    end = cut_day + dt.timedelta(days=more)
    one_shot = lb.charge_lines(events, through=end, rulebook=rulebook)
    first, state = lb.BillingState.empty(rulebook=rulebook).advance(
        [e for e in events if e.on <= cut_day], through=cut_day
    )
    if stored:
        state = lb.BillingState.from_json(state.to_json())
    second, _ = state.advance([e for e in events if cut_day < e.on <= end], through=end)
    assert (*first, *second) == tuple(one_shot)


@given(events=event_histories(), rulebook=RULEBOOKS, cut=st.integers(0, 400))
def test_json_round_trip_gives_the_same_state(
    events: tuple[lb.Event, ...], rulebook: lb.Rulebook, cut: int
) -> None:
    """``from_json(state.to_json())`` equals the state, whatever the run went through."""
    through = min(e.on for e in events) + dt.timedelta(days=cut)
    _, state = lb.BillingState.empty(rulebook=rulebook).advance(
        [e for e in events if e.on <= through], through=through
    )
    assert lb.BillingState.from_json(state.to_json()) == state


def test_the_state_keeps_live_subscriptions_only() -> None:
    """A subscription cancelled with a full refund leaves only its id and why in the state."""
    events = [_buy("S1", D(2024, 1, 5)), _buy("S2", D(2024, 1, 6))]
    events.append(lb.Cancel(subscription_id="S1", on=D(2024, 1, 7)))
    _, state = lb.BillingState.empty(rulebook=RULES).advance(events, through=D(2024, 1, 31))
    assert state.subscription_ids == ("S2",)
    assert [sub_id for sub_id, _ in state.run.ended] == ["S1"]


def test_a_duplicate_event_id_is_refused_across_runs() -> None:
    """An event id applied in January is refused when it comes again in February."""
    january = [_buy("S1", D(2024, 1, 5), event_id="E1")]
    _, state = lb.BillingState.empty(rulebook=RULES).advance(january, through=D(2024, 1, 31))
    again = [lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 3), quantity=3, event_id="E1")]
    with pytest.raises(lb.DuplicateEventError, match="'E1' was already applied"):
        lb.BillingState.from_json(state.to_json()).advance(again, through=D(2024, 2, 29))


def test_a_purchase_under_an_ended_id_is_refused_across_runs() -> None:
    """A subscription that ended in January cannot be bought again under its id in February."""
    january = [_buy("S1", D(2024, 1, 5)), lb.Cancel(subscription_id="S1", on=D(2024, 1, 6))]
    _, state = lb.BillingState.empty(rulebook=RULES).advance(january, through=D(2024, 1, 31))
    with pytest.raises(lb.DuplicateSubscriptionError, match="'S1' was already purchased"):
        state.advance([_buy("S1", D(2024, 2, 2))], through=D(2024, 2, 29))


def test_an_event_already_billed_is_refused() -> None:
    """An event dated on or before the state's date is an EventOrderError naming that date."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance([], through=D(2024, 1, 31))
    with pytest.raises(lb.EventOrderError, match="on or before 2024-01-31"):
        state.advance([_buy("S1", D(2024, 1, 31))], through=D(2024, 2, 29))


def test_an_event_after_through_is_refused() -> None:
    """An event dated after ``through`` is refused, not dropped: a later run must get it."""
    with pytest.raises(lb.EventOrderError, match=r"after through \(2024-01-31\)"):
        lb.BillingState.empty(rulebook=RULES).advance(
            [_buy("S1", D(2024, 2, 1))], through=D(2024, 1, 31)
        )


def test_through_before_the_state_is_refused() -> None:
    """Advancing to a date before the state's date is an InvalidValueError."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance([], through=D(2024, 1, 31))
    with pytest.raises(lb.InvalidValueError, match="2024-01-30 is before 2024-01-31"):
        state.advance([], through=D(2024, 1, 30))


def test_an_unknown_version_is_refused() -> None:
    """A stored state of another format version is a StateVersionError naming the version."""
    data = json.loads(lb.BillingState.empty(rulebook=RULES).to_json())
    data["version"] = 99
    with pytest.raises(lb.StateVersionError, match="version: this licbill reads version 1, not 99"):
        lb.BillingState.from_json(json.dumps(data))


def test_text_that_is_not_a_state_is_refused() -> None:
    """JSON of something else is a ConversionError at the ``format`` key."""
    with pytest.raises(lb.ConversionError, match=r"format: expected 'licbill\.BillingState'"):
        lb.BillingState.from_json('{"skus": []}')


def test_text_that_is_not_json_is_refused() -> None:
    """Text that is not JSON is a ConversionError saying so."""
    with pytest.raises(lb.ConversionError, match="not JSON"):
        lb.BillingState.from_json("{")


def test_a_bad_field_is_named_by_its_path() -> None:
    """A bad quantity in a stored subscription is reported at its path."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance(
        [_buy("S1", D(2024, 1, 5))], through=D(2024, 1, 31)
    )
    data = json.loads(state.to_json())
    data["run"]["subscriptions"][0]["quantity"] = "two"
    with pytest.raises(lb.ConversionError, match=r"run\.subscriptions\[0\]\.quantity"):
        lb.BillingState.from_json(json.dumps(data))


def test_a_sku_index_out_of_range_is_named_by_its_path() -> None:
    """A subscription naming a SKU index that ``skus`` does not have is refused at its path."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance(
        [_buy("S1", D(2024, 1, 5))], through=D(2024, 1, 31)
    )
    data = json.loads(state.to_json())
    data["run"]["subscriptions"][0]["sku"] = 3
    with pytest.raises(lb.ConversionError, match=r"run\.subscriptions\[0\]\.sku: expected the"):
        lb.BillingState.from_json(json.dumps(data))


def test_each_sku_is_stored_once() -> None:
    """Subscriptions on one SKU share one entry of ``skus`` in the JSON."""
    events = [_buy(f"S{n}", D(2024, 1, n)) for n in range(1, 6)]
    _, state = lb.BillingState.empty(rulebook=RULES).advance(events, through=D(2024, 1, 31))
    data = json.loads(state.to_json())
    assert len(data["skus"]) == 1
    assert {sub["sku"] for sub in data["run"]["subscriptions"]} == {0}


def test_a_seat_batch_total_that_contradicts_the_quantity_is_refused() -> None:
    """A stored subscription whose seat batches do not add up to its quantity is refused."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance(
        [_buy("S1", D(2024, 1, 5))], through=D(2024, 1, 31)
    )
    data = json.loads(state.to_json())
    data["run"]["subscriptions"][0]["quantity"] = 5
    with pytest.raises(lb.ConversionError, match="seat batches do not add up to 5"):
        lb.BillingState.from_json(json.dumps(data))


def test_a_run_state_of_the_wrong_shape_is_refused() -> None:
    """A RunState built by hand with a list of event ids is an InvalidTypeError naming it."""
    with pytest.raises(lb.InvalidTypeError, match="event_ids must be a frozenset of str"):
        lb.charges.RunState(event_ids=["E1"])  # type: ignore[arg-type]


def test_a_subscription_both_live_and_ended_is_refused() -> None:
    """A stored state naming one subscription both live and ended is refused."""
    _, state = lb.BillingState.empty(rulebook=RULES).advance(
        [_buy("S1", D(2024, 1, 5))], through=D(2024, 1, 31)
    )
    data = json.loads(state.to_json())
    data["run"]["ended"] = [["S1", "it was cancelled"]]
    with pytest.raises(lb.ConversionError, match=r"\['S1'\] are both live and ended"):
        lb.BillingState.from_json(json.dumps(data))


def test_a_state_without_a_rulebook_is_refused() -> None:
    """A rulebook given by name is an InvalidTypeError naming it."""
    with pytest.raises(lb.InvalidTypeError, match=r"rulebook must be a licbill\.Rulebook"):
        lb.BillingState(rulebook="new-commerce")  # type: ignore[arg-type]


def test_a_state_with_a_run_of_another_type_is_refused() -> None:
    """A run that is not a RunState is an InvalidTypeError naming it."""
    with pytest.raises(lb.InvalidTypeError, match=r"run must be a licbill\.charges\.RunState"):
        lb.BillingState(rulebook=RULES, run={})  # type: ignore[arg-type]
