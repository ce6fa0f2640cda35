"""The audit of received reconciliation files: reading, each finding kind, reconciling, CLI."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.audit import Rule
from licbill.io.cli import main
from sample_prices import COMMERCE_ANNUAL, COMMERCE_MONTHLY

DATA = Path(__file__).parent / "data" / "audit"
HEADER = (
    "SubscriptionId,ReferenceId,OrderDate,ChargeType,UnitPrice,EffectiveUnitPrice,Quantity,"
    "Subtotal,Currency,ChargeStartDate,ChargeEndDate,SubscriptionStartDate,SubscriptionEndDate"
)
NEW = "S,R1,2021-06-18,new,10.08,10.08,10,100.80,USD,2021-06-18,2021-07-17,2021-06-18,2021-07-17"


def _file(*lines: str) -> str:
    """A recon file of *lines* under HEADER."""
    return "\n".join((HEADER, *lines)) + "\n"


def _rows(*lines: str) -> tuple[lb.audit.ReconRow, ...]:
    return lb.audit.read_recon(io.StringIO(_file(*lines)))


def _saved(tmp_path: Path, *lines: str) -> str:
    """The path of a recon file of *lines* written under *tmp_path*."""
    path = tmp_path / "recon.csv"
    path.write_text(_file(*lines), encoding="utf-8")
    return str(path)


def _rules(*lines: str, rulebook: lb.Rulebook | None = None) -> list[tuple[int, Rule]]:
    return [(f.row, f.rule) for f in lb.audit.check(_rows(*lines), rulebook=rulebook)]


def test_a_clean_file_has_no_findings() -> None:
    """A purchase and a prorated seat addition by the rulebook audit clean."""
    assert (
        _rules(
            NEW,
            "S,R2,2021-06-20,addQuantity,10.08,9.408,10,-94.00,USD,2021-06-20,2021-07-17,2021-06-18,",
            "S,R2,2021-06-20,addQuantity,10.08,9.408,12,112.80,USD,2021-06-20,2021-07-17,2021-06-18,",
            rulebook=lb.rulebooks.NEW_COMMERCE,
        )
        == []
    )


def test_a_total_no_policy_explains_is_found_with_each_policy_tried() -> None:
    """A total one cent off is found; the message gives what every policy tried gives."""
    bad = NEW.replace("100.80", "100.79")
    (finding,) = lb.audit.check(_rows(bad))
    assert (finding.row, finding.reference_id, finding.rule) == (2, "R1", Rule.AMOUNT)
    for policy in lb.Rounding:
        assert f"{policy.name} gives 100.80" in finding.message


def test_a_total_of_another_policy_is_found_under_the_rulebook() -> None:
    """The page's per-line seat total (112.89) is not the rulebook's per-unit 112.80."""
    rows = lb.audit.read_recon(DATA / "nce-add-seats.csv")
    assert [f.rule for f in lb.audit.check(rows, rulebook=lb.rulebooks.NEW_COMMERCE)] == [
        Rule.AMOUNT,
        Rule.AMOUNT,
    ]
    per_line = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    assert lb.audit.check(rows, rulebook=per_line) == ()


def test_an_effective_unit_price_that_does_not_follow_is_found() -> None:
    """An effective unit price other than unit price / cycle days x billing days is found."""
    assert _rules(NEW.replace(",10.08,10,", ",9.99,10,")) == [(2, Rule.AMOUNT)]


def test_a_charge_end_that_is_no_cycle_end_is_found() -> None:
    """A charge period ending a day late breaks the cycle rule."""
    assert _rules(NEW.replace("2021-07-17,2021-06-18,2021-07-17", "2021-07-18,2021-06-18,")) == [
        (2, Rule.PERIOD)
    ]


def test_a_charge_period_ending_before_it_starts_is_found() -> None:
    """A charge end before the charge start is a period finding, and the only one."""
    line = NEW.replace("2021-06-18,2021-07-17,2021-06-18", "2021-07-17,2021-06-18,2021-06-18")
    findings = lb.audit.check(_rows(line))
    assert [(f.row, f.rule) for f in findings] == [(2, Rule.PERIOD)]
    assert findings[0].message == "the charge period ends (2021-06-18) before it starts"


def test_a_period_without_month_end_clamping_is_found() -> None:
    """Bought 31 January, the first cycle ends 27 February; a line to 28 February is found."""
    line = "S,R1,2021-01-31,new,10,10,1,10.00,USD,2021-01-31,2021-02-28,2021-01-31,"
    assert _rules(line) == [(2, Rule.PERIOD)]
    assert _rules(line.replace("2021-02-28", "2021-02-27")) == []


def test_a_charge_after_the_term_end_is_found() -> None:
    """A charge period that runs past the subscription end date is found."""
    line = NEW.replace("2021-07-17,2021-06-18,2021-07-17", "2021-07-17,2021-06-18,2021-07-10")
    assert _rules(line) == [(2, Rule.PERIOD)]


def test_a_credit_exceeding_the_charges_is_found() -> None:
    """A credit larger than what the cycle charged is found on the credit's row."""
    credit = "S,R2,2021-06-18,cancelImmediate,10.08,10.08,10,-120.00,USD,2021-06-18,2021-07-17,,"
    assert (3, Rule.CREDIT) in _rules(NEW, credit)


def test_a_seat_reduction_outside_the_window_is_found() -> None:
    """Seats removed ten days after they were added break new commerce's seven-day window."""
    removal = (
        "S,R2,2021-06-28,removeQuantity,10.08,6.72,10,-67.20,USD,2021-06-28,2021-07-17,,",
        "S,R2,2021-06-28,removeQuantity,10.08,6.72,8,53.76,USD,2021-06-28,2021-07-17,,",
    )
    rulebook = lb.rulebooks.NEW_COMMERCE
    assert _rules(NEW, *removal, rulebook=rulebook) == [(3, Rule.REDUCTION_WINDOW)]
    early = [line.replace("06-28", "06-25").replace("6.72", "7.728") for line in removal]
    early = [early[0].replace("-67.20", "-77.20"), early[1].replace("53.76", "61.76")]
    assert _rules(NEW, *early, rulebook=rulebook) == []


def test_a_rulebook_without_a_reduction_window_allows_any_reduction() -> None:
    """The 2019 marketplace rulebook has no reduction window: a late reduction is clean."""
    removal = (
        "S,R2,2021-06-28,removeQuantity,10.08,6.72,10,-67.20,USD,2021-06-28,2021-07-17,,",
        "S,R2,2021-06-28,removeQuantity,10.08,6.72,8,53.76,USD,2021-06-28,2021-07-17,,",
    )
    assert _rules(NEW, *removal, rulebook=lb.rulebooks.MARKETPLACE_2019) == []


def _seat_changes(remove_to: int) -> list[lb.ChargeLine]:
    sku = lb.Sku.monthly(id="std", name="Standard", unit_price=lb.Money("30.00", "USD"))
    bought = lb.Purchase(subscription_id="S", on=dt.date(2024, 4, 1), sku=sku, quantity=5)
    added = lb.ChangeQuantity(subscription_id="S", on=dt.date(2024, 4, 5), quantity=8)
    lines = lb.charge_lines(
        [bought, added], through=dt.date(2024, 4, 30), rulebook=lb.rulebooks.NEW_COMMERCE
    )
    # The removal on 9 April, priced as licbill prices it, whatever the window says.
    days = lb.inclusive_days(dt.date(2024, 4, 9), dt.date(2024, 4, 30))
    eup = lb.effective_unit_price(
        unit_price=lb.Money("30.00", "USD"), billing_days=days, cycle_days=30
    )
    pair = []
    for quantity, sign in ((8, -1), (remove_to, 1)):
        total = lb.prorate(
            unit_price=lb.Money("30.00", "USD"),
            quantity=quantity,
            billing_days=days,
            cycle_days=30,
            rounding=lb.Rounding.PER_UNIT_DOWN,
        )
        pair.append(
            lines[-1]._replace(
                order_date=dt.date(2024, 4, 9),
                charge_start=dt.date(2024, 4, 9),
                quantity=quantity,
                effective_unit_price=eup if sign > 0 else -eup,
                total=total if sign > 0 else -total,
                charge_type=lb.rulebooks.NEW_COMMERCE.spellings[lb.ChargeType.REMOVE_QUANTITY],
                reference_id="S-9",
                basis=None,
            )
        )
    return [*lines, *pair]


def test_a_reduction_takes_the_newest_seats_first() -> None:
    """Removing the three seats added on 5 April is clean on 9 April; a fourth is found."""
    rulebook = lb.rulebooks.NEW_COMMERCE
    assert lb.audit.check(_seat_changes(5), rulebook=rulebook) == ()
    (finding,) = lb.audit.check(_seat_changes(4), rulebook=rulebook)
    assert (finding.row, finding.rule) == (5, Rule.REDUCTION_WINDOW)
    assert "added on 2024-04-01" in finding.message


def test_a_refund_outside_the_windows_is_found() -> None:
    """A prorated refund ten days after the purchase is outside new commerce's seven days."""
    refund = "S,R2,2021-06-28,cancelImmediate,10.08,6.72,10,-67.20,USD,2021-06-28,2021-07-17,,"
    assert _rules(NEW, refund, rulebook=lb.rulebooks.NEW_COMMERCE) == [(3, Rule.REFUND_WINDOW)]


def test_a_full_refund_after_the_full_refund_window_is_found() -> None:
    """Three days after the purchase a refund is prorated; a full one is found."""
    refund = "S,R2,2021-06-21,cancelImmediate,10.08,10.08,10,-100.80,USD,2021-06-18,2021-07-17,,"
    assert _rules(NEW, refund, rulebook=lb.rulebooks.NEW_COMMERCE) == [(3, Rule.REFUND_WINDOW)]


def test_a_duplicate_line_is_found() -> None:
    """The same line twice is a duplicate (and charges the seats twice)."""
    assert (3, Rule.DUPLICATE) in _rules(NEW, NEW)


def test_seats_charged_twice_for_the_same_days_are_found() -> None:
    """A second charge for the same seats and days, under another reference, is an overlap."""
    assert _rules(NEW, NEW.replace("R1", "R9")) == [(3, Rule.OVERLAP)]


def test_a_line_after_a_cancellation_is_found() -> None:
    """A renewal after the subscription was cancelled is found."""
    cancel = "S,R2,2021-06-18,cancelImmediate,10.08,10.08,10,-100.80,USD,2021-06-18,2021-07-17,,"
    renew = "S,R3,2021-07-18,renew,10.08,10.08,10,100.80,USD,2021-07-18,2021-08-17,2021-06-18,"
    assert _rules(NEW, cancel, renew) == [(4, Rule.AFTER_CANCEL)]


def test_a_currency_mix_within_a_subscription_is_found() -> None:
    """A subscription's renewal in another currency than its purchase is found."""
    renew = "S,R3,2021-07-18,renew,10.08,10.08,10,100.80,EUR,2021-07-18,2021-08-17,2021-06-18,"
    assert _rules(NEW, renew) == [(3, Rule.CURRENCY)]


def test_findings_name_row_reference_and_rule_in_text() -> None:
    """``str()`` of a finding names its row, reference id, subscription and rule."""
    (finding,) = lb.audit.check(_rows(NEW, NEW.replace("R1", "R9")))
    assert str(finding).startswith("row 3 (R9), S: overlap: ")
    assert finding.to_record()["rule"] == "overlap"


@pytest.mark.parametrize(
    "name",
    [
        "seed-1-free-trial-converted.csv",
        "seed-2-free-trial-cancelled.csv",
        "seed-3-custom-meter-converted.csv",
        "seed-4-custom-meter-cancelled.csv",
    ],
)
def test_seed_tables_audit_clean(name: str) -> None:
    """The four seed tables (the 2019 marketplace page "Common billing scenarios for license-based
    SaaS transactions", as typed in docs/seeds.md) audit clean under their rulebook."""
    rows = lb.audit.read_recon(DATA / name)
    assert lb.audit.check(rows, rulebook=lb.rulebooks.MARKETPLACE_2019) == ()


@pytest.mark.parametrize(
    "name",
    [
        "nce-monthly-new-and-renew.csv",
        "nce-annual-term-cycle-charge.csv",
        "nce-prepaid-annual.csv",
        "nce-refund-within-seven-days.csv",
        "nce-trial-converted.csv",
        "nce-billing-plan-annual-to-monthly.csv",
        "nce-billing-plan-monthly-to-annual.csv",
        "nce-full-upgrade.csv",
        "nce-partial-upgrade.csv",
    ],
)
def test_published_new_commerce_tables_audit_clean(name: str) -> None:
    """Partner Center "Billing scenarios for one-time and select recurring purchases in new
    commerce" (sections: "How are one-time and recurring charges calculated?" tables 1 to 4,
    refunds within seven days, trial conversion, "How do I reconcile transactions after changing
    billing plans?" both tables, "How should I reconcile and link upgraded transactions?" full
    and partial upgrade) audit clean under the new-commerce rulebook."""
    rows = lb.audit.read_recon(DATA / name)
    assert lb.audit.check(rows, rulebook=lb.rulebooks.NEW_COMMERCE) == ()


def test_published_seat_change_table_audits_clean_under_some_policy() -> None:
    """The page's seat-change table (section "How are licenses/seats added or removed?")
    follows a per-line policy, so it audits clean when any policy may explain it."""
    assert lb.audit.check(lb.audit.read_recon(DATA / "nce-add-seats.csv")) == ()


def test_published_seat_changes_audit_clean_under_a_per_line_rulebook() -> None:
    """Partner Center "Billing scenarios for one-time and select recurring purchases in new
    commerce", section "How are licenses/seats added or removed?": its two tables (add to 12
    seats, then remove to 8, on one day), typed as one file, audit clean under new commerce with
    the per-line rounding they follow (docs/audit.md)."""
    rows = lb.audit.read_recon(DATA / "nce-add-then-remove-seats.csv")
    per_line = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    assert lb.audit.check(rows, rulebook=per_line) == ()


def test_published_seat_count_table_is_per_line_and_reported_under_per_unit() -> None:
    """Partner Center "Billing scenarios for one-time and select recurring purchases in new
    commerce", section "How do I calculate the total number of seats/licenses after multiple
    changes during a billing period?": each line is rounded down once (112.258 -> 112.25), so
    new commerce's per-unit policy reports every prorated line but the 12 March pair, where
    the two policies agree; a per-line rulebook, and no rulebook, find it clean."""
    rows = lb.audit.read_recon(DATA / "nce-seats-after-multiple-changes.csv")
    findings = lb.audit.check(rows, rulebook=lb.rulebooks.NEW_COMMERCE)
    assert [(f.row, f.rule) for f in findings] == [
        (row, Rule.AMOUNT) for row in (3, 4, 5, 6, 9, 10, 11, 12)
    ]
    assert "the total -112.25 EUR" in findings[0].message
    assert "PER_UNIT_DOWN gives 112.20" in findings[0].message
    per_line = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    assert lb.audit.check(rows, rulebook=per_line) == ()
    assert lb.audit.check(rows) == ()


def test_published_partial_upgrade_needs_its_term_end_to_audit_clean() -> None:
    """Partner Center "Billing scenarios for one-time and select recurring purchases in new
    commerce", "Partial upgrade": the page's table has no subscription end date; without it the
    new subscription's line (a cycle of its source) is no cycle end of its own, and is reported."""
    with (DATA / "nce-partial-upgrade.csv").open(newline="", encoding="utf-8") as typed:
        table = list(csv.reader(typed))
    assert table[0][-1] == "Subscription End Date"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(row[:-1] for row in table)  # the page's own columns
    bare = lb.audit.read_recon(io.StringIO(out.getvalue()))
    (finding,) = lb.audit.check(bare, rulebook=lb.rulebooks.NEW_COMMERCE)
    assert (finding.row, finding.rule, finding.subscription_id) == (
        4,
        Rule.PERIOD,
        "6759acd5-a8a9-4402-94b7-803baa64a78e",
    )
    assert "ends 2021-07-17, which is no cycle end counted from 2021-06-25" in finding.message


def test_published_upgrades_follow_the_per_unit_policy_not_the_per_line_one() -> None:
    """Partner Center "Billing scenarios for one-time and select recurring purchases in new
    commerce", "Full upgrade": -7.72 x 300 = -2316 is a truncated unit price times the seats;
    a per-line rulebook (which gives 2318.40) reports both prorated lines."""
    rows = lb.audit.read_recon(DATA / "nce-full-upgrade.csv")
    per_line = attrs.evolve(lb.rulebooks.NEW_COMMERCE, rounding=lb.Rounding.PER_LINE_DOWN)
    findings = lb.audit.check(rows, rulebook=per_line)
    assert [(f.row, f.rule) for f in findings] == [(3, Rule.AMOUNT), (4, Rule.AMOUNT)]
    assert "PER_LINE_DOWN gives 2318.40" in findings[0].message


def test_licbill_lines_check_without_a_file() -> None:
    """The engine's own lines can be checked directly, numbered as write_csv would write them."""
    from licbill.seeds import SCENARIOS

    s = SCENARIOS[2]
    lines = lb.charge_lines(s.events, through=s.through, rulebook=s.rulebook)
    assert lb.audit.check(lines, rulebook=s.rulebook) == ()
    assert lb.audit.check([*lines, lines[0]])[0].row == 5


# Reading --------------------------------------------------------------------------------------


def test_a_missing_column_names_file_line_and_columns(tmp_path: Path) -> None:
    """A file without a needed column is refused naming the file, line 1 and the columns."""
    path = tmp_path / "recon.csv"
    path.write_text("SubscriptionId,ChargeType\nS,new\n", encoding="utf-8")
    with pytest.raises(lb.audit.ReconFileError, match=r"recon\.csv:1: header: missing column"):
        lb.audit.read_recon(path)


def test_a_bad_date_names_file_line_and_field() -> None:
    """A date that is no date is refused naming the line and field."""
    with pytest.raises(lb.audit.ReconFileError, match=r":3: ChargeEndDate: not a date") as err:
        _rows(NEW, NEW.replace("2021-07-17,2021-06-18,2021-07-17", "17 July,2021-06-18,"))
    assert isinstance(err.value, ValueError)
    assert err.value.line == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("new,", "purchase,"), "ChargeType"),
        (("100.80", "ten"), "Subtotal"),
        (("100.80", "NaN"), "Subtotal"),
        (("USD", "ABC"), "Currency"),
        ((",10,100.80", ",1.5,100.80"), "Quantity"),
    ],
)
def test_bad_cells_name_their_field(change: tuple[str, str], field: str) -> None:
    """Unknown charge types, numbers, currencies and fractional quantities name their field."""
    with pytest.raises(lb.audit.ReconFileError, match=rf":2: {field}: "):
        _rows(NEW.replace(*change))


def test_a_term_text_without_a_term_is_refused() -> None:
    """A TermAndBillingCycle cell that names no term is refused naming its field."""
    text = (
        _file(NEW)
        .replace(HEADER, HEADER + ",TermAndBillingCycle")
        .replace(NEW, NEW + ",Monthly plan")
    )
    with pytest.raises(lb.audit.ReconFileError, match=r":2: TermAndBillingCycle: no term in"):
        lb.audit.read_recon(io.StringIO(text))


def test_a_missing_file_is_a_licbill_error(tmp_path: Path) -> None:
    """A path that does not exist is refused with a licbill error naming it."""
    with pytest.raises(lb.audit.ReconFileError, match=r"nothing\.csv"):
        lb.audit.read_recon(tmp_path / "nothing.csv")


def test_an_empty_file_is_refused() -> None:
    """A file without even a header is refused."""
    with pytest.raises(lb.audit.ReconFileError, match="empty"):
        lb.audit.read_recon(io.StringIO(""))


def test_published_column_names_and_extra_columns_are_read() -> None:
    """Spaced, lower-case column names are read; columns licbill does not know are ignored."""
    text = (
        "subscription id,Charge Type,unit price,Billable Quantity,Amount,currency,"
        "Charge Start  Date,charge end date,PublisherName\n"
        "S,New,2,1,2,usd,6/10/2019,7/9/2019,Contoso\n"
    )
    (row,) = lb.audit.read_recon(io.StringIO(text))
    assert (row.line.total, row.line.charge_end, str(row.line.charge_type)) == (
        lb.Money("2", "USD"),
        dt.date(2019, 7, 9),
        "New",
    )


# Reconciling ----------------------------------------------------------------------------------


def test_reconcile_names_missing_extra_and_differing_lines() -> None:
    """Lines are matched by subscription, type and period; differences carry the amount."""
    expected = _rows(NEW, NEW.replace("R1", "R2").replace("S,", "T,", 1))
    renew = "S,R3,2021-07-18,renew,10.08,10.08,10,100.80,USD,2021-07-18,2021-08-17,2021-06-18,"
    actual = _rows(NEW.replace("100.80", "100.70"), renew)
    kinds = [
        (d.kind.value, d.subscription_id, d.amount) for d in lb.audit.reconcile(expected, actual)
    ]
    assert kinds == [
        ("differing", "S", lb.Money("-0.10", "USD")),
        ("missing", "T", lb.Money("-100.80", "USD")),
        ("extra", "S", lb.Money("100.80", "USD")),
    ]


def test_reconcile_of_equal_lines_is_empty() -> None:
    """A file reconciles with the lines it was written from."""
    assert lb.audit.reconcile(_rows(NEW), _rows(NEW)) == ()


# Command line ---------------------------------------------------------------------------------


def test_cli_audit_exits_zero_for_a_clean_file(capsys: pytest.CaptureFixture[str]) -> None:
    """``licbill audit`` of a seed table exits 0 and says it is clean."""
    path = DATA / "seed-3-custom-meter-converted.csv"
    assert main(["audit", str(path), "--rulebook", "marketplace-2019"]) == 0
    assert "clean" in capsys.readouterr().out


def test_cli_audit_exits_one_with_findings_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With findings ``licbill audit`` exits 1; ``--format json`` lists them."""
    assert main(["audit", _saved(tmp_path, NEW, NEW), "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert {r["rule"] for r in records} == {"duplicate", "overlap"}


def test_cli_audit_writes_csv_and_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--format csv`` writes a header and a row per finding; the table names the rule."""
    path = _saved(tmp_path, NEW.replace("100.80", "1.00"))
    assert main(["audit", path, "--format", "csv"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "row,reference_id,subscription_id,rule,message"
    assert main(["audit", path]) == 1
    assert "amount" in capsys.readouterr().out


def test_cli_audit_of_an_unreadable_file_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreadable file is an error naming it, exit status 1."""
    assert main(["audit", str(tmp_path / "none.csv")]) == 1
    assert "none.csv" in capsys.readouterr().err


def test_cli_reconcile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``licbill reconcile`` agrees with its own charges CSV, and names a changed amount."""
    events = Path(__file__).parents[1] / "examples" / "seat-changes.toml"
    assert main(["charges", str(events), "--format", "csv"]) == 0
    written = capsys.readouterr().out
    path = tmp_path / "recon.csv"
    path.write_text(written, encoding="utf-8")
    assert main(["reconcile", str(events), str(path)]) == 0
    assert "agrees" in capsys.readouterr().out
    header, first, *rest = written.splitlines()
    cells = first.split(",")
    cells[16] = "0.01"  # Subtotal
    path.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    assert main(["reconcile", str(events), str(path)]) == 1
    assert "differing" in capsys.readouterr().out


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=3),
    st.just(object()),
)


@settings(max_examples=60)
@given(value=_JUNK, slot=st.sampled_from(["file", "lines", "rulebook", "expected", "actual"]))
def test_wrong_input_meets_a_licbill_error(value: object, slot: str) -> None:
    """Wrong values for any audit function meet a licbill error, never a raw exception."""
    calls = {
        "file": lambda: lb.audit.read_recon(value),  # type: ignore[arg-type]
        "lines": lambda: lb.audit.check(value),  # type: ignore[arg-type]
        "rulebook": lambda: lb.audit.check([], rulebook=value),  # type: ignore[arg-type]
        "expected": lambda: lb.audit.reconcile(value, []),  # type: ignore[arg-type]
        "actual": lambda: lb.audit.reconcile([], value),  # type: ignore[arg-type]
    }
    with contextlib.suppress(lb.LicbillError):
        calls[slot]()


_STD = lb.Sku.monthly(id="std", name="Standard", unit_price=lb.Money("30.00", "USD"))
_PRO = lb.Sku.monthly(id="pro", name="Pro", unit_price=lb.Money("60.00", "USD"))
_ANNUAL = lb.Sku.annual(id="a", name="Annual", unit_price=lb.Money("365.00", "USD"))
_D = dt.date
_OPERATIONS = {
    "billing-plan change (11 of 12 months)": [
        lb.Purchase(subscription_id="S", on=_D(2021, 9, 20), sku=COMMERCE_MONTHLY, quantity=10),
        lb.ChangeBillingPlan(subscription_id="S", on=_D(2021, 10, 1), to=COMMERCE_ANNUAL),
        lb.ChangeQuantity(subscription_id="S", on=_D(2021, 11, 3), quantity=12),
    ],
    "custom first term": [
        lb.Purchase(
            subscription_id="S",
            on=_D(2022, 7, 15),
            sku=_ANNUAL,
            quantity=2,
            custom_term_end=_D(2023, 6, 30),
        ),
        lb.ChangeQuantity(subscription_id="S", on=_D(2022, 7, 18), quantity=3),
    ],
    "partial upgrade, then moveQuantity": [
        lb.Purchase(subscription_id="S", on=_D(2024, 4, 10), sku=_STD, quantity=5),
        lb.ConvertSku(
            subscription_id="S",
            on=_D(2024, 4, 25),
            to=_PRO,
            quantity=2,
            target_subscription_id="S2",
        ),
        lb.ConvertSku(
            subscription_id="S",
            on=_D(2024, 4, 27),
            to=_PRO,
            quantity=1,
            target_subscription_id="S2",
        ),
    ],
    "trial converted early": [
        lb.Purchase(subscription_id="S", on=_D(2021, 6, 25), sku=_STD, quantity=25, trial=True),
        lb.ConvertTrial(subscription_id="S", on=_D(2021, 7, 2)),
    ],
    "full refund of each line": [
        lb.Purchase(subscription_id="S", on=_D(2024, 6, 1), sku=_STD, quantity=5),
        lb.ChangeQuantity(subscription_id="S", on=_D(2024, 6, 1), quantity=10),
        lb.Cancel(subscription_id="S", on=_D(2024, 6, 1)),
    ],
}


@pytest.mark.parametrize("name", sorted(_OPERATIONS))
def test_the_new_operations_audit_clean(name: str) -> None:
    """Each operation of docs/operations.md makes lines that audit clean under their rulebook."""
    rulebook = lb.rulebooks.NEW_COMMERCE
    lines = lb.charge_lines(_OPERATIONS[name], through=_D(2024, 12, 31), rulebook=rulebook)
    assert lb.audit.check(_written(lines), rulebook=rulebook) == ()


@pytest.mark.parametrize("name", sorted(_OPERATIONS))
def test_a_changed_amount_of_a_new_operation_is_found(name: str) -> None:
    """One cent more on any charged line of those operations is found."""
    rulebook = lb.rulebooks.NEW_COMMERCE
    lines = lb.charge_lines(_OPERATIONS[name], through=_D(2024, 12, 31), rulebook=rulebook)
    for index, line in enumerate(lines):
        if line.total.amount == 0:
            continue
        cent = lb.Money.from_minor(1, line.currency)
        changed = [*lines[:index], line._replace(total=line.total + cent), *lines[index + 1 :]]
        assert lb.audit.check(_written(changed), rulebook=rulebook), (name, index)


def test_a_month_share_cycle_is_priced_by_months() -> None:
    """The first annual cycle after a plan change costs 250 x 11/12, not a share of days."""
    rulebook = lb.rulebooks.NEW_COMMERCE
    lines = lb.charge_lines(
        _OPERATIONS["billing-plan change (11 of 12 months)"][:2],
        through=_D(2021, 10, 31),
        rulebook=rulebook,
    )
    assert lines[-1].total == lb.Money("2291.60", "EUR")
    by_days = lines[-1]._replace(total=lb.Money("2294.50", "EUR"))
    (finding,) = lb.audit.check(_written([*lines[:-1], by_days]), rulebook=rulebook)
    assert finding.rule is Rule.AMOUNT
    assert "11/12 months" in finding.message


def _written(lines: list[lb.ChargeLine] | lb.ChargeLines) -> tuple[lb.audit.ReconRow, ...]:
    out = io.StringIO(newline="")
    lb.recon.write_csv(lines, out)
    return lb.audit.read_recon(io.StringIO(out.getvalue(), newline=""))
