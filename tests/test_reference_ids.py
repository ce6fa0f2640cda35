"""Generated reference ids never collide with given event ids (issue 10, finding 5)."""

from __future__ import annotations

import datetime as dt
import enum

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.strategies import event_histories
from licbill.subscription import is_generated_reference

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
SKU = lb.Sku.monthly(id="s", name="S", unit_price=lb.Money("10.00", "USD"))
BUY = lb.Purchase(subscription_id="S1", on=D(2024, 1, 10), sku=SKU)


def _bill(*events: lb.Event) -> tuple[lb.ChargeLine, ...]:
    return tuple(lb.charge_lines(events, through=D(2024, 6, 30), rulebook=NC))


@pytest.mark.parametrize("given_id", ["S1-0003", "S1-0001", "x-12345", "S2-0003"])
def test_a_given_id_in_the_generated_form_is_refused(given_id: str) -> None:
    """The issue's case: a given ``S1-0003`` is refused instead of sharing a renewal's id."""
    change = lb.ChangeQuantity(
        subscription_id="S1", on=D(2024, 1, 20), quantity=3, event_id=given_id
    )
    with pytest.raises(lb.ReservedEventIdError, match=given_id) as raised:
        _bill(BUY, change)
    assert raised.value.event is change


def test_a_given_id_after_the_generated_one_is_refused() -> None:
    """Generated first (renewal S1-0002 on 10 Feb), then a later event naming S1-0002: refused."""
    change = lb.ChangeQuantity(
        subscription_id="S1", on=D(2024, 3, 20), quantity=3, event_id="S1-0002"
    )
    with pytest.raises(lb.ReservedEventIdError, match="S1-0002"):
        _bill(BUY, change)


@pytest.mark.parametrize("given_id", ["e-1", "ord-123", "INV2024", "S1-0003x", "S1_0003"])
def test_other_given_ids_are_kept(given_id: str) -> None:
    """Ids outside the reserved form are written unchanged on their lines."""
    change = lb.ChangeQuantity(
        subscription_id="S1", on=D(2024, 1, 20), quantity=3, event_id=given_id
    )
    assert [line.reference_id for line in _bill(BUY, change)][1:3] == [given_id, given_id]


@settings(max_examples=40)
@given(events=event_histories(subscriptions=st.integers(1, 3)))
def test_references_identify_one_event_or_boundary(events: tuple[lb.Event, ...]) -> None:
    """Property: lines sharing a reference id come from one order date and one subscription,
    or from the two subscriptions of one partial upgrade (convert or moveQuantity lines)."""
    lines = lb.charge_lines(events, through=D(2027, 12, 31), rulebook=NC)
    owners: dict[str, set[tuple[str, dt.date]]] = {}
    kinds: dict[str, set[str]] = {}
    for line in lines:
        owners.setdefault(line.reference_id, set()).add((line.subscription_id, line.order_date))
        kinds.setdefault(line.reference_id, set()).add(str(line.charge_type))
    for ref, owner in owners.items():
        assert len({day for _, day in owner}) == 1, ref
        if len(owner) > 1:
            assert len(owner) == 2, ref
            assert kinds[ref] <= {"convert", "moveQuantity"}, ref


class _SubscriptionId(str, enum.Enum):  # noqa: UP042 (formats as its name, not its text)
    """A subscription id kept as a str enum by the caller."""

    FIRST = "S1"


def test_a_generated_reference_is_the_id_text_and_its_number() -> None:
    """An id given as a str subclass makes the references of its plain text, which is what a
    round trip through BillingState JSON gives back."""
    purchase = lb.Purchase(
        subscription_id=_SubscriptionId.FIRST, on=D(2024, 1, 10), sku=SKU, quantity=2
    )
    refs = [line.reference_id for line in _bill(purchase)]
    assert refs == ["S1-0001", "S1-0002", "S1-0003", "S1-0004", "S1-0005", "S1-0006"]
    assert all(type(ref) is str for ref in refs)
    plain = [line.reference_id for line in _bill(attrs.evolve(purchase, subscription_id="S1"))]
    assert refs == plain


def test_a_thousandth_reference_has_as_many_digits_as_it_needs() -> None:
    """After S1-0999 comes S1-1000: four digits or more, never cut short."""
    monthly = lb.Purchase(subscription_id="S1", on=D(1900, 1, 1), sku=SKU)
    lines = lb.charge_lines([monthly], through=D(1985, 12, 31), rulebook=NC)
    refs = [line.reference_id for line in lines]
    assert refs[:2] == ["S1-0001", "S1-0002"]
    assert refs[998:1001] == ["S1-0999", "S1-1000", "S1-1001"]
    assert len(refs) == len(set(refs)) == 86 * 12
    assert all(is_generated_reference(ref) for ref in refs)
