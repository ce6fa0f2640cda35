"""Scenario files and the ``charges`` and ``invoice`` commands."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

import licbill as lb
from licbill.__main__ import main
from licbill.scenarios import load_charges, load_workspaces

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
    ("text", "field"),
    [
        (GOOD_HEAD.replace('currency = "USD"', 'currency = "XYZ"'), "sku[0].unit_price"),
        (GOOD_HEAD.replace('term = "P1M"', 'term = "P2M"'), "sku[0].term"),
        (GOOD_HEAD + SKU_TAIL.replace('"b"', '"a"'), "sku[1].id"),
        (GOOD_HEAD.replace('billing = "monthly"', 'billing = "annual"'), "sku[0].id"),
        (GOOD_HEAD.replace('rulebook = "new-commerce"', 'rulebook = "2030"'), "rulebook"),
        (GOOD_HEAD.replace("through = 2024-03-31", ""), "through"),
        (GOOD_HEAD + 'rounding = "UP"\n', "sku[0].rounding"),
        ('rulebook = "new-commerce"\nthrough = 2024-03-31\nsku = 3\n', "sku"),
        (GOOD_HEAD + _event('type = "auto-renew"', 'subscription = "S"', "on = 2024-01-01",
                            'enabled = "no"'), "event[0].enabled"),
    ],
)  # fmt: skip
def test_charges_file_errors(tmp_path: Path, text: str, field: str) -> None:
    """Malformed SKUs, rulebooks and tables are reported with their field."""
    path = _write(tmp_path, text)
    with pytest.raises(lb.LicbillError, match=re.escape(field)):
        load_charges(path)


WS_HEAD = '[[price]]\nproduct = "Engage"\nkind = "regular"\namount = "4.00"\ncurrency = "EUR"\n'
WS = WS_HEAD + '\n[[workspace]]\nid = "w"\ncreated_on = 2024-02-01\n'


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (WS_HEAD.replace('"Engage"', '"Teams"'), "price[0].product"),
        (WS_HEAD + WS_HEAD.replace('"regular"', '"guest"').replace('"EUR"', '"USD"'), "price"),
        (WS_HEAD + WS_HEAD, "price[1].product"),
        (WS_HEAD + 'counting = "weekly"\n', "price[0].counting"),
        (WS.replace("2024-02-01", "2023-02-01"), "workspace[0].created_on"),
        (WS + 'colour = 1\n', "workspace[0].colour"),
        (WS + 'user = [{ id = "u", shoe = 1 }]\n',
         "workspace[0].user"),
        (WS + 'revision = [{ on = 2024-05-02 }]\n',
         "workspace[0].revision"),
        (WS + 'group = 3\n', "workspace[0].group"),
        ('counting = "weekly"\n' + WS_HEAD, "counting"),
    ],
)  # fmt: skip
def test_workspaces_file_errors(tmp_path: Path, text: str, field: str) -> None:
    """Malformed prices, workspaces, users and revisions are reported with their field."""
    path = _write(tmp_path, text)
    with pytest.raises(lb.LicbillError, match=re.escape(field)):
        load_workspaces(path)


def test_progress_shows_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run shows a line count on a terminal's standard error, and nothing when piped."""
    import licbill.__main__ as cli

    path = str(EXAMPLES / "seat-changes.toml")
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    assert main(["charges", path]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    assert main(["charges", path]) == 0
    assert "lines" in capsys.readouterr().err
