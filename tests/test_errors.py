"""Bad input meets a clear licbill error that names it; nothing is skipped silently."""

from __future__ import annotations

import datetime as dt

import pytest

import licbill as lb

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
ONE = lb.Money(1, "USD")
STD = lb.Sku.monthly(id="std", name="Std", unit_price=lb.Money("30", "USD"), max_quantity=10)
PRO = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("60", "USD"))
EUR = lb.Sku.monthly(id="eur", name="Eur", unit_price=lb.Money("60", "EUR"))
FLAT = lb.Sku.monthly(id="flat", name="Flat", unit_price=ONE, kind=lb.SkuKind.FLAT)
BUY = lb.Purchase(subscription_id="S1", on=D(2024, 1, 10), sku=STD, quantity=2)


def _bill(*events: lb.Event) -> tuple[lb.ChargeLine, ...]:
    return lb.charge_lines(events, through=D(2024, 12, 31), rulebook=NC)


@pytest.mark.parametrize(
    ("event", "error", "message"),
    [
        (
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 1, 9), quantity=3),
            lb.EventOrderError,
            "precedes the purchase",
        ),
        (
            lb.ChangeQuantity(subscription_id="S9", on=D(2024, 2, 1), quantity=3),
            lb.UnknownSubscriptionError,
            "'S9'",
        ),
        (
            lb.ConvertSku(subscription_id="S1", on=D(2024, 2, 1), to=STD),
            lb.SameSkuError,
            "already has SKU 'std'",
        ),
        (
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 1), quantity=2),
            lb.QuantityError,
            "already 2",
        ),
        (
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 1), quantity=11),
            lb.QuantityError,
            "outside the limits",
        ),
        (
            lb.ConvertSku(subscription_id="S1", on=D(2024, 2, 1), to=PRO, quantity=3),
            lb.PlanAndQuantityError,
            "2 -> 3",
        ),
        (
            lb.ConvertSku(subscription_id="S1", on=D(2024, 2, 1), to=EUR),
            lb.CurrencyMismatchError,
            "EUR",
        ),
        (
            lb.ConvertSku(subscription_id="S1", on=D(2024, 2, 1), to=FLAT),
            lb.IncompatibleSkuError,
            "'flat'",
        ),
        (
            lb.Purchase(subscription_id="S1", on=D(2024, 2, 1), sku=STD),
            lb.DuplicateSubscriptionError,
            "already purchased",
        ),
    ],
)
def test_refused_events(event: lb.Event, error: type[Exception], message: str) -> None:
    """Each rule of the subscription API refuses the event with its own error, naming it."""
    with pytest.raises(error, match=message) as caught:
        _bill(BUY, event)
    assert isinstance(caught.value, lb.LicbillError)
    if isinstance(caught.value, lb.EventError):
        assert caught.value.event is event
        assert repr(event) in str(caught.value)


def test_a_cancelled_subscription_cannot_be_changed() -> None:
    """After a cancel with refund, any further event is refused."""
    with pytest.raises(lb.SubscriptionEndedError, match="full refund"):
        _bill(
            BUY,
            lb.Cancel(subscription_id="S1", on=D(2024, 1, 10)),
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 1, 11), quantity=3),
        )


def test_a_trial_cannot_be_restarted_or_changed() -> None:
    """A trial's seats are fixed, and a cancelled trial cannot be bought again."""
    trial = lb.Purchase(subscription_id="T", on=D(2024, 1, 10), sku=STD, trial=True)
    with pytest.raises(lb.TrialError):
        _bill(trial, lb.ChangeQuantity(subscription_id="T", on=D(2024, 1, 11), quantity=3))
    with pytest.raises(lb.DuplicateSubscriptionError):
        _bill(
            trial,
            lb.Cancel(subscription_id="T", on=D(2024, 1, 11)),
            lb.Purchase(subscription_id="T", on=D(2024, 1, 12), sku=STD, trial=True),
        )


def test_flat_skus_have_no_seats() -> None:
    """A flat SKU refuses a quantity other than one, at purchase and as a change."""
    flat = lb.Sku.monthly(id="f", name="F", unit_price=lb.Money("5", "USD"), kind=lb.SkuKind.FLAT)
    with pytest.raises(lb.QuantityError):
        _bill(lb.Purchase(subscription_id="F", on=D(2024, 1, 1), sku=flat, quantity=2))
    with pytest.raises(lb.QuantityError, match="no seats"):
        _bill(
            lb.Purchase(subscription_id="F", on=D(2024, 1, 1), sku=flat),
            lb.ChangeQuantity(subscription_id="F", on=D(2024, 1, 2), quantity=2),
        )


def test_duplicate_event_ids_are_refused() -> None:
    """An event id given twice is refused rather than applied twice."""
    first = lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 1), quantity=3, event_id="e-1")
    again = lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 2), quantity=4, event_id="e-1")
    with pytest.raises(lb.DuplicateEventError, match="'e-1'"):
        _bill(BUY, first, again)
    assert _bill(BUY, first)[1].reference_id == "e-1"


def test_a_date_ordered_stream_must_not_go_back() -> None:
    """The lazy iterator refuses an event dated before the previous one."""
    stream = lb.iter_charge_lines(
        [
            BUY,
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 3, 1), quantity=3),
            lb.ChangeQuantity(subscription_id="S1", on=D(2024, 2, 1), quantity=4),
        ],
        through=D(2024, 12, 31),
        rulebook=NC,
    )
    with pytest.raises(lb.EventOrderError, match="predecessor"):
        list(stream)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (
            lambda: lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=STD, quantity=0),
            lb.InvalidValueError,
        ),
        (
            lambda: lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=STD, quantity=-3),
            lb.InvalidValueError,
        ),
        (
            lambda: lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=STD, quantity=1.0),
            lb.InvalidTypeError,
        ),
        (
            lambda: lb.Purchase(subscription_id="S", on=dt.datetime(2024, 1, 1), sku=STD),
            lb.InvalidTypeError,
        ),
        (lambda: lb.Purchase(subscription_id="", on=D(2024, 1, 1), sku=STD), lb.InvalidTypeError),
        (
            lambda: lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku="std"),
            lb.InvalidTypeError,
        ),
        (
            lambda: lb.Purchase(subscription_id="S", on=D(2024, 1, 1), sku=STD, trial="yes"),
            lb.InvalidTypeError,
        ),
        (
            lambda: lb.ChangeQuantity(subscription_id="S", on="2024-01-01", quantity=2),
            lb.InvalidTypeError,
        ),
        (
            lambda: lb.SetAutoRenew(subscription_id="S", on=D(2024, 1, 1), enabled=1),
            lb.InvalidTypeError,
        ),
        (
            lambda: lb.Cancel(subscription_id="S", on=D(2024, 1, 1), event_id=""),
            lb.InvalidTypeError,
        ),
        (lambda: lb.Sku.monthly(id="x", name="X", unit_price=-ONE), lb.InvalidValueError),
        (lambda: lb.Sku.monthly(id="x", name="X", unit_price=1), lb.InvalidTypeError),
        (
            lambda: lb.Sku.monthly(
                id="x", name="X", unit_price=ONE, min_quantity=5, max_quantity=2
            ),
            lb.InvalidValueError,
        ),
        (
            lambda: lb.Sku(
                id="x", name="X", unit_price=ONE, term=lb.Term.P1M, billing=lb.Billing.ANNUAL
            ),
            lb.InvalidValueError,
        ),
        (
            lambda: lb.Sku.monthly(
                id="x", name="X", unit_price=ONE, kind=lb.SkuKind.FLAT, max_quantity=3
            ),
            lb.InvalidValueError,
        ),
    ],
)
def test_constructors_validate(build: object, error: type[Exception]) -> None:
    """Events and SKUs refuse wrong types and values when they are made."""
    with pytest.raises(error):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("events", "kwargs", "error"),
    [
        ("not events", {}, lb.InvalidTypeError),
        ([BUY, "cancel"], {}, lb.InvalidTypeError),
        ([BUY], {"through": dt.datetime(2024, 1, 1)}, lb.InvalidTypeError),
        ([BUY], {"rulebook": "new-commerce"}, lb.InvalidTypeError),
    ],
)
def test_charge_lines_validates_its_arguments(
    events: object, kwargs: dict[str, object], error: type[Exception]
) -> None:
    """Wrong events, horizons and rulebooks are refused up front."""
    args: dict[str, object] = {"through": D(2024, 1, 1), "rulebook": NC} | kwargs
    with pytest.raises(error):
        lb.charge_lines(events, **args)  # type: ignore[arg-type]


def test_rulebook_parameters_are_validated() -> None:
    """A rulebook refuses negative windows, a missing spelling or a wrong rounding policy."""
    import attrs

    with pytest.raises(lb.InvalidValueError):
        attrs.evolve(NC, full_refund_days=-1)
    with pytest.raises(lb.InvalidValueError, match="CANCEL"):
        attrs.evolve(NC, spellings={lb.ChargeType.NEW: "New"})
    with pytest.raises(lb.InvalidTypeError):
        attrs.evolve(NC, rounding="down")
    with pytest.raises(lb.InvalidValueError):
        attrs.evolve(NC, trial_months=0)


def test_errors_subclass_the_matching_builtins() -> None:
    """Every licbill error is a LicbillError and the builtin a caller would catch."""
    assert issubclass(lb.InvalidTypeError, TypeError)
    assert issubclass(lb.InvalidValueError, ValueError)
    assert issubclass(lb.UnknownSubscriptionError, LookupError)
    assert issubclass(lb.EventError, ValueError)
    assert all(
        issubclass(getattr(lb, n), lb.LicbillError) for n in lb.__all__ if n.endswith("Error")
    )


def test_lazy_runs_validate_their_arguments() -> None:
    """The lazy iterator refuses a wrong horizon or rulebook before it starts."""
    with pytest.raises(lb.InvalidTypeError):
        lb.iter_charge_lines([BUY], through="2024-01-01", rulebook=NC)  # type: ignore[arg-type]
    with pytest.raises(lb.InvalidTypeError):
        lb.iter_charge_lines([BUY], through=D(2024, 1, 1), rulebook=None)  # type: ignore[arg-type]


def test_conversion_to_a_sku_whose_limits_exclude_the_quantity() -> None:
    """Converting to a SKU that cannot hold the current seats is refused."""
    small = lb.Sku.monthly(id="small", name="Small", unit_price=ONE, max_quantity=1)
    with pytest.raises(lb.QuantityError, match="'small'"):
        _bill(BUY, lb.ConvertSku(subscription_id="S1", on=D(2024, 2, 1), to=small))


def test_money_refuses_foreign_operands() -> None:
    """Money meets only money: other operands and bad minor units are refused."""
    with pytest.raises(lb.InvalidTypeError):
        lb.Money(1, "USD") + 1  # type: ignore[operator]
    with pytest.raises(lb.InvalidTypeError):
        _ = lb.Money(1, "USD") > 0  # type: ignore[operator]
    with pytest.raises(lb.InvalidTypeError):
        lb.Money.from_minor(1.0, "USD")  # type: ignore[arg-type]


def test_rulebook_fields_are_type_checked() -> None:
    """Spellings must be a mapping and the trial conversion a TrialConversion."""
    import attrs

    with pytest.raises(lb.InvalidTypeError):
        attrs.evolve(NC, spellings=["new"])
    with pytest.raises(lb.InvalidTypeError):
        attrs.evolve(NC, trial_conversion="renew")


def test_lazy_runs_over_lists_name_events_before_their_purchase() -> None:
    """Given a list, the lazy iterator also knows an event precedes its purchase."""
    early = lb.ChangeQuantity(subscription_id="S1", on=D(2024, 1, 9), quantity=3)
    with pytest.raises(lb.EventOrderError, match="precedes the purchase"):
        list(lb.iter_charge_lines([early, BUY], through=D(2024, 2, 1), rulebook=NC))


def test_add_location_keeps_the_class_and_the_first_place() -> None:
    """add_location() sets file, line and field and prefixes the message, once; the class stays."""
    from pathlib import Path

    error = lb.QuantityError("too many", event="e")
    assert (error.file, error.line, error.field) == (None, None, None)
    located = error.add_location(file=Path("a.toml"), line=3, field="event[0]")
    assert located is error
    assert type(error) is lb.QuantityError
    assert str(error) == "a.toml:3: event[0]: too many: 'e'"
    error.add_location(file=Path("b.toml"), line=9, field=None)
    assert (error.file, error.line, error.field) == (Path("a.toml"), 3, "event[0]")


def test_scenario_error_is_exported_and_a_value_error() -> None:
    """licbill.ScenarioError is the scenarios module's error and also a ValueError."""
    from licbill.io.scenarios import ScenarioError

    assert lb.ScenarioError is ScenarioError
    assert issubclass(lb.ScenarioError, lb.LicbillError)
    assert issubclass(lb.ScenarioError, ValueError)


def test_every_error_class_is_on_the_errors_page() -> None:
    """docs/errors.md lists every class of licbill.errors.__all__ in its tables, with its bases."""
    import inspect
    from pathlib import Path

    import licbill.errors

    page = (Path(__file__).parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in page.splitlines()
            if line.startswith("| `")}  # fmt: skip
    assert set(rows) == set(licbill.errors.__all__)
    for name, row in rows.items():
        bases = [b.__name__ for b in getattr(licbill.errors, name).__bases__]
        public = [b for b in bases if not b.startswith("_")]
        shown = row.split("|")[2]
        assert all(f"`{base}`" in shown for base in public), (name, public)
        assert inspect.isclass(getattr(licbill, name))
