"""Plain data in and out: ``lb.to_dict`` / ``lb.from_dict`` round-trip and name bad fields."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill import directory, strategies
from licbill.rulebooks import MARKETPLACE_2019, NEW_COMMERCE
from licbill.seeds import SCENARIOS

EXAMPLES = settings(max_examples=40)


def _through_json(value: Any, type_: Any) -> Any:
    """to_dict, then JSON text and back, then from_dict."""
    text = json.dumps(lb.to_dict(value))
    return lb.from_dict(type_, json.loads(text))


def _assert_round_trip(value: Any, type_: Any) -> None:
    data = lb.to_dict(value)
    assert lb.from_dict(type_, data) == value
    assert _through_json(value, type_) == value


rulebooks = st.builds(
    attrs.evolve,
    st.sampled_from([NEW_COMMERCE, MARKETPLACE_2019]),
    name=st.text(min_size=1, max_size=8),
    rounding=st.sampled_from(lb.Rounding),
    trial_months=st.integers(1, 3),
    full_refund_days=st.integers(0, 5),
    prorated_refund_days=st.integers(0, 14),
    descriptions=st.builds(lb.Descriptions, trial=st.text(max_size=10)),
)


@EXAMPLES
@given(strategies.skus())
def test_skus_round_trip(sku: lb.Sku) -> None:
    """Any SKU survives to_dict, JSON and from_dict unchanged."""
    _assert_round_trip(sku, lb.Sku)


@EXAMPLES
@given(strategies.purchases())
def test_purchases_round_trip(purchase: lb.Purchase) -> None:
    """Any purchase survives the round trip, read as a Purchase or as any Event."""
    _assert_round_trip(purchase, lb.Purchase)
    _assert_round_trip(purchase, lb.Event)


@EXAMPLES
@given(strategies.event_histories())
def test_event_histories_round_trip(events: tuple[lb.Event, ...]) -> None:
    """A mixed list of events reads back, each event as its own class, by its "type" key."""
    _assert_round_trip(list(events), list[lb.Event])
    _assert_round_trip(events, tuple[lb.Event, ...])


@EXAMPLES
@given(strategies.event_histories(), rulebooks)
def test_charge_lines_round_trip(events: tuple[lb.Event, ...], rulebook: lb.Rulebook) -> None:
    """The lines of any run read back as the same ChargeLines (and each line alone)."""
    try:
        lines = lb.charge_lines(events, through=dt.date(2031, 1, 1), rulebook=rulebook)
    except lb.EventError:
        return  # a rulebook variant may refuse a history; its lines are not the point here
    back = _through_json(lines, lb.ChargeLines)
    assert back == lines
    assert type(back) is lb.ChargeLines
    for line in lines[:3]:
        _assert_round_trip(line, lb.ChargeLine)


@EXAMPLES
@given(rulebooks)
def test_rulebooks_round_trip(rulebook: lb.Rulebook) -> None:
    """A rulebook, with its spellings and descriptions, survives the round trip."""
    _assert_round_trip(rulebook, lb.Rulebook)


@EXAMPLES
@given(strategies.users(), strategies.groups(), strategies.workspaces())
def test_users_groups_workspaces_round_trip(
    user: lb.User, group: lb.Group, workspace: lb.Workspace
) -> None:
    """Users, groups and workspaces (with billing details) survive the round trip."""
    _assert_round_trip(user, lb.User)
    _assert_round_trip(group, lb.Group)
    _assert_round_trip(workspace, lb.Workspace)


@EXAMPLES
@given(strategies.workspace_months())
def test_workspace_months_round_trip(drawn: strategies.WorkspaceMonth) -> None:
    """A workspace month (users, groups, month and revisions) survives the round trip."""
    _assert_round_trip(drawn, strategies.WorkspaceMonth)
    _assert_round_trip(list(drawn.history), list[lb.Revision])


@EXAMPLES
@given(strategies.workspace_months(), st.sampled_from(lb.Counting))
def test_invoices_and_price_lists_round_trip(
    drawn: strategies.WorkspaceMonth, counting: lb.Counting
) -> None:
    """An invoice of a drawn month, and its price list, survive the round trip."""
    products = [*lb.Module, *lb.LegacyEdition]
    prices = lb.PriceList(
        {(p, kind): lb.Money("2.50", "EUR") for p in products for kind in lb.UserKind}
    )
    invoice = lb.monthly_invoice(
        drawn.workspace,
        users=drawn.users,
        groups=drawn.groups,
        month=drawn.month,
        prices=prices,
        counting=counting,
        history=drawn.history,
        rounding=lb.Rounding.PER_LINE_HALF_UP,
        trial=drawn.trial,
    )
    _assert_round_trip(invoice, lb.Invoice)
    _assert_round_trip(prices, lb.PriceList)


@EXAMPLES
@given(strategies.directory_histories())
def test_directories_and_their_events_round_trip(
    drawn: tuple[directory.Directory, tuple[Any, ...]],
) -> None:
    """A directory and a mixed list of directory events survive the round trip."""
    start, events = drawn
    _assert_round_trip(start, directory.Directory)
    _assert_round_trip(list(events), list[directory.DirectoryEvent])


@EXAMPLES
@given(strategies.monies(extra_places=4))
def test_money_keeps_every_digit(money: lb.Money) -> None:
    """Money is an exact decimal string and a currency; every digit comes back."""
    data = lb.to_dict(money)
    assert data == {"amount": str(money.amount), "currency": money.currency}
    back = lb.from_dict(lb.Money, data)
    assert back == money
    assert back.amount.as_tuple() == money.amount.as_tuple()


def test_the_json_shape_is_plain() -> None:
    """Amounts are strings, dates ISO, enums by value and events tagged by class name."""
    data = lb.to_dict(SCENARIOS[2].events[0])
    assert data["type"] == "Purchase"
    assert data["on"] == "2019-06-10"
    assert data["sku"]["unit_price"] == {"amount": "20", "currency": "USD"}
    assert data["sku"]["term"] == 1
    assert data["sku"]["kind"] == "custom-meter"


def test_rulebook_spellings_are_an_object_of_strings() -> None:
    """A rulebook's spellings map each charge type's value to its spelling."""
    data = lb.to_dict(MARKETPLACE_2019)
    assert data["spellings"]["cancelImmediate"] == "CancelImmediate"
    assert data["rounding"] == "PER_UNIT_DOWN"


def test_price_list_keys_are_pairs() -> None:
    """A mapping keyed by (product, user kind) is a list of [key, value] pairs."""
    prices = lb.PriceList({(lb.Module.ENGAGE, lb.UserKind.GUEST): lb.Money("1.00", "EUR")})
    assert lb.to_dict(prices) == {
        "prices": [[["Engage", "guest"], {"amount": "1.00", "currency": "EUR"}]]
    }


def _events_data() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = lb.to_dict(list(SCENARIOS[2].events))
    return data


def test_a_bad_field_is_named_by_its_path() -> None:
    """A bool where a quantity goes is refused at the path [0].quantity."""
    data = _events_data()
    data[0]["quantity"] = True
    with pytest.raises(lb.ConversionError) as caught:
        lb.from_dict(list[lb.Event], data)
    assert caught.value.path == "[0].quantity"
    assert "True" in str(caught.value)


def test_every_bad_field_is_reported() -> None:
    """All problems come in one error, each with its path, nested fields included."""
    data = _events_data()
    del data[0]["sku"]["term"]
    data[1]["on"] = "2019-02-30"
    data[1]["colour"] = "red"
    with pytest.raises(lb.ConversionError) as caught:
        lb.from_dict(list[lb.Event], data)
    assert [path for path, _ in caught.value.problems] == [
        "[0].sku.term",
        "[1].on",
        "[1].colour",
    ]


def test_a_field_path_inside_a_value() -> None:
    """A value read alone names its own field: quantity."""
    data = _events_data()[0]
    data["quantity"] = "3"
    with pytest.raises(lb.ConversionError, match="quantity: expected an integer"):
        lb.from_dict(lb.Purchase, data)


def test_the_classes_rules_still_apply() -> None:
    """A value the class refuses is reported with the class's own message at its path."""
    data = _events_data()
    data[0]["quantity"] = 0
    with pytest.raises(lb.ConversionError, match=r"\[0\]: quantity must lie in 1..1000000000"):
        lb.from_dict(list[lb.Event], data)


def test_a_float_is_no_amount() -> None:
    """A JSON number where money goes is refused: amounts are exact strings."""
    with pytest.raises(lb.ConversionError, match="amount: expected a decimal"):
        lb.from_dict(lb.Money, {"amount": 1.5, "currency": "EUR"})


def test_an_unknown_event_type_is_refused() -> None:
    """An event whose "type" names no event class is refused at its index."""
    data = _events_data()
    data[1]["type"] = "Refund"
    with pytest.raises(lb.ConversionError, match=r"\[1\]: 'type' must be one of"):
        lb.from_dict(list[lb.Event], data)


def test_a_mismatched_type_key_is_refused() -> None:
    """Reading a Purchase from a dict tagged as another class is refused."""
    data = _events_data()[1]
    with pytest.raises(lb.ConversionError, match="where a Purchase is expected"):
        lb.from_dict(lb.Purchase, data)


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        (lb.Sku, [1], "expected an object for a Sku"),
        (lb.Term, 12.0, "expected one of 1, 12, 36"),
        (lb.Term, True, "expected one of"),
        (lb.Group, {"id": "g", "modules": "Engage"}, "modules: expected a list"),
        (lb.Group, {"id": "g", "modules": ["Gold"]}, r"modules\[0\]: expected one of"),
        (lb.Workspace, {"id": "w", "created_on": "2024-1-1"}, "created_on: expected an ISO"),
        (lb.Month, {"year": 2024, "month": 13}, "a month must lie in 1..12"),
        (lb.Money, {"amount": "abc", "currency": "EUR"}, "amount: not a decimal"),
        (lb.Money, {"amount": "NaN", "currency": "EUR"}, "amount: expected a finite"),
        (lb.Money, {"amount": "1", "currency": "XXY"}, "unknown ISO 4217"),
        (lb.User, {"id": "u", "username": "u", "admin": 1}, "admin: expected true or false"),
        (lb.PriceList, {"prices": [[["Engage"], None]]}, r"prices\[0\]: expected 2 items"),
        (lb.PriceList, {"prices": [1]}, r"prices: expected \[key, value\] pairs"),
        (lb.PriceList, {"prices": {}}, r"prices: expected a list"),
        (lb.Rulebook, {**lb.to_dict(NEW_COMMERCE), "spellings": []}, "spellings: expected an"),
        (lb.Revision, {"on": "2024-01-01", "value": None}, "value: null is not allowed"),
        (lb.Revision, {"on": "2024-01-01", "value": 3}, "value: expected an object with a"),
        (lb.Invoice, {}, "workspace_id: required, but missing"),
    ],
)
def test_bad_data_is_refused_with_its_path(type_: Any, data: Any, message: str) -> None:
    """Each kind of bad data is refused with a ConversionError naming the field."""
    with pytest.raises(lb.ConversionError, match=message):
        lb.from_dict(type_, data)


def test_conversion_errors_are_value_and_type_errors() -> None:
    """A ConversionError is caught as InvalidValueError and as InvalidTypeError."""
    with pytest.raises(lb.InvalidTypeError):
        lb.from_dict(lb.Money, {"amount": 1.5, "currency": "EUR"})
    with pytest.raises(lb.InvalidValueError):
        lb.from_dict(lb.Money, {"amount": 1.5, "currency": "EUR"})


def test_unsupported_types_are_refused() -> None:
    """to_dict of a non-licbill value and from_dict to an unknown type raise InvalidTypeError."""
    with pytest.raises(lb.InvalidTypeError, match="to_dict takes"):
        lb.to_dict(Decimal("1"))
    with pytest.raises(lb.InvalidTypeError, match="cannot convert plain data"):
        lb.from_dict(Decimal | int, "1")


def test_optional_values_read_null() -> None:
    """A field that may be None reads JSON null, and anything else by its own type."""
    sku = lb.from_dict(lb.Sku, lb.to_dict(SCENARIOS[0].events[0].sku))
    assert sku.max_quantity is None
    changed = lb.from_dict(lb.ConvertSku, lb.to_dict(SCENARIOS[2].events[1]) | {"quantity": 1})
    assert changed.quantity == 1


@attrs.frozen
class _Left:
    size: int


@attrs.frozen
class _Right:
    name: str


@attrs.frozen(kw_only=True)
class _Box:
    """A value class as another helper might add one: new field types need no converter code."""

    item: _Left | _Right
    counts: dict[int, int] = attrs.field(factory=dict)
    by_module: dict[lb.Module, lb.Money] = attrs.field(factory=dict)
    pair: tuple[lb.UserKind, dt.date] | None = None


def test_new_classes_and_fields_flow_through() -> None:
    """Any attrs class converts generically: unions of classes get a "type", others by shape."""
    box = _Box(
        item=_Right("x"),
        counts={3: 4},
        by_module={lb.Module.ENGAGE: lb.Money("1.00", "EUR")},
        pair=(lb.UserKind.GUEST, dt.date(2024, 5, 1)),
    )
    data = lb.to_dict(box)
    assert data["item"] == {"type": "_Right", "name": "x"}
    assert data["counts"] == [[3, 4]]
    assert data["by_module"] == {"Engage": {"amount": "1.00", "currency": "EUR"}}
    assert _through_json(box, _Box) == box


def test_a_string_field_refuses_a_number() -> None:
    """A number where a string goes is refused at its path."""
    with pytest.raises(lb.ConversionError, match="id: expected a string, not 5"):
        lb.from_dict(lb.Group, {"id": 5})


def test_a_union_of_enums_names_its_values() -> None:
    """A product that is neither a module nor an edition is refused with the allowed values."""
    with pytest.raises(lb.ConversionError, match=r"\[0\]: expected one of 'Hybrid'"):
        lb.from_dict(list[lb.Module | lb.LegacyEdition], ["Gold"])


def test_a_new_converter_takes_leaf_hooks_at_every_depth() -> None:
    """A leaf hook registered on a new converter before use applies inside nested values."""
    from licbill.io.convert import build_converter

    conv = build_converter()
    conv.register_structure_hook(dt.date, lambda value, _type: value)  # native dates, as TOML
    data = lb.to_dict(SCENARIOS[2].events[0]) | {"on": dt.date(2019, 6, 10)}
    assert conv.structure([data], list[lb.Event]) == [SCENARIOS[2].events[0]]
