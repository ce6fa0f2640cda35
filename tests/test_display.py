"""Localised money and dates, records and HTML views (the edges)."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb
from licbill import strategies
from licbill.seeds import SCENARIOS

HAS_PANDAS = importlib.util.find_spec("pandas") is not None


def _seed(number: int) -> lb.ChargeLines:
    s = SCENARIOS[number - 1]
    return lb.charge_lines(s.events, through=s.through, rulebook=s.rulebook)


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (lb.Money("10.08", "EUR"), "nl_NL", "€\xa010,08"),
        (lb.Money("10.08", "USD"), "en_US", "$10.08"),
        (lb.Money("-20.00", "USD"), "en_US", "-$20.00"),
        (lb.Money("1000", "JPY"), "ja_JP", "￥1,000"),
        (lb.Money("1.250", "BHD"), "en_US", "BHD1.250"),
    ],
)
def test_format_money(money: lb.Money, locale: str, text: str) -> None:
    """Money is formatted for the named locale, with the currency's own digits."""
    assert lb.format_money(money, locale=locale) == text


def test_format_money_never_rounds_for_you() -> None:
    """An amount with digits beyond the minor unit must be rounded by licbill first."""
    with pytest.raises(lb.InvalidValueError, match="round it"):
        lb.format_money(lb.Money("10.085", "EUR"), locale="nl_NL")
    rounded = lb.Money("10.085", "EUR").rounded(lb.RoundingMode.HALF_UP)
    assert lb.format_money(rounded, locale="nl_NL") == "€\xa010,09"


def test_bad_locales_and_values_are_refused() -> None:
    """Unknown locales and non-money are refused with licbill errors."""
    with pytest.raises(lb.InvalidValueError, match="xx_YY"):
        lb.format_money(lb.Money(1, "EUR"), locale="xx_YY")
    with pytest.raises(lb.InvalidTypeError):
        lb.format_money(10, locale="nl_NL")  # type: ignore[arg-type]
    with pytest.raises(lb.InvalidTypeError):
        lb.format_date(dt.date(2024, 1, 1), locale=None)  # type: ignore[arg-type]


def test_localised_table_uses_the_seed_words() -> None:
    """In Dutch, dates, money and the seed's charge types read as the Dutch document does."""
    table = _seed(3).to_table(locale="nl_NL")
    assert "10-06-2019" in table
    assert "Nieuw" in table
    assert "Converteren" in table
    assert "US$\xa0-20,00" in table
    assert "2019-06-10" in _seed(3).to_table()


def test_records_are_plain() -> None:
    """Records are plain dicts of plain values, one per line."""
    records = _seed(1).to_records()
    assert len(records) == 2
    assert records[1]["charge_type"] == "Renew"
    assert str(records[1]["total"]) == "2.00"
    assert records[0]["product_qualifiers"] == ["Trial"]


def test_html_views_escape_and_align() -> None:
    """HTML views escape text and right-align numbers."""
    sku = lb.Sku.monthly(id="x", name="<b>X</b>", unit_price=lb.Money("5", "USD"))
    lines = lb.charge_lines(
        [lb.Purchase(subscription_id="S", on=dt.date(2024, 1, 1), sku=sku)],
        through=dt.date(2024, 1, 1),
        rulebook=lb.rulebooks.NEW_COMMERCE,
    )
    page = lines._repr_html_()
    assert "&lt;b&gt;X&lt;/b&gt;" in page
    assert '<td style="text-align:right">5.00</td>' in page
    assert "$5.00" in lines.to_html(locale="en_US")


def test_invoice_and_report_views() -> None:
    """Invoices and licensing reports give records and HTML tables."""
    ws = lb.Workspace(
        id="w", created_on=dt.date(2024, 2, 1), billing=lb.BillingInfo(company_name="Acme")
    )
    users = [lb.User(id="u", username="u", modules={lb.Module.ENGAGE})]
    prices = lb.PriceList({(lb.Module.ENGAGE, lb.UserKind.REGULAR): lb.Money("4.00", "EUR")})
    invoice = lb.monthly_invoice(ws, users=users, month=lb.Month(2024, 5), prices=prices)
    assert invoice.to_records()[0]["company_name"] == "Acme"
    assert "€\xa04,00" in invoice.to_html(locale="nl_NL")
    assert "Acme · 2024-05" in invoice._repr_html_()
    report = lb.reports.licensing_report(
        [lb.reports.WorkspaceUsers(workspace=ws, users=users)], version="4.0"
    )
    assert report.to_records()[0]["EngageRegular"] == "1"
    assert "<th>EngageRegular</th>" in report._repr_html_()


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas is an optional extra")
def test_to_dataframe_with_pandas() -> None:
    """With pandas installed, lines and invoices become data frames."""
    frame = _seed(3).to_dataframe()
    assert list(frame["charge_type"]) == ["New", "Convert", "Convert"]


def test_to_dataframe_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, to_dataframe names the extra to install."""

    def no_pandas(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", no_pandas)
    with pytest.raises(lb.MissingDependencyError, match=r"licbill\[pandas\]"):
        _seed(3).to_dataframe()


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas is an optional extra")
def test_dataframe_dates_are_datetime64() -> None:
    """Every date column of the lines' data frame is datetime64, empty frames included."""
    for frame in (_seed(3).to_dataframe(), lb.ChargeLines().to_dataframe()):
        for column in ("order_date", "charge_start", "charge_end", "subscription_end"):
            assert str(frame[column].dtype).startswith("datetime64"), column


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas is an optional extra")
def test_dataframe_money_is_exact_decimal_with_a_currency() -> None:
    """Money columns hold the exact Decimal amounts; the currency column names their code."""
    frame = _seed(3).to_dataframe()
    assert list(frame["total"]) == [Decimal("20.00"), Decimal("-20.00"), Decimal("10.00")]
    assert all(type(amount) is Decimal for amount in frame["effective_unit_price"])
    assert set(frame["currency"]) == {"USD"}
    assert str(frame["quantity"].dtype) == "int64"


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas is an optional extra")
def test_dataframe_sums_to_the_exact_total() -> None:
    """Summing the total column gives the same Decimal as lb.total of the lines' totals."""
    lines = _seed(3)
    frame = lines.to_dataframe()
    assert lb.Money(frame["total"].sum(), "USD") == lb.total(line.total for line in lines)


def test_records_have_every_field_and_the_currency() -> None:
    """A record has a key per ChargeLine field, plus the currency after the total."""
    record = _seed(2).to_records()[0]
    keys = list(record)
    assert [k for k in keys if k != "currency"] == [
        f for f in lb.ChargeLine._fields if f != "basis"
    ]
    assert keys[keys.index("total") + 1] == "currency"
    assert record["term"] == "P1M"
    assert record["billing"] == "monthly"


def test_slicing_charge_lines_keeps_the_type() -> None:
    """A slice of ChargeLines is ChargeLines, with its views; an index is one ChargeLine."""
    lines = _seed(3)
    assert type(lines[1:]) is lb.ChargeLines
    assert lines[1:] == tuple(lines)[1:]
    assert "<table>" in lines[:1]._repr_html_()
    assert type(lines[0]) is lb.ChargeLine


@given(st.lists(strategies.monies(currencies=st.just("EUR"), extra_places=2), max_size=6))
def test_total_is_sum_from_zero(monies: list[lb.Money]) -> None:
    """lb.total with a currency equals sum() started from Money.zero of that currency."""
    assert lb.total(monies, currency="EUR") == sum(monies, lb.Money.zero("EUR"))
    if monies:
        assert lb.total(monies) == lb.total(monies, currency="EUR")


def test_total_of_nothing_needs_a_currency() -> None:
    """An empty total without a currency is refused; with one it is zero."""
    with pytest.raises(lb.InvalidValueError, match="needs a currency"):
        lb.total([])
    assert lb.total([], currency="JPY") == lb.Money.zero("JPY")


@pytest.mark.parametrize(
    ("monies", "currency", "error"),
    [
        ([lb.Money(1, "EUR"), lb.Money(1, "USD")], None, lb.CurrencyMismatchError),
        ([lb.Money(1, "EUR")], "USD", lb.CurrencyMismatchError),
        ([1, lb.Money(1, "EUR")], None, lb.InvalidTypeError),
        ([lb.Money(1, "EUR"), 1], None, lb.InvalidTypeError),
        (lb.Money(1, "EUR"), None, lb.InvalidTypeError),
        ("EUR", None, lb.InvalidTypeError),
    ],
)
def test_total_refuses_bad_input(monies: Any, currency: str | None, error: type) -> None:
    """Mixed currencies and non-Money are refused with licbill errors."""
    with pytest.raises(error):
        lb.total(monies, currency=currency)


def test_writers_refuse_hand_built_lines_with_text_in_numbers() -> None:
    """The table cells and plain records of a line with text as its quantity are refused."""
    s = SCENARIOS[0]
    line = lb.charge_lines(s.events, through=s.through, rulebook=s.rulebook)[0]
    bad = line._replace(quantity="=cmd|' /C calc'!A0")
    with pytest.raises(lb.InvalidTypeError, match="quantity"):
        lb.io.tables.line_cells(bad)
    with pytest.raises(lb.InvalidTypeError, match="quantity"):
        lb.io.display.line_record(bad)
    with pytest.raises(lb.InvalidTypeError, match="quantity"):
        lb.ChargeLines([line, bad]).to_html()
    assert lb.io.display.check_line(line) is line


def test_check_line_refuses_what_is_not_a_line() -> None:
    """check_line names the index of something that is not a ChargeLine."""
    with pytest.raises(lb.InvalidTypeError, match="charge line 4 is not"):
        lb.io.display.check_line(("a", "b"), index=4)


@pytest.mark.parametrize(
    ("header", "rows", "error"),
    [
        (("a", "b"), [("1",)], lb.InvalidValueError),
        (("a",), [(1,)], lb.InvalidTypeError),
        ((None,), [], lb.InvalidTypeError),
    ],
)
def test_render_checks_its_cells(header: tuple[object, ...], rows: list[tuple[object, ...]],
                                 error: type[Exception]) -> None:  # fmt: skip
    """A table row with a missing cell, or a cell that is not text, is refused."""
    with pytest.raises(error):
        lb.io.tables.render(header, rows)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "babel_name"),
    [("nl-NL", "nl_NL"), ("en-US", "en_US"), ("zh-Hant-TW", "zh_Hant_TW"), ("de", "de")],
)
def test_bcp47_locale_tags_are_accepted(tag: str, babel_name: str) -> None:
    """A BCP-47 tag (``nl-NL``) names the same locale as babel's spelling (``nl_NL``)."""
    assert lb.io.display.locale_of(tag) == lb.io.display.locale_of(babel_name)
    money = lb.Money("10.08", "EUR")
    assert lb.format_money(money, locale=tag) == lb.format_money(money, locale=babel_name)


@pytest.mark.parametrize("tag", ["nl-XX-YY-ZZ", "xx-YY", "nl--NL", "-", ""])
def test_unknown_bcp47_tags_are_refused(tag: str) -> None:
    """A tag babel does not know is an InvalidValueError naming it, never a raw babel error."""
    with pytest.raises(lb.InvalidValueError, match="unknown locale"):
        lb.io.display.locale_of(tag)


@pytest.mark.parametrize(
    ("locale", "text"),
    [("en-US", "6/10/2019"), ("de-DE", "10.06.2019"), ("nl-NL", "10-06-2019"),
     ("ko-KR", "2019. 6. 10."), ("en_GB", "10/06/2019")],
)  # fmt: skip
def test_dates_have_four_digit_years(locale: str, text: str) -> None:
    """Short dates keep the locale's order and separators but always write the whole year."""
    assert lb.format_date(dt.date(2019, 6, 10), locale=locale) == text


def test_every_babel_locale_writes_four_digit_years() -> None:
    """In each of babel's locales a 2005 date shows "2005", never a two-digit year alone."""
    from babel.localedata import locale_identifiers

    for name in locale_identifiers():
        shown = lb.format_date(dt.date(2005, 3, 4), locale=name.replace("_", "-"))
        assert "2005" in shown, (name, shown)


def test_localised_amounts_are_right_aligned() -> None:
    """In a localised table every amount ends in the same column, the subscription shown."""
    table = _seed(3).to_table(locale="nl-NL").splitlines()
    header = table[0]
    ends = {line.index("€") if "€" in line else line.rindex("0,00") for line in table[2:]}
    assert len(ends) == 1
    assert header.split()[:2] == ["order", "subscription"]
    assert all(" S3 " in line for line in table[2:])


@pytest.mark.parametrize(
    ("cell", "numeric"),
    [("-20.00", True), ("US$\xa0-20,00", True), ("1.234,50\xa0€", True), ("CHF 3.00", True),
     ("10-06-2019", False), ("6/10/2019", False), ("U1", False), ("Hybrid", False)],
)  # fmt: skip
def test_render_right_aligns_amount_columns(cell: str, numeric: bool) -> None:
    """A column of plain or localised amounts is right-aligned, header too; dates, text not."""
    _, _, row = lb.io.tables.render(("a-long-header", "x"), [(cell, "x")]).splitlines()
    assert row.startswith(" ") is numeric
    header = lb.io.tables.render(("n", "x"), [(cell, "x")]).splitlines()[0]
    assert header.startswith(" ") is numeric


def test_render_takes_explicit_numeric_columns() -> None:
    """``numeric=`` names the right-aligned columns whatever the cells look like."""
    table = lb.io.tables.render(("name", "n"), [("ab", "x"), ("c", "yy")], numeric=[1])
    assert table.splitlines()[2:] == ["ab     x", "c     yy"]
