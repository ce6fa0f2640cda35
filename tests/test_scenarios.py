"""Scenario files and the ``charges`` and ``invoice`` commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import licbill as lb
from licbill.io.cli import main
from licbill.io.scenarios import load_charges, load_workspaces

EXAMPLES = Path(__file__).parent.parent / "examples"
CHARGE_FILES = sorted(p for p in EXAMPLES.glob("*.toml") if "workspace" not in p.name)
WORKSPACE_FILES = sorted(EXAMPLES.glob("workspace*.toml"))


def test_every_example_file_is_covered() -> None:
    """Every example file is either a charges file or a workspaces file, and both exist."""
    assert CHARGE_FILES
    assert WORKSPACE_FILES
    assert set(CHARGE_FILES) | set(WORKSPACE_FILES) == set(EXAMPLES.glob("*.toml"))


@pytest.mark.parametrize("path", CHARGE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_charge_examples_run(path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each charges example bills in every output format, agreeing with the library."""
    assert main(["charges", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    scenario = load_charges(path)
    lines = lb.charge_lines(scenario.events, through=scenario.through, rulebook=scenario.rulebook)
    if fmt == "json":
        assert [r["total"] for r in json.loads(out)] == [str(x.total.amount) for x in lines]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        assert [r["Subtotal"] for r in rows] == [str(x.total.amount) for x in lines]
    else:
        assert out.count("\n") == len(lines) + 2


def test_free_trial_example_is_seed_one(capsys: pytest.CaptureFixture[str]) -> None:
    """The free-trial example reproduces seed table 1, and reads in Dutch with --locale."""
    assert main(["charges", str(EXAMPLES / "free-trial.toml"), "--locale", "nl_NL"]) == 0
    out = capsys.readouterr().out
    assert "Nieuw" in out
    assert "Verlengen" in out
    assert "10-07-2019" in out


@pytest.mark.parametrize("path", WORKSPACE_FILES, ids=lambda p: p.name)
def test_workspace_examples_run(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each workspaces example gives invoices, the licensing report and users CSVs."""
    code = main(["invoice", str(path), "--month", "2024-05", "--api-version", "3.5",
                 "--users-csv", str(tmp_path)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "Licensing report 3.5" in out
    scenario = load_workspaces(path)
    for entry in scenario.workspaces:
        assert (tmp_path / f"{entry.workspace.id}-users.csv").exists()
        assert entry.workspace.id in out


def test_workspace_example_totals(capsys: pytest.CaptureFixture[str]) -> None:
    """The workspaces example bills May 2024 daily-prorated: 12.23 and 7.00 EUR."""
    main(["invoice", str(EXAMPLES / "workspaces.toml"), "--month", "2024-05", "--locale", "nl_NL"])
    out = capsys.readouterr().out
    assert "€\xa012,23" in out
    assert "€\xa07,00" in out


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEAD = """rulebook = "new-commerce"
through = 2024-03-31

[[sku]]
id = "a"
unit_price = "10.00"
currency = "USD"
term = "P1M"
billing = "monthly"
"""


PURCHASE = 'type = "purchase"\nsubscription = "S"\non = 2024-01-01\n'


def _event(*lines: str) -> str:
    return "\n[[event]]\n" + "".join(line + "\n" for line in lines)


@pytest.mark.parametrize(
    ("tail", "where"),
    [
        (_event(PURCHASE + 'sku = "zz"'), ":15: event[0].sku"),
        (
            _event('type = "purchase"', 'subscription = "S"', 'on = "2024-01-01"'),
            ":14: event[0].on",
        ),
        (_event('type = "refund"', 'subscription = "S"', "on = 2024-01-01"), ":12: event[0].type"),
        (_event(PURCHASE + 'sku = "a"', "quantity = 0"), ":16: event[0].quantity"),
        (_event(PURCHASE + 'sku = "a"', "colour = 1"), ":16: event[0].colour"),
        ("\n[[event]\n", ":11: syntax"),
        (_event('type = "cancel"', "on = 2024-01-01"), ":11: event[0].subscription"),
    ],
)
def test_file_errors_name_file_line_and_field(
    tmp_path: Path, tail: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed file fails with status 1, naming the file, the line and the field."""
    path = _write(tmp_path, GOOD_HEAD + tail)
    output = tmp_path / "out.csv"
    assert main(["charges", str(path), "--format", "csv", "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert f"{path}{where}" in err
    assert not output.exists()


def test_billing_errors_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that parses but breaks a billing rule writes nothing and says why."""
    tail = (
        '\n[[event]]\ntype = "purchase"\nsubscription = "S"\non = 2024-01-01\nsku = "a"\n'
        '\n[[event]]\ntype = "change-quantity"\nsubscription = "S"\non = 2024-01-05\nquantity = 1\n'
    )
    output = tmp_path / "out.json"
    path = _write(tmp_path, GOOD_HEAD + tail)
    assert main(["charges", str(path), "--format", "json", "--output", str(output)]) == 1
    assert "the quantity is already 1" in capsys.readouterr().err
    assert not output.exists()


def test_output_file_and_through(tmp_path: Path) -> None:
    """--output writes the whole result; --through bills a shorter horizon."""
    output = tmp_path / "lines.json"
    assert main(["charges", str(EXAMPLES / "seat-changes.toml"), "--format", "json",
                 "--through", "2024-02-15", "--output", str(output)]) == 0  # fmt: skip
    records = json.loads(output.read_text(encoding="utf-8"))
    assert max(r["order_date"] for r in records) <= "2024-02-15"


def test_missing_file_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is a licbill error; a malformed --month is a usage error."""
    assert main(["charges", str(tmp_path / "none.toml")]) == 1
    assert "none.toml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["invoice", str(EXAMPLES / "workspaces.toml"), "--month", "May"])
    assert caught.value.code == 2


def test_workspace_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Workspace files report unknown modules and missing prices with their place."""
    path = tmp_path / "ws.toml"
    path.write_text(
        '[[price]]\nproduct = "Engage"\nkind = "regular"\namount = "4.00"\ncurrency = "EUR"\n\n'
        '[[workspace]]\nid = "w"\ncreated_on = 2024-02-01\n'
        'user = [{ id = "u", modules = ["Teams"] }]\n',
        encoding="utf-8",
    )
    assert main(["invoice", str(path), "--month", "2024-05"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:10: workspace[0].user" in err
    assert "Teams" in err


SKU_TAIL = GOOD_HEAD[GOOD_HEAD.index("\n[[sku]]") :].replace('"a"', '"b"')


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (GOOD_HEAD.replace('currency = "USD"', 'currency = "XYZ"'), 7, "sku[0].currency"),
        (GOOD_HEAD.replace('term = "P1M"', 'term = "P2M"'), 8, "sku[0].term"),
        (GOOD_HEAD + SKU_TAIL.replace('"b"', '"a"'), 12, "sku[1].id"),
        (GOOD_HEAD.replace('billing = "monthly"', 'billing = "annual"'), 4, "sku[0]"),
        (GOOD_HEAD.replace('rulebook = "new-commerce"', 'rulebook = "2030"'), 1, "rulebook"),
        (GOOD_HEAD.replace("through = 2024-03-31", ""), None, "through"),
        (GOOD_HEAD + 'rounding = "UP"\n', 10, "sku[0].rounding"),
        ('rulebook = "new-commerce"\nthrough = 2024-03-31\nsku = 3\n', 3, "sku"),
        (GOOD_HEAD + _event('type = "auto-renew"', 'subscription = "S"', "on = 2024-01-01",
                            'enabled = "no"'), 15, "event[0].enabled"),
    ],
)  # fmt: skip
def test_charges_file_errors(tmp_path: Path, text: str, line: int | None, field: str) -> None:
    """Malformed SKUs, rulebooks and tables raise ScenarioError with their file, line, field."""
    path = _write(tmp_path, text)
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (path, line, field)


WS_HEAD = '[[price]]\nproduct = "Engage"\nkind = "regular"\namount = "4.00"\ncurrency = "EUR"\n'
WS = WS_HEAD + '\n[[workspace]]\nid = "w"\ncreated_on = 2024-02-01\n'


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (WS_HEAD.replace('"Engage"', '"Teams"'), 2, "price[0].product"),
        (WS_HEAD + WS_HEAD.replace('"regular"', '"guest"').replace('"EUR"', '"USD"'), 1,
         "price"),
        (WS_HEAD + WS_HEAD, 7, "price[1].product"),
        (WS_HEAD + 'counting = "weekly"\n', 6, "price[0].counting"),
        (WS.replace("2024-02-01", "2023-02-01"), 7, "workspace[0]"),
        (WS + 'colour = 1\n', 10, "workspace[0].colour"),
        (WS + 'user = [{ id = "u", shoe = 1 }]\n', 10, "workspace[0].user"),
        (WS + 'revision = [{ on = 2024-05-02 }]\n', 10, "workspace[0].revision"),
        (WS + 'group = 3\n', 10, "workspace[0].group"),
        ('counting = "weekly"\n' + WS_HEAD, 1, "counting"),
        (WS.replace("= 2024-02-01", '= "2024-02-01"'), 9, "workspace[0].created_on"),
        (WS + 'user = [{ id = "u" }, { id = "u" }]\n', 7, "workspace[0]"),
    ],
)  # fmt: skip
def test_workspaces_file_errors(tmp_path: Path, text: str, line: int, field: str) -> None:
    """Malformed prices, workspaces, users and revisions raise ScenarioError with their place."""
    path = _write(tmp_path, text)
    with pytest.raises(lb.ScenarioError) as caught:
        load_workspaces(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (path, line, field)


def test_progress_shows_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run shows a line count on a terminal's standard error, and nothing when piped."""
    import licbill.io.cli as cli

    path = str(EXAMPLES / "seat-changes.toml")
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    assert main(["charges", path]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    assert main(["charges", path]) == 0
    assert "lines" in capsys.readouterr().err


def _sku_with(setting: str) -> str:
    """GOOD_HEAD with one more setting of its SKU, on line 10."""
    return GOOD_HEAD + setting + "\n"


@pytest.mark.parametrize("value", ["2.9", "inf", "nan", "-inf", "true", '"2"', "[2]", "1e3"])
def test_counts_that_are_not_whole_numbers_are_refused(tmp_path: Path, value: str) -> None:
    """min_quantity = 2.9, inf, true, ... is refused at its line, never truncated or coerced."""
    path = _write(tmp_path, _sku_with(f"min_quantity = {value}"))
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.line, caught.value.field) == (10, "sku[0].min_quantity")


def test_a_number_too_long_to_read_names_its_line_and_key(tmp_path: Path) -> None:
    """A 5,000-digit integer is a ScenarioError at its line and key, not a raw ValueError."""
    path = _write(tmp_path, _sku_with("max_quantity = " + "9" * 5000))
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (path, 10, "max_quantity")


def test_deep_nesting_is_a_scenario_error(tmp_path: Path) -> None:
    """Arrays nested 100,000 deep give a ScenarioError naming the file, not a RecursionError."""
    path = _write(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.file, caught.value.field) == (path, "syntax")


def test_an_empty_event_id_is_refused_at_its_line(tmp_path: Path) -> None:
    """``event_id = ""`` is refused while reading, at its own line and field."""
    path = _write(tmp_path, GOOD_HEAD + _event(PURCHASE + 'sku = "a"', 'event_id = ""'))
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.line, caught.value.field) == (16, "event[0].event_id")


def test_an_event_its_constructor_refuses_names_the_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule an event checks across its fields is reported at the event's [[event]] line."""
    import licbill.io.scenarios

    @attrs.frozen
    class Refusing:
        subscription_id: str
        on: dt.date

        def __attrs_post_init__(self) -> None:
            raise lb.InvalidValueError("refused as a whole")

    monkeypatch.setitem(
        licbill.io.scenarios.EVENT_KINDS, "cancel", lb.io.scenarios.event_shape(Refusing)
    )
    path = _write(tmp_path, GOOD_HEAD + _event('type = "cancel"', 'subscription = "S"',
                                               "on = 2024-01-01"))  # fmt: skip
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.line, caught.value.field) == (11, "event[0]")
    assert str(caught.value).endswith("refused as a whole")


def test_a_quantity_above_the_maximum_names_the_event(tmp_path: Path) -> None:
    """The engine's QuantityError for a purchase above the SKU's maximum names its line."""
    text = _sku_with("max_quantity = 5") + _event(PURCHASE + 'sku = "a"', "quantity = 9")
    scenario = load_charges(_write(tmp_path, text))
    with pytest.raises(lb.QuantityError) as caught:
        list(scenario.iter_charge_lines())
    assert (caught.value.line, caught.value.field) == (12, "event[0]")


ORDER_TAIL = _event(PURCHASE.replace("01-01", "01-05") + 'sku = "a"') + _event(
    'type = "change-quantity"', 'subscription = "S"', "on = 2024-01-02", "quantity = 3"
)


def test_engine_errors_keep_their_class_and_gain_file_and_line(tmp_path: Path) -> None:
    """An event before its purchase is an EventOrderError naming the event's file and line."""
    path = _write(tmp_path, GOOD_HEAD + ORDER_TAIL)
    scenario = load_charges(path)
    with pytest.raises(lb.EventOrderError) as caught:
        list(scenario.iter_charge_lines())
    error = caught.value
    assert (error.file, error.line, error.field) == (path, 17, "event[1]")
    assert error.event is scenario.events[1]
    assert str(error).startswith(f"{path}:17: event[1]: event precedes the purchase")


def test_locate_leaves_errors_about_other_events_alone(tmp_path: Path) -> None:
    """locate() adds a place only for an event the file holds; other errors stay unchanged."""
    scenario = load_charges(_write(tmp_path, GOOD_HEAD + ORDER_TAIL))
    other = lb.Cancel(subscription_id="T", on=lb.Month(2024, 1).first)
    error = scenario.locate(lb.SubscriptionEndedError("ended", event=other))
    assert (error.file, error.line, error.field) == (None, None, None)
    with pytest.raises(lb.InvalidTypeError):
        scenario.locate(ValueError("x"))  # type: ignore[arg-type]


def test_cli_reports_engine_errors_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``licbill charges`` prints an engine refusal with the event's file and line, status 1."""
    path = _write(tmp_path, GOOD_HEAD + ORDER_TAIL)
    assert main(["charges", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"licbill: error: {path}:17: event[1]: ")


def test_two_workspaces_with_one_id_are_refused(tmp_path: Path) -> None:
    """A second [[workspace]] with a used id is refused, naming both lines."""
    path = _write(tmp_path, WS + '\n[[workspace]]\nid = "w"\ncreated_on = 2024-03-01\n')
    with pytest.raises(lb.ScenarioError) as caught:
        load_workspaces(path)
    assert (caught.value.line, caught.value.field) == (12, "workspace[1].id")
    assert str(caught.value).endswith("workspace 'w' is already defined at line 8")


@settings(max_examples=30, deadline=None)
@given(
    value=st.one_of(
        st.floats().map(repr),
        st.booleans().map(lambda b: str(b).lower()),
        st.integers(min_value=4301, max_value=6000).map(lambda digits: "9" * digits),
        st.text(
            st.characters(exclude_categories=["Cs", "Cc"], exclude_characters='"\\'), max_size=5
        ).map(lambda text: f'"{text}"'),
    )
)
def test_adversarial_counts_are_refused_at_their_place(value: str) -> None:
    """Floats, booleans, over-long integers and text as a count: a ScenarioError at line 10."""
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), _sku_with(f"min_quantity = {value}"))
        with pytest.raises(lb.ScenarioError) as caught:
            load_charges(path)
    assert caught.value.line == 10
    assert caught.value.field in ("sku[0].min_quantity", "min_quantity")


def test_line_numbers_count_newlines_only(tmp_path: Path) -> None:
    """A line separator (U+2028) inside a string does not shift the reported line numbers."""
    text = GOOD_HEAD.replace('id = "a"', 'id = "a"\nname = "A\u2028B"') + "kind = 3\n"
    path = _write(tmp_path, text)
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(path)
    assert (caught.value.line, caught.value.field) == (11, "sku[0].kind")


def test_a_workspace_field_flows_through_the_converter(tmp_path: Path) -> None:
    """Workspace fields the loader never names (legacy_seats, admin option) read from a file."""
    text = WS + 'legacy_seats = "every-active-user"\nadmin_gets_all_modules = true\n'
    workspace = load_workspaces(_write(tmp_path, text)).workspaces[0].workspace
    assert workspace.legacy_seats is lb.LegacySeats.EVERY_ACTIVE_USER
    assert workspace.admin_gets_all_modules is True


def test_a_renamed_field_cannot_be_written_under_its_own_name(tmp_path: Path) -> None:
    """``subscription_id`` (the class's name for ``subscription``) is an unknown key in a file."""
    tail = _event('type = "cancel"', 'subscription_id = "S"', "on = 2024-01-01")
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(_write(tmp_path, GOOD_HEAD + tail))
    assert (caught.value.line, caught.value.field) == (13, "event[0].subscription_id")


def test_enums_read_by_value_or_name_in_any_case(tmp_path: Path) -> None:
    """``term = "p1m"`` and ``billing = "MONTHLY"`` read as Term.P1M and Billing.MONTHLY."""
    text = GOOD_HEAD.replace('"P1M"', '"p1m"').replace('"monthly"', '"MONTHLY"')
    sku = lb.Sku.monthly(id="a", name="a", unit_price=lb.Money("10.00", "USD"))
    text += _event(PURCHASE + 'sku = "a"')
    assert load_charges(_write(tmp_path, text)).events[0].sku == sku


def test_a_revision_with_both_a_user_and_a_group_is_refused(tmp_path: Path) -> None:
    """A revision table holds a user or a group: both is refused at the revision key."""
    text = WS + 'revision = [{ on = 2024-05-02, user = { id = "u" }, group = { id = "g" } }]\n'
    with pytest.raises(lb.ScenarioError, match="a user or a group") as caught:
        load_workspaces(_write(tmp_path, text))
    assert (caught.value.line, caught.value.field) == (10, "workspace[0].revision")


def test_a_scenario_reads_from_an_open_file(tmp_path: Path) -> None:
    """load_charges takes an open file too, and names it in errors by its name."""
    path = EXAMPLES / "seat-changes.toml"
    with path.open(encoding="utf-8") as file:
        assert load_charges(file).events == load_charges(path).events
    with pytest.raises(lb.InvalidTypeError):
        load_charges(3)  # type: ignore[arg-type]


def test_a_rounding_in_a_charges_file_overrides_the_rulebook(tmp_path: Path) -> None:
    """``rounding = "per_line_half_up"`` (any case) replaces the rulebook's rounding policy."""
    text = GOOD_HEAD.replace("through", 'rounding = "per_line_half_up"\nthrough', 1)
    scenario = load_charges(_write(tmp_path, text))
    assert scenario.rulebook.rounding is lb.Rounding.PER_LINE_HALF_UP
    assert scenario.rulebook.name == "new-commerce"


def test_standard_input_that_is_not_utf8_is_a_scenario_error() -> None:
    """Bytes that are not UTF-8 on standard input are refused as the file, never decoded wrong."""
    import io

    stdin = io.BufferedReader(io.BytesIO(b'rulebook = "caf\xe9"\n'))  # type: ignore[arg-type]
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(stdin)
    assert (str(caught.value.file), caught.value.field) == ("<stdin>", "file")


def test_a_stream_that_reads_no_text_is_refused() -> None:
    """An object whose read() returns neither text nor bytes is an InvalidTypeError."""

    class Odd:
        def read(self) -> int:
            return 3

    with pytest.raises(lb.InvalidTypeError, match="not text"):
        load_charges(Odd())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "field"),
    [('user = { id = "u" }', "workspace[0].user"),
     ("revision = 3", "workspace[0].revision"),
     ("revision = [3]", "workspace[0].revision")],
)  # fmt: skip
def test_user_and_revision_lists_that_are_not_tables_are_refused(
    tmp_path: Path, setting: str, field: str
) -> None:
    """A user table where a list belongs, or revisions that are not tables, name their key."""
    with pytest.raises(lb.ScenarioError) as caught:
        load_workspaces(_write(tmp_path, WS + setting + "\n"))
    assert (caught.value.line, caught.value.field) == (10, field)


def test_a_validator_that_needs_the_whole_event_blames_the_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A field validator that compares with another field is a rule of the whole entry."""
    import licbill.io.scenarios

    def after_on(instance: object, _attribute: object, value: dt.date) -> None:
        if value < instance.on:  # type: ignore[attr-defined]
            raise lb.InvalidValueError("ends before it starts")

    @attrs.frozen
    class Spanning:
        subscription_id: str
        on: dt.date
        until: dt.date = attrs.field(validator=after_on)

    monkeypatch.setitem(
        licbill.io.scenarios.EVENT_KINDS, "cancel", lb.io.scenarios.event_shape(Spanning)
    )
    tail = _event('type = "cancel"', 'subscription = "S"', "on = 2024-02-01", "until = 2024-01-01")
    with pytest.raises(lb.ScenarioError) as caught:
        load_charges(_write(tmp_path, GOOD_HEAD + tail))
    assert (caught.value.line, caught.value.field) == (11, "event[0]")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('rulebook = ["x"]\nthrough = 2024-03-31\n', "rulebook"),
        ("rulebook = {a = 1}\nthrough = 2024-03-31\n", "rulebook"),
        (
            'rulebook = "new-commerce"\nthrough = 2024-03-31\n'
            '[[event]]\ntype = ["purchase"]\nsubscription = "S"\non = 2024-01-01\n',
            "event[0].type",
        ),
    ],
)
def test_a_name_that_is_a_list_or_table_is_a_scenario_error(
    tmp_path: Path, text: str, field: str
) -> None:
    """A rulebook or event type given as a list or table is refused at its key, not a crash."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(lb.ScenarioError) as caught:
        lb.io.scenarios.load_charges(path)
    assert caught.value.field == field
