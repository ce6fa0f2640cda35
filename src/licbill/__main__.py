"""``licbill`` / ``python -m licbill``: the command line.

- ``licbill demo``: the seed scenarios, a seat-change month and a workspace month as tables;
- ``licbill charges FILE.toml``: the charge lines of a scenario file, as a table, the recon CSV
  (``--format csv``) or JSON (``--format json``);
- ``licbill invoice FILE.toml --month 2024-05``: invoices and the licensing report of the
  workspaces in a file, and optionally a users CSV per workspace;
- ``licbill audit FILE.csv``: the findings of a received reconciliation file (exit status 1
  when there are any); ``licbill reconcile EVENTS.toml FILE.csv``: its differences from the
  lines licbill makes from the events (exit status 1 when there are any).

Output is produced whole before it is written, so a failing run writes nothing; errors name
the file, line and field and exit with status 1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from . import audit, recon
from .charges import ChargeLines, iter_charge_lines
from .demo import run_demo
from .errors import LicbillError
from .invoice import monthly_invoice
from .reports import licensing_report, write_users_csv
from .scenarios import RULEBOOKS, load_charges, load_workspaces
from .seats import Month
from .tables import render

__all__ = ["main"]

#: On a terminal, a progress count is shown every this many lines.
PROGRESS_EVERY = 100_000


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="licbill", description="Billing rules for licence-based subscriptions."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="print the seed scenarios and sample months as tables")
    charges = commands.add_parser("charges", help="charge lines of a scenario file")
    charges.add_argument("file", type=Path)
    charges.add_argument("--format", choices=("table", "csv", "json"), default="table")
    charges.add_argument("--through", type=_date, help="bill through this date (YYYY-MM-DD)")
    charges.add_argument("--locale", help="localise the table, e.g. nl_NL")
    charges.add_argument("--output", type=Path, help="write here instead of standard output")
    invoice = commands.add_parser(
        "invoice", help="invoices and licensing report of a workspaces file"
    )
    invoice.add_argument("file", type=Path)
    invoice.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    invoice.add_argument("--api-version", choices=("3.5", "4.0"), default="4.0")
    invoice.add_argument("--users-csv", type=Path, help="write <workspace>-users.csv files here")
    invoice.add_argument("--locale", help="localise money, e.g. nl_NL")
    invoice.add_argument("--output", type=Path, help="write here instead of standard output")
    _add_audit_commands(commands)
    args = parser.parse_args(argv)
    try:
        if args.command in ("audit", "reconcile"):
            text, found = _audit(args) if args.command == "audit" else _reconcile(args)
            _emit(text, None)
            return 1 if found else 0
        if args.command == "demo":
            buffer = io.StringIO()
            run_demo(buffer)
            _emit(buffer.getvalue(), None)
        elif args.command == "charges":
            _emit(_charges(args), args.output)
        else:
            _emit(_invoice(args), args.output)
    except LicbillError as error:
        print(f"licbill: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head); nothing left to say
    return 0


def _add_audit_commands(commands: Any) -> None:
    audit = commands.add_parser("audit", help="check a received reconciliation file")
    audit.add_argument("file", type=Path)
    audit.add_argument("--rulebook", choices=sorted(RULEBOOKS), help="the rulebook it follows")
    audit.add_argument("--format", choices=("table", "csv", "json"), default="table")
    reconcile = commands.add_parser(
        "reconcile", help="compare a received reconciliation file with a scenario's lines"
    )
    reconcile.add_argument("events", type=Path)
    reconcile.add_argument("file", type=Path)


def _audit(args: argparse.Namespace) -> tuple[str, bool]:
    rulebook = RULEBOOKS[args.rulebook] if args.rulebook else None
    findings = audit.check(audit.read_recon(args.file), rulebook=rulebook)
    records = [finding.to_record() for finding in findings]
    if args.format == "json":
        return json.dumps(records, indent=2) + "\n", bool(findings)
    if args.format == "csv":
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=audit.FINDING_COLUMNS)
        writer.writeheader()
        writer.writerows(
            {key: recon.neutralise(str(value)) for key, value in record.items()}
            for record in records
        )
        return out.getvalue(), bool(findings)
    if not findings:
        return f"{args.file}: clean\n", False
    rows = [tuple(str(record[key]) for key in audit.FINDING_COLUMNS) for record in records]
    return render(audit.FINDING_COLUMNS, rows) + "\n", True


def _reconcile(args: argparse.Namespace) -> tuple[str, bool]:
    scenario = load_charges(args.events)
    expected = ChargeLines(
        iter_charge_lines(
            sorted(scenario.events, key=lambda e: e.on),
            through=scenario.through,
            rulebook=scenario.rulebook,
        )
    )
    differences = audit.reconcile(expected, audit.read_recon(args.file))
    if not differences:
        return f"{args.file}: agrees with {args.events}\n", False
    return "".join(f"{difference}\n" for difference in differences), True


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _month(text: str) -> Month:
    try:
        year, month = (int(part) for part in text.split("-"))
        return Month(year, month)
    except (ValueError, LicbillError):
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}") from None


def _charges(args: argparse.Namespace) -> str:
    scenario = load_charges(args.file)
    through = args.through or scenario.through
    ordered = sorted(scenario.events, key=lambda e: e.on)
    lines = ChargeLines(
        _with_progress(iter_charge_lines(ordered, through=through, rulebook=scenario.rulebook))
    )
    if args.format == "csv":
        out = io.StringIO(newline="")
        recon.write_csv(lines, out)
        return out.getvalue()
    if args.format == "json":
        return json.dumps(lines.to_records(), default=_plain, indent=2) + "\n"
    return lines.to_table(locale=args.locale) + "\n"


def _invoice(args: argparse.Namespace) -> str:
    scenario = load_workspaces(args.file)
    parts = []
    users_files: dict[Path, str] = {}
    for entry in scenario.workspaces:
        invoice = monthly_invoice(
            entry.workspace,
            users=entry.users,
            groups=entry.groups,
            month=args.month,
            prices=scenario.prices,
            counting=scenario.counting,
            history=scenario.history[entry.workspace.id],
            rounding=scenario.rounding,
        )
        locale = args.locale
        rows = [
            (line.product.value, line.user_kind.value, str(line.quantity),
             _money(line.unit_price, locale), _money(line.total, locale))
            for line in invoice.lines
        ]  # fmt: skip
        rows.append(("total", "", "", "", _money(invoice.total, args.locale)))
        company = entry.workspace.billing.company_name or "-"
        title = (
            f"{entry.workspace.id} ({company}), {args.month}, {invoice.model.value} model, "
            f"{invoice.counting.value} counting"
        )
        parts.append(
            title + "\n\n" + render(("product", "users", "quantity", "unit", "total"), rows)
        )
        if args.users_csv is not None:
            out = io.StringIO(newline="")
            write_users_csv(entry.users, out, groups=entry.groups)
            users_files[args.users_csv / f"{entry.workspace.id}-users.csv"] = out.getvalue()
    report = licensing_report(scenario.workspaces, version=args.api_version)
    parts.append(f"Licensing report {report.version}\n\n" + render(report.columns, report.rows))
    for path, text in users_files.items():
        _write_atomically(path, text)
    return "\n\n".join(parts) + "\n"


def _money(value: Any, locale: str | None) -> str:
    from .display import format_money

    return str(value.amount) if locale is None else format_money(value, locale=locale)


def _plain(value: Any) -> str:
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"not serialisable: {value!r}")


def _with_progress(lines: Any) -> Any:
    # Progress goes to a terminal only; piped or redirected runs stay quiet.
    if not sys.stderr.isatty():
        yield from lines
        return
    count = 0
    for line in lines:
        count += 1
        if count % PROGRESS_EVERY == 0:
            print(f"\r{count:,} lines", end="", file=sys.stderr, flush=True)
        yield line
    if count >= PROGRESS_EVERY:
        print(f"\r{count:,} lines", file=sys.stderr)


def _emit(text: str, path: Path | None) -> None:
    if path is None:
        _write(sys.stdout, text)
    else:
        _write_atomically(path, text)


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
        file.write(text)
    os.replace(temporary, path)


if __name__ == "__main__":
    raise SystemExit(main())
