"""Regression tests for the audit review's findings (docs/audit.md)."""

from __future__ import annotations

import csv
import decimal
import io
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

import licbill as lb
from caller_contexts import CALLER_CONTEXTS
from licbill.io.cli import main
from licbill.io.recon import write_csv
from licbill.strategies import event_histories

NC = lb.rulebooks.NEW_COMMERCE


def _usd(amount: str) -> lb.Money:
    return lb.Money(amount, "USD")


def _findings(events: list[lb.Event], through: date) -> tuple[lb.audit.Finding, ...]:
    """The audit findings of licbill's own new-commerce lines for *events*."""
    lines = lb.charge_lines(events, through=through, rulebook=NC)
    return lb.audit.check(lines, rulebook=NC)


def _recon_rows(
    events: list[lb.Event] | tuple[lb.Event, ...], through: date
) -> tuple[lb.audit.ReconRow, ...]:
    """licbill's new-commerce lines for *events*, written as a recon file and read back."""
    lines = lb.charge_lines(events, through=through, rulebook=NC)
    text = io.StringIO()
    write_csv(lines, text)
    text.seek(0)
    return lb.audit.read_recon(text)


# 1. Two month grids meet where a month end clamps ------------------------------------------


def test_convert_to_monthly_on_a_leap_day_is_clean() -> None:
    """An annual bought 2024-01-30, converted to monthly on 2024-02-29: the new grid counts."""
    annual = lb.Sku.annual(id="yra", name="A", unit_price=_usd("300.00"))
    monthly = lb.Sku.annual(
        id="yrm2", name="M", unit_price=_usd("35.00"), billing=lb.Billing.MONTHLY
    )
    events = [
        lb.Purchase(subscription_id="S", on=date(2024, 1, 30), sku=annual, quantity=2),
        lb.ConvertSku(subscription_id="S", on=date(2024, 2, 29), to=monthly),
    ]
    assert _findings(events, date(2024, 4, 1)) == ()


def test_trial_converted_a_day_before_its_end_is_clean() -> None:
    """A trial from 2023-12-31 converted on 2024-01-30 charges 2024-01-30..2024-02-28 cleanly."""
    sku = lb.Sku.monthly(id="m30", name="M", unit_price=_usd("30.00"))
    events = [
        lb.Purchase(subscription_id="T", on=date(2023, 12, 31), sku=sku, quantity=1, trial=True),
        lb.ConvertTrial(subscription_id="T", on=date(2024, 1, 30)),
    ]
    assert _findings(events, date(2024, 3, 1)) == ()


def test_three_year_monthly_converted_to_annual_is_clean() -> None:
    """A P3Y monthly bought 2024-01-30, converted to P3Y annual on 2024-02-28, is clean."""
    monthly = lb.Sku(
        id="p3m", name="P", unit_price=_usd("40.00"), term=lb.Term.P3Y, billing=lb.Billing.MONTHLY
    )
    annual = lb.Sku(
        id="p3a", name="Q", unit_price=_usd("500.00"), term=lb.Term.P3Y, billing=lb.Billing.ANNUAL
    )
    events = [
        lb.Purchase(subscription_id="U", on=date(2024, 1, 30), sku=monthly, quantity=1),
        lb.ConvertSku(subscription_id="U", on=date(2024, 2, 28), to=annual),
    ]
    assert _findings(events, date(2024, 4, 1)) == ()


# 3. The caller's decimal context ---------------------------------------------------------------

_SKU = lb.Sku.monthly(id="m", name="M", unit_price=_usd("12345.67"))
_EVENTS = [
    lb.Purchase(subscription_id="C", on=date(2024, 1, 10), sku=_SKU, quantity=3),
    lb.ChangeQuantity(subscription_id="C", on=date(2024, 1, 25), quantity=7),
]


def test_a_clean_file_stays_clean_under_a_two_digit_round_up_context() -> None:
    """Under the caller's prec=2, ROUND_UP context, a clean file still has no findings."""
    rows = _recon_rows(_EVENTS, date(2024, 4, 30))
    assert lb.audit.check(rows, rulebook=NC) == ()
    with decimal.localcontext(prec=2, rounding=decimal.ROUND_UP):
        assert lb.audit.check(rows, rulebook=NC) == ()


@settings(max_examples=25, deadline=None)
@given(events=event_histories(), caller=CALLER_CONTEXTS)
def test_check_does_not_depend_on_the_callers_context(
    events: tuple[lb.Event, ...], caller: decimal.Context
) -> None:
    """Property: check() finds the same under any drawn caller context."""
    rows = _recon_rows(events, date(2027, 12, 31))
    expected = lb.audit.check(rows, rulebook=NC)
    with decimal.localcontext(caller):
        assert lb.audit.check(rows, rulebook=NC) == expected


# 4. Error messages -------------------------------------------------------------------------------


def _file_with(tmp_path: Path, field: str, value: str) -> Path:
    """A one-line recon file of licbill's own lines, with *field* of row 2 set to *value*."""
    lines = lb.charge_lines(_EVENTS[:1], through=date(2024, 1, 31), rulebook=NC)
    text = io.StringIO()
    write_csv(lines, text)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    rows[0][field] = value
    path = tmp_path / "recon.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_subtotal_beyond_the_supported_amounts_names_line_and_field(tmp_path: Path) -> None:
    """A Subtotal of 1e999999 is refused naming the file, line 2 and the Subtotal field."""
    path = _file_with(tmp_path, "Subtotal", "1e999999")
    with pytest.raises(lb.audit.ReconFileError, match=r"recon\.csv:2: Subtotal: ") as caught:
        lb.audit.read_recon(path)
    assert (caught.value.line, caught.value.field) == (2, "Subtotal")


def test_a_huge_quantity_is_refused_by_read_recon(tmp_path: Path) -> None:
    """A Quantity of 99999999999999999999999 is refused on reading, naming file, line, field."""
    path = _file_with(tmp_path, "Quantity", "99999999999999999999999")
    with pytest.raises(lb.audit.ReconFileError, match=r"recon\.csv:2: Quantity: .*0\.\.") as caught:
        lb.audit.read_recon(path)
    assert (caught.value.line, caught.value.field) == (2, "Quantity")


def test_the_cli_names_the_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`licbill audit empty.csv` says `empty.csv: header: the file is empty`, the name once."""
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "empty.csv"]) == 1
    assert capsys.readouterr().err == "licbill: error: empty.csv: header: the file is empty\n"


# 2. Workspace invoice lines ----------------------------------------------------------------------

_WS = lb.Workspace(id="w1", created_on=date(2024, 1, 1))
_PRICES = lb.PriceList(
    {
        (lb.Module.HYBRID, lb.UserKind.REGULAR): lb.Money("6.00", "EUR"),
        (lb.Module.HYBRID, lb.UserKind.GUEST): lb.Money("1.00", "EUR"),
        (lb.Module.ENGAGE, lb.UserKind.REGULAR): lb.Money("4.00", "EUR"),
    }
)
_USERS = [
    lb.User(id="u1", username="u1", modules={lb.Module.HYBRID, lb.Module.ENGAGE}),
    lb.User(id="u2", username="u2", modules={lb.Module.HYBRID}),
    lb.User(id="g1", username="g1", modules={lb.Module.HYBRID}, guest=True),
]


@pytest.mark.parametrize("counting", list(lb.Counting))
def test_workspace_invoice_lines_are_clean(counting: lb.Counting) -> None:
    """An invoice's charge lines (several products under one workspace id) have no findings."""
    rounding = lb.Rounding.PER_LINE_HALF_UP if counting is lb.Counting.DAILY_PRORATED else None
    invoice = lb.monthly_invoice(
        _WS,
        users=_USERS,
        month=lb.Month(2024, 5),
        prices=_PRICES,
        counting=counting,
        rounding=rounding,
    )
    lines = invoice.charge_lines()
    assert len({line.sku_id for line in lines}) == 3
    assert lb.audit.check(lines) == ()


def test_the_example_workspace_invoice_csv_audits_clean(tmp_path: Path) -> None:
    """`licbill invoice examples/workspaces.toml --month 2024-05 --format csv` audits clean."""
    out = tmp_path / "w.csv"
    assert main(["invoice", "examples/workspaces.toml", "--month", "2024-05", "--format", "csv",
                 "--output", str(out)]) == 0  # fmt: skip
    assert lb.audit.check(lb.audit.read_recon(out)) == ()


def test_a_workspace_line_with_a_wrong_total_is_found() -> None:
    """A workspace line whose total is not seats (or seat-days) times its price is a finding."""
    invoice = lb.monthly_invoice(_WS, users=_USERS, month=lb.Month(2024, 5), prices=_PRICES)
    line = invoice.charge_lines()[0]
    wrong = line._replace(total=line.total + lb.Money("0.05", "EUR"))
    assert [f.rule for f in lb.audit.check([wrong])] == [lb.audit.Rule.AMOUNT]


def test_two_workspace_lines_for_one_product_and_kind_are_found() -> None:
    """A second line for one product and user kind in one month is an overlap finding."""
    invoice = lb.monthly_invoice(_WS, users=_USERS, month=lb.Month(2024, 5), prices=_PRICES)
    line = invoice.charge_lines()[0]
    again = line._replace(quantity=line.quantity + 1, total=line.total + line.unit_price)
    assert [f.rule for f in lb.audit.check([line, again])] == [lb.audit.Rule.OVERLAP]


def test_a_prorated_line_on_its_cycles_last_day_is_that_day_not_a_new_cycle() -> None:
    """A conversion on the last day of a 29 February cycle bills that one day at a fraction of
    the price; the audit takes it as that day, not as a custom-meter line over a new cycle."""
    free = lb.Sku.annual(id="sku0", name="Sku 0", unit_price=lb.Money("0.00", "USD"),
                         billing=lb.Billing.MONTHLY)  # fmt: skip
    paid = lb.Sku.annual(id="sku1", name="Sku 1", unit_price=lb.Money("0.29", "USD"),
                         billing=lb.Billing.MONTHLY)  # fmt: skip
    events = [
        lb.Purchase(subscription_id="S1", on=date(2020, 2, 29), sku=free),
        lb.ConvertSku(subscription_id="S1", on=date(2020, 3, 28), to=paid),
    ]
    lines = lb.charge_lines(events, through=date(2020, 5, 1), rulebook=NC)
    assert [(x.charge_start, x.charge_end) for x in lines[1:3]] == [(date(2020, 3, 28),) * 2] * 2
    assert lb.audit.check(lines, rulebook=NC) == ()


def test_a_same_term_convert_on_the_29th_is_no_anchor_for_february_renewals() -> None:
    """A trial bought 2019-01-28 and converted to another SKU on 2019-03-29 renews cleanly."""
    free = lb.Sku.annual(id="sku0", name="Sku 0", unit_price=_usd("0.00"),
                         billing=lb.Billing.MONTHLY, kind=lb.SkuKind.CUSTOM_METER)  # fmt: skip
    paid = attrs.evolve(free, id="sku1", name="Sku 1", unit_price=_usd("0.01"))
    events = [
        lb.Purchase(subscription_id="S1", on=date(2019, 1, 28), sku=free, trial=True),
        lb.ConvertSku(subscription_id="S1", on=date(2019, 3, 29), to=paid),
    ]
    # 2019-03-29 + 23 months clamps to 2021-02-28, the day after the term end 2021-02-27.
    assert lb.audit.check(_recon_rows(events, date(2021, 6, 30)), rulebook=NC) == ()


def test_an_unrelated_subscription_ending_the_same_day_lends_no_anchor() -> None:
    """Custom meters bought 2019-02-28 and 2020-02-29 (both ending 2021-02-27) audit clean."""
    meter = lb.Sku.annual(id="sku0", name="Sku 0", unit_price=_usd("0.01"),
                          billing=lb.Billing.MONTHLY, kind=lb.SkuKind.CUSTOM_METER)  # fmt: skip
    events = [
        lb.Purchase(subscription_id="S1", on=date(2019, 2, 28), sku=meter),
        lb.Purchase(subscription_id="S2", on=date(2020, 2, 29), sku=meter),
    ]
    assert lb.audit.check(_recon_rows(events, date(2021, 6, 30)), rulebook=NC) == ()


def test_a_changed_charge_end_beside_a_coterminous_subscription_is_found() -> None:
    """A first charge end moved from 2020-03-28 to 2020-03-27 is found beside a twin's lines."""
    sku = lb.Sku.annual(id="sku0", name="Sku 0", unit_price=_usd("0.01"),
                        billing=lb.Billing.MONTHLY)  # fmt: skip
    events = [
        lb.Purchase(subscription_id="S1", on=date(2020, 2, 29), sku=sku, auto_renew=False),
        lb.Purchase(subscription_id="S2", on=date(2020, 2, 29), sku=sku),
    ]
    rows = list(_recon_rows(events, date(2022, 6, 30)))
    first = rows[0].line
    assert (first.subscription_id, first.charge_end) == ("S1", date(2020, 3, 28))
    rows[0] = attrs.evolve(rows[0], line=first._replace(charge_end=date(2020, 3, 27)))
    assert [(f.row, f.rule) for f in lb.audit.check(rows, rulebook=NC)] == [
        (2, lb.audit.Rule.PERIOD)
    ]


def _partial_upgrade_rows(
    bought: date, upgraded: date, through: date
) -> tuple[lb.audit.ReconRow, ...]:
    """Recon rows of 5 seats bought on *bought* and 2 of them upgraded into a new T."""
    sku = lb.Sku.annual(id="a", name="A", unit_price=_usd("12.00"), billing=lb.Billing.MONTHLY)
    better = attrs.evolve(sku, id="b", name="B", unit_price=_usd("15.00"))
    events = [
        lb.Purchase(subscription_id="S", on=bought, sku=sku, quantity=5),
        lb.ConvertSku(
            subscription_id="S", on=upgraded, to=better, quantity=2, target_subscription_id="T"
        ),
    ]
    return _recon_rows(events, through)


def test_a_partial_upgrades_new_subscription_needs_no_upgrade_line_for_its_grid() -> None:
    """A new subscription from 2024-03-28 bills on its source's 2024-02-29 grid, upgrade unseen."""
    rows = _partial_upgrade_rows(date(2024, 2, 29), date(2024, 3, 28), date(2024, 7, 31))
    later = [row for row in rows if row.line.charge_start > date(2024, 3, 28)]
    assert {row.line.subscription_id for row in later} == {"S", "T"}
    assert {row.line.charge_type.kind for row in later} == {lb.ChargeType.CYCLE_CHARGE}
    # Its own first day's grid (28ths) also reaches the term end 2025-02-27, 11 months on.
    assert lb.audit.check(later, rulebook=NC) == ()


def test_a_new_subscription_on_a_day_that_clamps_is_reported_without_its_upgrade_lines() -> None:
    """Without the upgrade's lines, a new subscription from 2024-02-29 is taken as bought then."""
    rows = _partial_upgrade_rows(date(2024, 2, 28), date(2024, 2, 29), date(2024, 5, 31))
    assert lb.audit.check(rows, rulebook=NC) == ()
    later = [row for row in rows if row.line.charge_start > date(2024, 2, 29)]
    # Both 2024-02-28 + 12 months and 2024-02-29 + 12 months reach the term end 2025-02-27.
    assert {(f.subscription_id, f.rule) for f in lb.audit.check(later, rulebook=NC)} == {
        ("T", lb.audit.Rule.PERIOD)
    }


def test_a_partial_upgrade_of_a_trial_converted_on_the_28th_audits_clean() -> None:
    """A trial from 2019-01-29 converted 2019-02-28 and partly upgraded that day is clean."""
    sku = lb.Sku.annual(id="a", name="A", unit_price=_usd("12.00"), billing=lb.Billing.MONTHLY)
    better = attrs.evolve(sku, id="b", name="B", unit_price=_usd("15.00"))
    events = [
        lb.Purchase(subscription_id="S", on=date(2019, 1, 29), sku=sku, quantity=2, trial=True),
        lb.ConvertSku(
            subscription_id="S",
            on=date(2019, 2, 28),
            to=better,
            quantity=1,
            target_subscription_id="T",
        ),
    ]
    # The source's cycles count from 2019-01-29 after the trial's month: the 29ths, up to the
    # term end 2021-02-27 that 2019-02-28 + 24 months also reaches.
    assert lb.audit.check(_recon_rows(events, date(2021, 6, 30)), rulebook=NC) == ()


def test_a_subscription_start_after_a_custom_meters_charges_is_a_finding() -> None:
    """A custom meter's start moved from 2019-01-01 to 2019-10-01 is a period finding."""
    meter = lb.Sku.monthly(id="m", name="M", unit_price=_usd("1.00"), kind=lb.SkuKind.CUSTOM_METER)
    bought = lb.Purchase(subscription_id="S", on=date(2019, 1, 1), sku=meter)
    rows = list(_recon_rows([bought], date(2019, 1, 31)))
    line = rows[0].line._replace(subscription_start=date(2019, 10, 1))
    rows[0] = attrs.evolve(rows[0], line=line)
    assert [(f.row, f.rule) for f in lb.audit.check(rows, rulebook=NC)] == [
        (2, lb.audit.Rule.PERIOD)
    ]


def test_a_custom_first_terms_line_ending_on_its_first_day_is_found() -> None:
    """A two-day custom first term's charge, its end moved to its first day, is found."""
    sku = lb.Sku.monthly(id="p", name="P", unit_price=_usd("0.15"))
    end = date(2019, 1, 31)
    bought = lb.Purchase(subscription_id="S", on=date(2019, 1, 30), sku=sku, custom_term_end=end)
    rows = list(_recon_rows([bought], end))
    first = rows[0].line
    assert (first.charge_end, first.total) == (end, _usd("0.01"))  # 0.15 x 2 of 29 days
    rows[0] = attrs.evolve(rows[0], line=first._replace(charge_end=date(2019, 1, 30)))
    assert [(f.row, f.rule) for f in lb.audit.check(rows, rulebook=NC)] == [
        (2, lb.audit.Rule.AMOUNT)
    ]


def test_a_changed_end_on_a_credit_of_a_charges_opposite_total_is_found() -> None:
    """A -0.01 conversion credit like the 0.01 purchase, its end moved a day, is found."""
    sku = lb.Sku.monthly(id="p", name="P", unit_price=_usd("0.15"))
    free = attrs.evolve(sku, id="f", name="F", unit_price=_usd("0.00"))
    end = date(2019, 1, 31)
    events = [
        lb.Purchase(subscription_id="S", on=date(2019, 1, 29), sku=sku, custom_term_end=end),
        lb.ConvertSku(subscription_id="S", on=date(2019, 1, 30), to=free),
    ]
    rows = list(_recon_rows(events, end))
    credit = rows[1].line
    assert (rows[0].line.total, credit.total, credit.charge_end) == (
        _usd("0.01"),
        -_usd("0.01"),
        end,
    )
    rows[1] = attrs.evolve(rows[1], line=credit._replace(charge_end=date(2019, 1, 30)))
    assert [(f.row, f.rule) for f in lb.audit.check(rows, rulebook=NC)] == [
        (3, lb.audit.Rule.AMOUNT)
    ]


@pytest.mark.parametrize("rulebook", [NC, lb.rulebooks.MARKETPLACE_2019], ids=lambda r: r.name)
def test_a_trial_converted_early_to_a_free_sku_starts_its_term_on_that_day(
    rulebook: lb.Rulebook,
) -> None:
    """A monthly trial from 2020-02-29, converted at 0.00 on 2020-03-28, renews on the 28th."""
    free = lb.Sku.monthly(id="f", name="F", unit_price=_usd("0.00"))
    events = [
        lb.Purchase(subscription_id="S", on=date(2020, 2, 29), sku=free, trial=True),
        lb.ConvertTrial(subscription_id="S", on=date(2020, 3, 28)),
    ]
    lines = lb.charge_lines(events, through=date(2021, 3, 31), rulebook=rulebook)
    # Counted from 2020-02-29 after the trial's month, 2021-01-28..2021-02-27 would be too long.
    assert lb.audit.check(lines, rulebook=rulebook) == ()


# A full refund's lines are alike where the lines they reverse are -------------------------


def _converted_back_and_cancelled() -> list[lb.Event]:
    """A subscription bought, converted to another SKU and back, and cancelled on one day."""
    sku = lb.Sku.annual(id="sku0", name="Sku 0", unit_price=_usd("10.00"),
                        billing=lb.Billing.MONTHLY)  # fmt: skip
    other = attrs.evolve(sku, id="sku1", name="Sku 1")
    day = date(2019, 1, 1)
    return [
        lb.Purchase(subscription_id="S1", on=day, sku=sku),
        lb.ConvertSku(subscription_id="S1", on=day, to=other),
        lb.ConvertSku(subscription_id="S1", on=day, to=sku),
        lb.Cancel(subscription_id="S1", on=day),
    ]


def test_refund_lines_reversing_two_alike_charges_are_no_duplicates() -> None:
    """The refund lines of the purchase and of the conversion back, alike, audit clean."""
    rows = _recon_rows(_converted_back_and_cancelled(), date(2019, 1, 31))
    refunds = [
        row.line for row in rows if row.line.charge_type.kind is lb.ChargeType.CANCEL_IMMEDIATE
    ]
    assert refunds[0] == refunds[-1]
    assert lb.audit.check(rows, rulebook=NC) == ()


def test_a_refund_line_repeated_beyond_the_lines_it_may_reverse_is_a_duplicate() -> None:
    """A third refund line of the sku0 charge, with two sku0 charges to reverse, is found."""
    rows = list(_recon_rows(_converted_back_and_cancelled(), date(2019, 1, 31)))
    rows.append(attrs.evolve(rows[-1], row=rows[-1].row + 1))
    findings = lb.audit.check(rows, rulebook=NC)
    assert (rows[-1].row, lb.audit.Rule.DUPLICATE) in [(f.row, f.rule) for f in findings]


# A credit of the opposite total reverses a line only with that line's quantity --------------


def test_a_changed_quantity_on_a_custom_meter_convert_credit_is_found() -> None:
    """A custom-meter convert credit whose quantity changed from 1 to 2 is an amount finding."""
    meter = lb.Sku.monthly(
        id="sku0", name="Sku 0", unit_price=_usd("0.01"), kind=lb.SkuKind.CUSTOM_METER
    )
    cheaper = attrs.evolve(meter, id="sku1", name="Sku 1", unit_price=_usd("0.001"))
    events = [
        lb.Purchase(subscription_id="S1", on=date(2019, 1, 1), sku=meter),
        lb.ConvertSku(subscription_id="S1", on=date(2019, 1, 1), to=cheaper),
    ]
    lines = list(lb.charge_lines(events, through=date(2019, 1, 31), rulebook=NC))
    assert [(x.charge_type.kind, x.total) for x in lines[:2]] == [
        (lb.ChargeType.NEW, _usd("0.01")),
        (lb.ChargeType.CONVERT, _usd("-0.01")),
    ]
    lines[1] = lines[1]._replace(quantity=2)
    assert [(f.row, f.rule) for f in lb.audit.check(lines, rulebook=NC)] == [
        (3, lb.audit.Rule.AMOUNT)
    ]


def test_a_one_line_refund_of_a_whole_cycle_is_not_repriced() -> None:
    """A refund of all a cycle charged, in one line with the seats in force, audits clean."""
    header = "SubscriptionId,ChargeType,UnitPrice,Quantity,Subtotal,Currency,ChargeStartDate,"
    header += "ChargeEndDate"
    text = "\n".join(
        [
            header,
            "S,new,10.08,10,100.80,USD,2021-06-18,2021-07-17",
            "S,addQuantity,10.08,10,-94.00,USD,2021-06-20,2021-07-17",
            "S,addQuantity,10.08,12,112.80,USD,2021-06-20,2021-07-17",
            "S,cancelImmediate,10.08,12,-119.60,USD,2021-06-18,2021-07-17",
        ]
    )
    assert lb.audit.check(lb.audit.read_recon(io.StringIO(text))) == ()
