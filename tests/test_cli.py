"""The command line: ``licbill demo`` prints the seed tables; runs write all their files or none."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import licbill as lb
from licbill.io.cli import main, users_csv_name, write_all


def test_demo_prints_every_seed_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo prints the four seed scenarios and the seat-change month as tables."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for title in ("Seed 1.", "Seed 2.", "Seed 3.", "Seed 4.", "Seat changes"):
        assert title in out
    renew = "2019-07-10  S1            SaaS plan  2019-07-10  2019-08-09     2    1   2.00  Renew"
    assert renew in out
    assert "-10.00  CancelImmediate  Custom meter SaaS subscription" in out
    assert "-62.06  cancelImmediate" in out
    assert "DAILY_PRORATED  total                             12.23" in out
    assert "MONTH_END  Adapt    regular         2  5.00  10.00" in out


def test_unknown_command_exits_non_zero() -> None:
    """An unknown command is a usage error, exit status 2."""
    with pytest.raises(SystemExit) as caught:
        main(["nonsense"])
    assert caught.value.code == 2


def test_python_dash_m_runs_the_demo() -> None:
    """``python -m licbill demo`` works as a module entry point."""
    done = subprocess.run(
        [sys.executable, "-m", "licbill", "demo"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("Seed 1. Free trial converted to paid")


def test_every_public_name_has_a_docstring() -> None:
    """Every name licbill exports, and every public method of its classes, says what it does."""
    import inspect

    import licbill as lb

    missing = []
    for name in lb.__all__:
        value = getattr(lb, name)
        if inspect.ismodule(value) or inspect.isclass(value) or inspect.isfunction(value):
            if not inspect.getdoc(value):
                missing.append(name)
            if inspect.isclass(value):
                for attr, member in vars(value).items():
                    public = not attr.startswith("_")
                    if public and inspect.isfunction(member) and not inspect.getdoc(member):
                        missing.append(f"{name}.{attr}")
    assert missing == []


EXAMPLES = Path(__file__).parent.parent / "examples"
PRICE = '[[price]]\nproduct = "Engage"\nkind = "regular"\namount = "4.00"\ncurrency = "EUR"\n'


def _workspaces(tmp_path: Path, *ids: str, extra: str = "") -> Path:
    """A workspaces file with one Engage user in each workspace *ids*."""
    text = PRICE + "".join(
        f'\n[[workspace]]\nid = "{i}"\ncreated_on = 2024-02-01\n'
        f'user = [{{ id = "u", modules = ["Engage"] }}]\n'
        for i in ids
    )
    path = tmp_path / "ws.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_output_naming_a_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--output naming a directory: status 1, one error line, no file or temporary file left."""
    (tmp_path / "out").mkdir()
    code = main(["charges", str(EXAMPLES / "seat-changes.toml"), "--output", str(tmp_path / "out")])
    assert code == 1
    assert (
        capsys.readouterr().err
        == f"licbill: error: --output {str(tmp_path / 'out')!r} is a directory\n"
    )
    assert _tree(tmp_path) == ["out"]


def test_users_csvs_are_not_written_when_a_later_workspace_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run whose second workspace cannot be billed writes no users CSV, not even the first."""
    path = _workspaces(tmp_path, "a", "b")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[::-1].replace('"egagnE"', '"dirbyH"', 1)[::-1], encoding="utf-8")
    out = tmp_path / "users" / "csv"
    assert main(["invoice", str(path), "--month", "2024-05", "--users-csv", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"licbill: error: {path}:12: workspace[1]: ")
    assert "Hybrid" in err
    assert not (tmp_path / "users").exists()


def test_a_failing_write_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    """write_all writes every file or none: a destination it cannot create undoes the others."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    files = {tmp_path / "new" / "a.txt": "a", blocker / "b.txt": "b"}
    with pytest.raises(lb.InvalidValueError) as caught:
        write_all(files)
    assert "blocker" in str(caught.value)
    assert _tree(tmp_path) == ["blocker"]


def test_text_that_cannot_be_encoded_writes_nothing(tmp_path: Path) -> None:
    """A text that is not valid Unicode (a lone surrogate) is refused and leaves no temporary."""
    with pytest.raises(lb.InvalidValueError):
        write_all({tmp_path / "a.txt": "ok", tmp_path / "b.txt": "\ud800"})
    assert _tree(tmp_path) == []


@pytest.mark.parametrize(
    "workspace_id", ["../../escaped", "a/b", "..", ".hidden", "a\\b", "c:x", "tab\there", ""]
)
def test_workspace_ids_that_are_not_one_file_name_are_refused(workspace_id: str) -> None:
    """An id that would leave the --users-csv folder, or hide a file, cannot name a users CSV."""
    with pytest.raises(lb.InvalidValueError):
        users_csv_name(workspace_id)


def test_a_path_traversal_id_writes_nothing_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Workspace ``../../escaped`` is refused at its line; nothing is written inside or outside."""
    path = _workspaces(tmp_path, "ok", "../../escaped")
    out = tmp_path / "a" / "b" / "users"
    assert main(["invoice", str(path), "--month", "2024-05", "--users-csv", str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"licbill: error: {path}:12: workspace[1]: ")
    assert _tree(tmp_path) == ["ws.toml"]


def test_ids_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    """Two workspaces whose users CSVs would be one file on a case-insensitive disk are refused."""
    path = _workspaces(tmp_path, "Acme", "acme")
    assert main(["invoice", str(path), "--month", "2024-05", "--users-csv", str(tmp_path)]) == 1
    assert _tree(tmp_path) == ["ws.toml"]


def test_output_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Written files have mode 0o666 less the umask (here 0o640), not mkstemp's 0o600."""
    path = _workspaces(tmp_path, "w")
    old = os.umask(0o027)
    try:
        code = main(["invoice", str(path), "--month", "2024-05", "--users-csv", str(tmp_path / "u"),
                     "--output", str(tmp_path / "report.txt")])  # fmt: skip
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "u" / "w-users.csv").stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "u").iterdir()) == ["w-users.csv"]


def test_a_date_out_of_range_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--through 9999-12-31 prints one licbill error line and exits 1, no traceback."""
    code = main(["charges", str(EXAMPLES / "seat-changes.toml"), "--through", "9999-12-31"])
    assert code == 1
    assert capsys.readouterr().err.startswith("licbill: error: ")


# Command line for pipelines --------------------------------------------------------------------

SEATS = EXAMPLES / "seat-changes.toml"
WORKSPACES = EXAMPLES / "workspaces.toml"


def _records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``licbill --version`` prints ``licbill <version>`` and exits 0."""
    from importlib import metadata

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"licbill {metadata.version('licbill')}\n"


def test_charges_jsonl_gives_one_record_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    """``--format jsonl`` writes one compact JSON record per line, the records of json."""
    assert main(["charges", str(SEATS), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out
    assert main(["charges", str(SEATS), "--format", "json"]) == 0
    assert _records(lines) == json.loads(capsys.readouterr().out)
    assert all(line.startswith('{"subscription_id":') for line in lines.splitlines())


def test_jsonl_on_stdout_streams_lines_before_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A jsonl run failing part-way has written whole records for the lines before, status 1."""
    path = tmp_path / "late-error.toml"
    text = SEATS.read_text(encoding="utf-8")
    path.write_text(
        text + '\n[[event]]\ntype = "cancel"\nsubscription = "nobody"\non = 2024-03-01\n',
        encoding="utf-8",
    )
    assert main(["charges", str(path), "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    assert _records(out)  # every line written is a whole record
    assert all(r["order_date"] < "2024-03-01" for r in _records(out))
    assert err.startswith(f"licbill: error: {path}:")


def test_jsonl_to_an_output_file_is_all_or_nothing(tmp_path: Path) -> None:
    """With --output, a jsonl run that fails writes no file and leaves no temporary file."""
    path = tmp_path / "late-error.toml"
    path.write_text(
        SEATS.read_text(encoding="utf-8")
        + '\n[[event]]\ntype = "cancel"\nsubscription = "nobody"\non = 2024-03-01\n',
        encoding="utf-8",
    )
    out = tmp_path / "out" / "lines.jsonl"
    assert main(["charges", str(path), "--format", "jsonl", "--output", str(out)]) == 1
    assert _tree(tmp_path) == ["late-error.toml"]
    assert main(["charges", str(SEATS), "--format", "jsonl", "--output", str(out)]) == 0
    expected = list(lb.io.scenarios.load_charges(SEATS).iter_charge_lines())
    assert len(_records(out.read_text(encoding="utf-8"))) == len(expected)


def test_a_dash_reads_the_scenario_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``licbill charges -`` reads the file from standard input, as UTF-8 bytes."""
    assert main(["charges", str(SEATS), "--format", "csv"]) == 0
    expected = capsys.readouterr().out
    stdin = io.TextIOWrapper(io.BytesIO(SEATS.read_bytes()), encoding="latin-1")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["charges", "-", "--format", "csv"]) == 0
    assert capsys.readouterr().out == expected


def test_errors_in_stdin_name_stdin_and_the_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed scenario on standard input is reported at ``<stdin>:line: field``."""
    text = 'rulebook = "new-commerce"\nthrough = "2024-01-31"\n'
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(["charges", "-"]) == 1
    assert capsys.readouterr().err.startswith("licbill: error: <stdin>:2: through: ")


def test_invoice_reads_stdin_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``licbill invoice -`` bills the workspaces file given on standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(WORKSPACES.read_text(encoding="utf-8")))
    assert main(["invoice", "-", "--month", "2024-05", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["workspace_id"] for r in records} == {"ws-contoso", "ws-fabrikam"}


def test_invoice_csv_is_the_recon_file_of_its_charge_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``invoice --format csv`` is a recon CSV: a row per line, subtotals adding up per invoice,
    the workspace as customer named by its company."""
    assert main(["invoice", str(WORKSPACES), "--month", "2024-05", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert list(rows[0]) == list(lb.recon.COLUMNS)
    by_workspace: dict[str, Decimal] = {}
    for row in rows:
        by_workspace[row["SubscriptionId"]] = by_workspace.get(
            row["SubscriptionId"], Decimal(0)
        ) + Decimal(row["Subtotal"])
    assert by_workspace == {"ws-contoso": Decimal("12.23"), "ws-fabrikam": Decimal("7.00")}
    assert {(r["CustomerId"], r["CustomerName"]) for r in rows} == {
        ("ws-contoso", "Contoso"), ("ws-fabrikam", "Fabrikam"),
    }  # fmt: skip
    assert {r["ChargeType"] for r in rows} == {"cycleCharge"}


def test_invoice_json_and_jsonl_hold_the_invoice_records(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``invoice --format json`` is a list of invoice-line records; jsonl the same, a line each."""
    assert main(["invoice", str(WORKSPACES), "--month", "2024-05", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert main(["invoice", str(WORKSPACES), "--month", "2024-05", "--format", "jsonl"]) == 0
    assert _records(capsys.readouterr().out) == records
    assert [r["total"] for r in records if r["workspace_id"] == "ws-contoso"] == [
        "3.87", "1.94", "1.00", "5.42",
    ]  # fmt: skip


def test_bcp47_locales_localise_tables(capsys: pytest.CaptureFixture[str]) -> None:
    """``--locale nl-NL`` gives the same table as ``nl_NL``, with Dutch dates and money."""
    assert main(["charges", str(SEATS), "--locale", "nl-NL"]) == 0
    tagged = capsys.readouterr().out
    assert main(["charges", str(SEATS), "--locale", "nl_NL"]) == 0
    assert capsys.readouterr().out == tagged
    assert "31-01-2024" in tagged
    assert "US$\xa0360,00" in tagged


def test_dates_in_tables_have_four_digit_years(capsys: pytest.CaptureFixture[str]) -> None:
    """``--locale en-US`` writes 1/31/2024, not babel's short 1/31/24."""
    assert main(["charges", str(SEATS), "--locale", "en-US"]) == 0
    out = capsys.readouterr().out
    assert "1/31/2024" in out
    assert "1/31/24 " not in out


def test_an_unknown_locale_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """``--locale xx-YY`` exits 2 before reading anything, naming the locale."""
    with pytest.raises(SystemExit) as caught:
        main(["invoice", str(WORKSPACES), "--month", "2024-05", "--locale", "xx-YY"])
    assert caught.value.code == 2
    assert "unknown locale 'xx-YY'" in capsys.readouterr().err


def test_tables_show_the_subscription_and_right_align_amounts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A charges table has a subscription column; localised totals end in one column."""
    assert main(["charges", str(SEATS), "--locale", "de-DE"]) == 0
    header, _, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["order", "subscription", "SKU"]
    start = header.index("subscription")
    assert {row[start:].split()[0] for row in rows} == {"C-100", "C-200"}
    total_end = header.index("total") + len("total")
    assert all(row[total_end - 1] == "$" for row in rows)


def test_invoice_tables_right_align_localised_money(capsys: pytest.CaptureFixture[str]) -> None:
    """The invoice table in nl-NL right-aligns its euro amounts under their headers."""
    assert main(["invoice", str(WORKSPACES), "--month", "2024-05", "--locale", "nl-NL"]) == 0
    text = capsys.readouterr().out
    block = text.split("\n\n")[1].splitlines()
    end = len(block[0])
    assert block[0].endswith("total")
    assert all(len(line) == end for line in block[2:])


def test_commands_are_one_entry_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every subcommand is one COMMANDS entry: a new entry runs without touching main()."""
    from licbill.io.cli import COMMANDS, Command, Outcome

    assert {"demo", "charges", "invoice", "audit", "reconcile"} <= set(COMMANDS)

    def arguments(parser: object) -> None:
        parser.add_argument("word")  # type: ignore[attr-defined]

    def run(args: object, _files: object) -> Outcome:
        return Outcome(f"said {args.word}\n", 3)  # type: ignore[attr-defined]

    monkeypatch.setitem(COMMANDS, "say", Command("say a word", arguments, run))
    assert main(["say", "hello"]) == 3
    assert capsys.readouterr().out == "said hello\n"


def test_partner_id_fills_the_partner_column_of_the_charges_csv(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``charges --format csv --partner-id P-7`` writes P-7 in every row's PartnerId."""
    assert main(["charges", str(SEATS), "--format", "csv", "--partner-id", "P-7"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert len(rows) > 1
    assert {r["PartnerId"] for r in rows} == {"P-7"}


def test_partner_id_fills_the_partner_column_of_the_invoice_csv(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``invoice --format csv --partner-id P-7`` writes P-7 in every row's PartnerId."""
    args = ["invoice", str(WORKSPACES), "--month", "2024-05", "--format", "csv"]
    assert main([*args, "--partner-id", "P-7"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert len(rows) > 1
    assert {r["PartnerId"] for r in rows} == {"P-7"}


def test_partner_id_outside_the_csv_format_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--partner-id`` with a table is an error naming the option, not silently dropped."""
    assert main(["charges", str(SEATS), "--partner-id", "P-7"]) == 1
    assert "--partner-id 'P-7' fills the PartnerId column of --format csv" in (
        capsys.readouterr().err
    )


def test_a_scenario_customer_is_the_csv_customer_of_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A purchase's ``customer_id`` in a scenario file is the CustomerId of its subscription's
    rows, and of the rows of the subscription a partial upgrade made from it."""
    text = (EXAMPLES / "partial-upgrade.toml").read_text(encoding="utf-8")
    path = tmp_path / "customer.toml"
    path.write_text(
        text.replace("quantity = 300\n", 'quantity = 300\ncustomer_id = "C-9"\n', 1),
        encoding="utf-8",
    )
    assert main(["charges", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert {(r["SubscriptionId"], r["CustomerId"]) for r in rows} == {("S", "C-9"), ("S2", "C-9")}


def test_invoice_reports_describe_the_users_at_the_months_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--month sets the users CSV and the licensing report to the month's last day, as the
    invoice counts: May's revisions (eve gets Unify, ann leaves, the sales group loses Hybrid)
    are in both."""
    example = Path(__file__).parent.parent / "examples" / "workspaces.toml"
    assert main(["invoice", str(example), "--month", "2024-05", "--users-csv", str(tmp_path)]) == 0
    with (tmp_path / "ws-contoso-users.csv").open(newline="") as file:
        rows = {row["Username"]: row for row in csv.DictReader(file)}
    assert (rows["eve"]["Modules"], rows["ann"]["Status"], rows["bob"]["Modules"]) == (
        "Unify",
        "inactive",
        "",
    )
    report = capsys.readouterr().out.split("Licensing report 4.0")[1]
    contoso = next(line.split() for line in report.splitlines() if line.startswith("ws-contoso"))
    # HybridRegular, HybridGuest, EngageRegular, EngageGuest, UnifyRegular, UnifyGuest
    assert contoso[-6:] == ["0", "0", "0", "1", "1", "0"]
