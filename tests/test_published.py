"""The worked tables of the public Partner Center pages, reproduced line by line.

Each CSV in ``tests/data/published/`` is one table as published (headers and values verbatim);
each test names its page and section. The page "Billing scenarios for one-time and select
recurring purchases in new commerce experience" (``common-billing-scenarios-onetime-recurring``)
truncates in two ways (``docs/published.md``): its seat tables truncate each line
(``PER_LINE_DOWN``) and show the effective unit price rounded half-up, the other tables
truncate the effective unit price first (``PER_UNIT_DOWN``, new commerce's default) and show it
truncated.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs
import pytest

import licbill as lb
from sample_prices import COMMERCE_ANNUAL, COMMERCE_MONTHLY

D = dt.date
NC = lb.rulebooks.NEW_COMMERCE
PER_LINE = attrs.evolve(NC, rounding=lb.Rounding.PER_LINE_DOWN)
DATA = Path(__file__).parent / "data" / "published"
PAGE = "common-billing-scenarios-onetime-recurring__"
EUR = "EUR"
STANDARD = lb.Sku.monthly(
    id="m365-bs", name="Microsoft 365 Business Standard", unit_price=lb.Money("10.08", EUR)
)
E1 = lb.Sku.monthly(id="o365-e1", name="Office 365 E1", unit_price=lb.Money("6.43", EUR))
_COLUMNS = {
    "orderdate": "order",
    "chargetype": "type",
    "chargestartdate": "start",
    "chargeenddate": "end",
    "unitprice": "unit",
    "effectiveunitprice": "eup",
    "billablequantity": "quantity",
    "quantity": "quantity",
    "total": "total",
    "amount": "total",
    "subtotal": "total",
}


def _table(name: str) -> list[dict[str, str]]:
    """The published rows of one table, keyed by licbill's short column names."""
    with (DATA / f"{PAGE}{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            _COLUMNS[key.replace(" ", "").lower()]: value
            for key, value in row.items()
            if key.replace(" ", "").lower() in _COLUMNS
        }
        for row in rows
    ]


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%B %d, %Y").date()


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _shown(eup: lb.Money, published: str, rounding: str) -> Decimal:
    """The effective unit price as the page shows it: to its digits, truncated or half-up."""
    places = -_number(published).as_tuple().exponent  # type: ignore[operator]
    return eup.amount.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def _assert_rows(lines: list[lb.ChargeLine], name: str, *, shown: str = ROUND_DOWN) -> None:
    """Every published cell of table *name* equals the matching line's value."""
    rows = _table(name)
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        actual = {
            "order": line.order_date,
            "type": str(line.charge_type),
            "start": line.charge_start,
            "end": line.charge_end,
            "unit": line.unit_price.amount,
            "quantity": line.quantity,
            "total": line.total.amount,
        }
        expected: dict[str, object] = {
            "order": _date(row["order"]) if "order" in row else None,
            "type": row.get("type"),
            "start": _date(row["start"]) if "start" in row else None,
            "end": _date(row["end"]) if "end" in row else None,
            "unit": _number(row["unit"]) if "unit" in row else None,
            "quantity": int(row["quantity"]) if "quantity" in row else None,
            "total": _number(row["total"]) if "total" in row else None,
        }
        for key, value in expected.items():
            if value is not None:
                assert actual[key] == value, (key, line)
        if "eup" in row:
            assert _shown(line.effective_unit_price, row["eup"], shown) == _number(row["eup"])


def _bill(events: list[lb.Event], through: dt.date, rulebook: lb.Rulebook = NC) -> list:
    return list(lb.charge_lines(events, through=through, rulebook=rulebook))


BOUGHT = lb.Purchase(subscription_id="S", on=D(2021, 6, 18), sku=STANDARD, quantity=10)


def test_monthly_purchase_is_one_new_line() -> None:
    """P1 "How are one-time and recurring charges calculated?", table 1: a monthly purchase."""
    _assert_rows(
        _bill([BOUGHT], D(2021, 6, 30)),
        "how-are-one-time-and-recurring-charges-calculated__1-monthly-new",
    )


def test_monthly_renewal_is_one_renew_line() -> None:
    """P1 "How are one-time and recurring charges calculated?", table 2: the renewal."""
    lines = _bill([BOUGHT], D(2021, 7, 18))
    _assert_rows(lines[1:], "how-are-one-time-and-recurring-charges-calculated__2-renew")


def test_annual_term_billed_monthly_has_cycle_charges() -> None:
    """P1 "How are one-time and recurring charges calculated?", table 3: a one-year term billed
    monthly writes cycleCharge lines."""
    sku = attrs.evolve(STANDARD, term=lb.Term.P1Y)
    lines = _bill([attrs.evolve(BOUGHT, sku=sku)], D(2021, 7, 18))
    _assert_rows(
        lines[1:], "how-are-one-time-and-recurring-charges-calculated__3-annual-term-cyclecharge"
    )


def test_prepaid_year_is_one_line() -> None:
    """P1 "How are one-time and recurring charges calculated?", table 4: a year paid up front."""
    sku = lb.Sku.annual(
        id="m365-bs-y",
        name="M365 BS",
        unit_price=lb.Money("120.96", EUR),
        billing=lb.Billing.UPFRONT,
    )
    lines = _bill([attrs.evolve(BOUGHT, sku=sku)], D(2021, 6, 30))
    _assert_rows(lines, "how-are-one-time-and-recurring-charges-calculated__4-prepaid")


ADD = lb.ChangeQuantity(subscription_id="S", on=D(2021, 6, 20), quantity=12)


def test_adding_seats() -> None:
    """P1 "How are licenses (seats) added or removed?", adding two seats on 20 June (each line
    truncated, PER_LINE_DOWN)."""
    lines = _bill([BOUGHT, ADD], D(2021, 6, 30), PER_LINE)
    _assert_rows(lines, "how-are-licenses-seats-added-or-removed__1-add-seats", shown=ROUND_HALF_UP)


def test_removing_seats() -> None:
    """P1 "How are licenses (seats) added or removed?", removing four of the twelve seats on
    the same day: all were added within the reduction window."""
    lines = _bill(
        [BOUGHT, ADD, lb.ChangeQuantity(subscription_id="S", on=D(2021, 6, 20), quantity=8)],
        D(2021, 6, 30),
        PER_LINE,
    )
    _assert_rows(
        lines[3:], "how-are-licenses-seats-added-or-removed__2-remove-seats", shown=ROUND_HALF_UP
    )


def test_seat_count_after_several_changes() -> None:
    """P1 "How do I calculate the total number of seats (licenses) after multiple changes during
    a billing period?": five changes in March 2022, every reduction within its window."""
    sku = attrs.evolve(STANDARD, unit_price=lb.Money("12", EUR))
    events: list[lb.Event] = [
        lb.Purchase(subscription_id="S", on=D(2022, 3, 5), sku=sku, quantity=10)
    ]
    for day, seats in [(7, 15), (10, 25), (12, 23), (14, 20), (25, 30)]:
        events.append(lb.ChangeQuantity(subscription_id="S", on=D(2022, 3, day), quantity=seats))
    _assert_rows(
        _bill(events, D(2022, 3, 31), PER_LINE),
        "how-do-i-calculate-the-total-number-of-seats-licenses-after-multiple-changes-during-a-"
        "billing-period",
        shown=ROUND_HALF_UP,
    )


def test_prorated_refund_within_seven_days() -> None:
    """P1 "How are the refunds calculated if I cancel a subscription within seven days of buying
    or renewing it?": a cancel two days after the purchase refunds the days left."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2021, 7, 15), sku=STANDARD, quantity=10),
        lb.Cancel(subscription_id="S", on=D(2021, 7, 17)),
    ]
    _assert_rows(
        _bill(events, D(2021, 7, 31)),
        "how-are-the-refunds-calculated-if-i-cancel-a-subscription-within-seven-days-of-buying-"
        "or-renewing-it",
    )


def test_full_upgrade() -> None:
    """P1 "How should I reconcile and link upgraded transactions?", full upgrade: a convert pair
    on one subscription, sharing a reference id."""
    events = [
        attrs.evolve(BOUGHT, quantity=300),
        lb.ConvertSku(subscription_id="S", on=D(2021, 6, 25), to=E1),
    ]
    lines = _bill(events, D(2021, 6, 30))
    _assert_rows(lines, "full-upgrade")
    assert lines[1].reference_id == lines[2].reference_id


def test_partial_upgrade() -> None:
    """P1 "How should I reconcile and link upgraded transactions?", partial upgrade: 100 of 300
    seats move to a new subscription on the target SKU, coterminous with the source."""
    events = [
        attrs.evolve(BOUGHT, quantity=300),
        lb.ConvertSku(
            subscription_id="S", on=D(2021, 6, 25), to=E1, quantity=100, target_subscription_id="S2"
        ),
    ]
    lines = _bill(events, D(2021, 6, 30))
    _assert_rows(lines, "partial-upgrade")
    assert [x.subscription_id for x in lines] == ["S", "S", "S2"]
    assert lines[1].reference_id == lines[2].reference_id


def test_trial_converted_on_its_first_day() -> None:
    """P1 "How do I reconcile after I convert a trial version to a paid subscription?": 25 trial
    seats converted the day the trial began; the paid term starts that day."""
    guides = lb.Sku.monthly(
        id="guides", name="Dynamics 365 Guides", unit_price=lb.Money("52.61", EUR)
    )
    events = [
        lb.Purchase(subscription_id="S", on=D(2021, 6, 25), sku=guides, quantity=25, trial=True),
        lb.ConvertTrial(subscription_id="S", on=D(2021, 6, 25)),
    ]
    lines = _bill(events, D(2021, 7, 1))
    _assert_rows(lines, "how-do-i-reconcile-after-i-convert-a-trial-version-to-a-paid-subscription")
    assert [x.product_qualifiers for x in lines] == [("Trial",), ("Trial",), ()]


def _plan_change(bought: lb.Sku, on: dt.date, to: lb.Sku, through: dt.date) -> list[lb.ChargeLine]:
    """The page's lines: ten seats of *bought* from 20 September 2021, then the billing plan
    of *to* asked for on *on*."""
    events = [
        lb.Purchase(subscription_id="S", on=D(2021, 9, 20), sku=bought, quantity=10),
        lb.ChangeBillingPlan(subscription_id="S", on=on, to=to),
    ]
    return _bill(events, through)


def test_billing_plan_annual_to_monthly() -> None:
    """P1 "How do I reconcile transactions after changing billing plans?", annual to monthly:
    the change takes effect when the paid year ends; the term's dates stay."""
    lines = _plan_change(COMMERCE_ANNUAL, D(2022, 9, 19), COMMERCE_MONTHLY, D(2022, 9, 30))
    _assert_rows(
        lines, "how-do-i-reconcile-transactions-after-changing-billing-plans__1-annual-to-monthly"
    )
    assert {x.subscription_end for x in lines} == {D(2024, 9, 19)}


def test_billing_plan_monthly_to_annual() -> None:
    """P1 "How do I reconcile transactions after changing billing plans?", monthly to annual:
    the annual charge runs to the end of the billing year, prorated by whole months (11/12)."""
    lines = _plan_change(COMMERCE_MONTHLY, D(2021, 10, 1), COMMERCE_ANNUAL, D(2021, 10, 31))
    _assert_rows(
        lines, "how-do-i-reconcile-transactions-after-changing-billing-plans__2-monthly-to-annual"
    )


ANNUAL = lb.Sku.annual(id="a", name="A", unit_price=lb.Money("365", "USD"))
TRIENNIAL = lb.Sku(
    id="t",
    name="T",
    unit_price=lb.Money("365", "USD"),
    term=lb.Term.P3Y,
    billing=lb.Billing.ANNUAL,
)
MONTHLY = lb.Sku.monthly(id="m", name="M", unit_price=lb.Money("31", "USD"))


@pytest.mark.parametrize(
    ("sku", "bought", "end", "next_term"),
    [
        (ANNUAL, D(2022, 7, 15), D(2023, 6, 30), (D(2023, 7, 1), D(2024, 6, 30))),
        (TRIENNIAL, D(2022, 7, 15), D(2025, 6, 30), (D(2025, 7, 1), D(2028, 6, 30))),
        (MONTHLY, D(2022, 7, 15), D(2022, 7, 31), (D(2022, 8, 1), D(2022, 8, 31))),
        (ANNUAL, D(2023, 2, 4), D(2024, 1, 31), (D(2024, 2, 1), D(2025, 1, 31))),
    ],
)
def test_calendar_month_alignment(
    sku: lb.Sku, bought: dt.date, end: dt.date, next_term: tuple[dt.date, dt.date]
) -> None:
    """P4 "Align subscription end dates", the calendar-month examples: the first term ends on
    the last day of its last calendar month, and the next term is standard."""
    events = [lb.Purchase(subscription_id="S", on=bought, sku=sku, custom_term_end=end)]
    lines = _bill(events, next_term[0])
    assert (lines[0].charge_start, lines[-1].subscription_end) == (bought, next_term[1])
    assert lines[-1].charge_start == next_term[0]
    assert lines[-1].charge_type.kind is lb.ChargeType.RENEW


@pytest.mark.parametrize(
    ("existing", "sku", "end"),
    [
        (
            lb.Purchase(subscription_id="E", on=D(2021, 10, 2), sku=ANNUAL),
            TRIENNIAL,
            D(2024, 10, 1),
        ),
        (
            lb.Purchase(subscription_id="E", on=D(2019, 10, 2), sku=TRIENNIAL),
            TRIENNIAL,
            D(2022, 10, 1),
        ),
        (lb.Purchase(subscription_id="E", on=D(2021, 10, 2), sku=ANNUAL), ANNUAL, D(2022, 10, 1)),
    ],
)
def test_coterminous_examples(existing: lb.Purchase, sku: lb.Sku, end: dt.date) -> None:
    """P4 "Align subscription end dates", the coterminosity examples: a subscription bought on
    1 July 2022 ends with the existing one's term (or one of its later term ends)."""
    events = [
        existing,
        lb.Purchase(subscription_id="S", on=D(2022, 7, 1), sku=sku, custom_term_end=end),
    ]
    lines = [x for x in _bill(events, D(2022, 7, 1)) if x.subscription_id == "S"]
    assert lines[0].subscription_end == end


def test_one_month_coterm_example_longer_than_a_month_is_refused() -> None:
    """P4's one-month example (bought 2 March, ending 2 April) is longer than a monthly term,
    which the same page forbids; licbill follows the rule and refuses it."""
    events = [
        lb.Purchase(subscription_id="E", on=D(2021, 4, 3), sku=ANNUAL),
        lb.Purchase(
            subscription_id="S", on=D(2022, 3, 2), sku=MONTHLY, custom_term_end=D(2022, 4, 2)
        ),
    ]
    with pytest.raises(lb.InvalidValueError, match="within the first term"):
        _bill(events, D(2022, 3, 31))


_MONTH_ENDS = "common-billing-scenarios-onetime-recurring__when-you-buy-on-the-"
_DATE_COLUMNS = {
    "orderdate": "order",
    "chargetype": "type",
    "subscriptionstartdate": "sub_start",
    "subscriptionenddate": "sub_end",
    "renewdate": "renew",
    "chargestartdate": "start",
    "chargeenddate": "end",
}


def _date_rows(name: str) -> list[dict[str, dt.date | str]]:
    """The rows of a month-end table: dates parsed, charge type as text."""
    with (DATA / f"{_MONTH_ENDS}{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        cells: dict[str, dt.date | str] = {}
        for key, value in row.items():
            short = _DATE_COLUMNS.get(key.replace(" ", "").lower())
            if short is not None:
                cells[short] = value if short == "type" else _date(value)
        out.append(cells)
    return out


def _row(line: lb.ChargeLine, renew: dt.date) -> dict[str, dt.date | str]:
    return {
        "order": line.order_date,
        "type": str(line.charge_type),
        "sub_start": line.subscription_start,  # type: ignore[dict-item]
        "sub_end": line.subscription_end,  # type: ignore[dict-item]
        "renew": renew,
        "start": line.charge_start,
        "end": line.charge_end,
    }


@pytest.mark.parametrize(
    "name",
    ["last-day-of-a-month__1-monthly-term", "day-before-the-last-day-of-a-month__1-monthly-term"],
)
def test_monthly_terms_bought_at_month_end(name: str) -> None:
    """P1 "Monthly term subscription expiration dates on special cases", the monthly-term tables
    (bought on the last day of a month, and on the day before): each purchase's dates."""
    for row in _date_rows(name):
        bought = row["order"]
        assert isinstance(bought, dt.date)
        lines = _bill(
            [lb.Purchase(subscription_id="S", on=bought, sku=STANDARD)], lb.add_months(bought, 1)
        )
        assert _row(lines[0], lines[1].order_date) == row


def test_annual_term_bought_on_the_last_day_of_a_month() -> None:
    """P1 "Monthly term subscription expiration dates on special cases", "When you buy on the
    last day of a month", annual term billed monthly: twelve cycles from 31 January."""
    sku = attrs.evolve(STANDARD, term=lb.Term.P1Y)
    lines = _bill([lb.Purchase(subscription_id="S", on=D(2021, 1, 31), sku=sku)], D(2022, 1, 31))
    rows = _date_rows("last-day-of-a-month__2-annual-term-monthly-plan")
    assert [_row(x, lines[-1].order_date) for x in lines[:-1]] == rows


def test_annual_term_bought_on_the_day_before_the_last_day_follows_the_monthly_rule() -> None:
    """P1 "Monthly term subscription expiration dates on special cases", "When you buy on the
    day before the last day of a month", annual term billed monthly. The table contradicts the
    page's monthly-term table for the same day (its first cycle ends 26 February, the monthly
    term bought on 30 January ends 27 February) and counts cycles from month ends; licbill
    counts every cycle from the anchor day (docs/published.md). The rows that both rules give
    agree: the subscription's dates, the renewal, and the cycle from 30 July."""
    sku = attrs.evolve(STANDARD, term=lb.Term.P1Y)
    lines = _bill([lb.Purchase(subscription_id="S", on=D(2021, 1, 30), sku=sku)], D(2022, 1, 30))
    rows = _date_rows("day-before-the-last-day-of-a-month__2-annual-term-monthly-plan")
    assert lines[0].charge_end == D(2021, 2, 27)
    assert rows[0]["end"] == D(2021, 2, 26)
    assert (lines[0].subscription_end, lines[-1].order_date) == (
        rows[0]["sub_end"],
        rows[0]["renew"],
    )
    ours = {(x.charge_start, x.charge_end) for x in lines}
    assert (rows[6]["start"], rows[6]["end"]) in ours
