"""``licbill`` / ``python -m licbill``: the command line (docs/scenarios.md).

- ``licbill demo``: the seed scenarios, a seat-change month and a workspace month as tables;
- ``licbill charges FILE.toml``: the charge lines of a scenario file, as a table, the recon CSV
  (``--format csv``), JSON (``--format json``) or JSON Lines (``--format jsonl``);
- ``licbill invoice FILE.toml --month 2024-05``: invoices of the workspaces in a file, as
  tables with the licensing report, the recon CSV of their charge lines, JSON or JSON Lines,
  and optionally a users CSV per workspace;
- ``licbill audit FILE.csv``: the findings of a received reconciliation file (exit status 1
  when there are any); ``licbill reconcile EVENTS.toml FILE.csv``: its differences from the
  lines licbill makes from the events (exit status 1 when there are any);
- ``licbill --version``.

``-`` as the file reads the scenario from standard input. Output is produced whole before it is
written, and every file of a run is first written to a temporary file beside its destination
and renamed only when all are written, so a failing run writes nothing. The one exception is
``--format jsonl`` on standard output: records are written as they are billed (constant
memory for large runs), so a run that fails part-way has written the whole records before the
failure, and exits 1. Errors name the file, line and field and exit with status 1 (usage
errors: 2). Each subcommand is one entry of :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from .. import audit
from ..charges import ChargeLines
from ..errors import InvalidTypeError, InvalidValueError, LicbillError
from ..invoice import Invoice, monthly_invoice
from ..legacy import ModuleTrial
from ..lines import ChargeLine
from ..periods import Month
from . import recon
from .demo import run_demo
from .display import line_record
from .reports import WorkspaceUsers, licensing_report, write_users_csv
from .scenarios import RULEBOOKS, WorkspaceScenario, load_charges, load_workspaces
from .tables import render

__all__ = ["COMMANDS", "Command", "Outcome", "main", "users_csv_name", "version", "write_all"]

#: On a terminal, a progress count is shown every this many lines.
PROGRESS_EVERY = 100_000

#: The output formats of ``charges`` and ``invoice``.
FORMATS = ("table", "csv", "json", "jsonl")

#: What a command produces: the whole text, or (``jsonl``) chunks written as they come.
Output = str | Iterator[str]


class Outcome(NamedTuple):
    """A command's text with its own exit status (``audit``: 1 when it found something)."""

    text: str
    status: int


class Command(NamedTuple):
    """A subcommand: its help, a function adding its arguments to its parser, and a function
    running it on the parsed arguments. ``run`` returns the standard output (or ``--output``)
    text and puts any other files it writes into the dict it is given, by path."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, dict[Path, str]], Output | Outcome]


def version() -> str:
    """The installed licbill version (``0.1.0``), or ``unknown`` when not installed."""
    try:
        return metadata.version("licbill")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="licbill", description="Billing rules for licence-based subscriptions."
    )
    parser.add_argument("--version", action="version", version=f"licbill {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.arguments(commands.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    output = getattr(args, "output", None)
    try:
        files: dict[Path, str] = {}
        if output is not None and output.is_dir():
            raise InvalidValueError(f"--output {str(output)!r} is a directory")
        result = COMMANDS[args.command].run(args, files)
        status = 0
        if isinstance(result, Outcome):
            result, status = result
        if output is not None:
            write_all({**files, output: result})
        else:
            write_all(files)
            _write(sys.stdout, result)
        return status
    except LicbillError as error:
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()  # the records before the failure are whole
        print(f"licbill: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head); nothing left to say
    return 0


def _audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--rulebook", choices=sorted(RULEBOOKS), help="the rulebook it follows")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", type=Path)
    parser.add_argument("file", type=Path)


def _audit(args: argparse.Namespace, _files: dict[Path, str]) -> Outcome:
    text, found = _audit_text(args)
    return Outcome(text, 1 if found else 0)


def _reconcile(args: argparse.Namespace, _files: dict[Path, str]) -> Outcome:
    text, found = _reconcile_text(args)
    return Outcome(text, 1 if found else 0)


def _audit_text(args: argparse.Namespace) -> tuple[str, bool]:
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


def _reconcile_text(args: argparse.Namespace) -> tuple[str, bool]:
    scenario = load_charges(args.events)
    expected = ChargeLines(scenario.iter_charge_lines())
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


def _locale(text: str) -> str:
    from .display import locale_of

    try:
        locale_of(text)
    except LicbillError as error:
        raise argparse.ArgumentTypeError(f"{error} (write it as nl-NL or nl_NL)") from None
    return text


def _source(name: str) -> Any:
    """The scenario to read: a path, or standard input (its bytes, read as UTF-8) for ``-``."""
    return getattr(sys.stdin, "buffer", sys.stdin) if name == "-" else Path(name)


def _common(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("file", help=f"{what} file (TOML); - reads standard input")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--locale", type=_locale, help="localise tables: nl-NL (or nl_NL)")
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    parser.add_argument(
        "--partner-id", default="", help="the PartnerId column of --format csv (the recon file)"
    )


def _partner_id(args: argparse.Namespace) -> str:
    """The ``--partner-id`` given, refused outside the recon CSV it fills."""
    if args.partner_id and args.format != "csv":
        raise InvalidValueError(
            f"--partner-id {args.partner_id!r} fills the PartnerId column of --format csv, "
            f"not of --format {args.format}"
        )
    return str(args.partner_id)


def _demo_arguments(_parser: argparse.ArgumentParser) -> None:
    return None


def _demo(_args: argparse.Namespace, _files: dict[Path, str]) -> str:
    buffer = io.StringIO()
    run_demo(buffer)
    return buffer.getvalue()


def _charges_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser, "a charges")
    parser.add_argument("--through", type=_date, help="bill through this date (YYYY-MM-DD)")


def _charges(args: argparse.Namespace, _files: dict[Path, str]) -> Output:
    partner_id = _partner_id(args)
    scenario = load_charges(_source(args.file))
    produced = _with_progress(scenario.iter_charge_lines(through=args.through))
    if args.format == "jsonl":
        return (_json_line(line_record(line)) for line in produced)
    lines = ChargeLines(produced)
    if args.format == "csv":
        out = io.StringIO(newline="")
        recon.write_csv(lines, out, partner_id=partner_id)
        return out.getvalue()
    if args.format == "json":
        return json.dumps(lines.to_records(), default=_plain, indent=2) + "\n"
    return lines.to_table(locale=args.locale) + "\n"


def _invoice_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser, "a workspaces")
    parser.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    parser.add_argument("--api-version", choices=("3.5", "4.0"), default="4.0")
    parser.add_argument(
        "--trial-ends",
        type=_date,
        help="last free day of legacy workspaces' module trial (YYYY-MM-DD); "
        "overrides the file's trial_ends_on",
    )
    parser.add_argument("--users-csv", type=Path, help="write <workspace>-users.csv files here")


def _invoice(args: argparse.Namespace, files: dict[Path, str]) -> str:
    """The invoices in the chosen format; the users CSVs go into *files*, by path."""
    partner_id = _partner_id(args)
    scenario = load_workspaces(_source(args.file))
    invoices: list[Invoice] = []
    lines: list[ChargeLine] = []
    taken: dict[str, str] = {}
    for entry in scenario.workspaces:
        try:
            invoices.append(_workspace_invoice(args, scenario, entry))
            if args.format == "csv":  # made now, so that a refusal names the workspace
                lines.extend(invoices[-1].charge_lines())
        except LicbillError as error:
            raise scenario.locate(error, workspace=entry.workspace.id) from None
        if args.users_csv is not None:
            _add_users_csv(args, scenario, entry, taken=taken, files=files)
    if args.format == "csv":
        return _invoices_csv(invoices, lines, partner_id=partner_id)
    return _invoices_text(args, scenario, invoices)


def _workspace_invoice(
    args: argparse.Namespace, scenario: WorkspaceScenario, entry: WorkspaceUsers
) -> Invoice:
    """The invoice of one workspace of the file for ``--month``; ``--trial-ends`` overrides
    the file's module trial."""
    return monthly_invoice(
        entry.workspace,
        users=entry.users,
        groups=entry.groups,
        month=args.month,
        prices=scenario.prices,
        counting=scenario.counting,
        history=scenario.history[entry.workspace.id],
        rounding=scenario.rounding,
        trial=(
            ModuleTrial(ends_on=args.trial_ends)
            if args.trial_ends is not None
            else scenario.trials.get(entry.workspace.id)
        ),
    )


def _add_users_csv(
    args: argparse.Namespace,
    scenario: WorkspaceScenario,
    entry: WorkspaceUsers,
    *,
    taken: dict[str, str],
    files: dict[Path, str],
) -> None:
    """Put *entry*'s users CSV into *files*, refusing a file name another workspace has
    *taken* (names casefolded, for case-insensitive file systems)."""
    try:
        name = users_csv_name(entry.workspace.id)
        if name.casefold() in taken:
            raise InvalidValueError(
                f"workspaces {taken[name.casefold()]!r} and {entry.workspace.id!r} "
                "would write the same users CSV on a case-insensitive file system"
            )
    except LicbillError as error:
        raise scenario.locate(error, workspace=entry.workspace.id) from None
    taken[name.casefold()] = entry.workspace.id
    out = io.StringIO(newline="")
    write_users_csv(entry.users, out, groups=entry.groups, month=args.month, history=entry.history)
    files[args.users_csv / name] = out.getvalue()


def _invoices_text(
    args: argparse.Namespace, scenario: WorkspaceScenario, invoices: Sequence[Invoice]
) -> str:
    """The invoices as JSON, JSON Lines, or tables followed by the licensing report."""
    records = [record for invoice in invoices for record in invoice.to_records()]
    if args.format == "json":
        return json.dumps(records, default=_plain, indent=2) + "\n"
    if args.format == "jsonl":
        return "".join(_json_line(record) for record in records)
    parts = [invoice.to_table(locale=args.locale) for invoice in invoices]
    report = licensing_report(scenario.workspaces, version=args.api_version, month=args.month)
    parts.append(f"Licensing report {report.version}\n\n" + render(report.columns, report.rows))
    return "\n\n".join(parts) + "\n"


def _invoices_csv(
    invoices: Sequence[Invoice], lines: Sequence[ChargeLine], *, partner_id: str
) -> str:
    """The recon CSV of the invoices' charge *lines*; each workspace is its own customer (the
    lines' customer id), named by its company (docs/workspace.md, "The invoice as charge
    lines")."""
    customers = {
        invoice.workspace_id: recon.Customer(
            id=invoice.workspace_id, name=invoice.billing.company_name
        )
        for invoice in invoices
    }
    out = io.StringIO(newline="")
    recon.write_csv(lines, out, partner_id=partner_id, customers=customers)
    return out.getvalue()


#: The subcommands, by name: add an entry to add one.
COMMANDS: dict[str, Command] = {
    "demo": Command("print the seed scenarios and sample months as tables", _demo_arguments, _demo),
    "charges": Command("charge lines of a scenario file", _charges_arguments, _charges),
    "invoice": Command(
        "invoices and licensing report of a workspaces file", _invoice_arguments, _invoice
    ),
    "audit": Command("check a received reconciliation file", _audit_arguments, _audit),
    "reconcile": Command(
        "compare a received reconciliation file with a scenario's lines",
        _reconcile_arguments,
        _reconcile,
    ),
}


def users_csv_name(workspace_id: str) -> str:
    """The file name of a workspace's users CSV, ``<id>-users.csv``.

    Raises :class:`InvalidValueError` for an id that would not stay one plain file name inside
    the ``--users-csv`` folder: path separators, ``..``, a leading dot, control characters.
    """
    if not isinstance(workspace_id, str):
        raise InvalidTypeError(f"a workspace id is text, not {workspace_id!r}")
    unsafe = (
        not workspace_id
        or workspace_id.startswith(".")
        or any(c in "/\\:" or not c.isprintable() for c in workspace_id)
    )
    if unsafe:
        raise InvalidValueError(
            f"workspace id {workspace_id!r} cannot name a users CSV file: it must not contain "
            "'/', '\\', ':' or control characters, nor start with '.'"
        )
    return f"{workspace_id}-users.csv"


def _plain(value: Any) -> str:
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"not serialisable: {value!r}")


def _json_line(record: Mapping[str, Any]) -> str:
    """One JSON Lines record: compact JSON on one line (amounts as strings, dates ISO)."""
    return json.dumps(record, default=_plain, ensure_ascii=False, separators=(",", ":")) + "\n"


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


def _write(stream: TextIO, output: Output) -> None:
    for chunk in [output] if isinstance(output, str) else output:
        stream.write(chunk)
    stream.flush()


def write_all(files: Mapping[Path, str | Iterable[str]]) -> None:
    """Write every file of *files* (path to text, UTF-8), or none of them.

    A text may also be an iterable of chunks (JSON Lines records), written as they come. Each
    text is written to a new temporary file beside its destination; only when all are
    written are they renamed over their destinations. On any failure, including an error
    raised while producing the chunks, the temporary files, and the folders made for them, are
    removed, and the error is raised (a file that cannot be written: :class:`InvalidValueError`
    naming the path). New files get the usual permissions (``0o666`` less the umask), as a
    shell redirect would.
    """
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    try:
        for path, text in files.items():
            if path.is_dir():
                raise InvalidValueError(f"{str(path)!r} is a directory, not a file")
            made += _make_folders(path.parent)
            temporary, handle = _create_beside(path)
            staged.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
                for chunk in [text] if isinstance(text, str) else text:
                    file.write(chunk)
        for temporary, path in staged:
            os.replace(temporary, path)
    except (OSError, UnicodeError) as error:
        _clean(staged, made)
        where = getattr(error, "filename", None) or "an output file"
        reason = getattr(error, "strerror", None) or str(error)
        raise InvalidValueError(f"cannot write {str(where)!r}: {reason}") from None
    except BaseException:
        _clean(staged, made)
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Make *folder* and its missing parents; return those made, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    for path in missing:
        path.mkdir()
    return missing


def _create_beside(path: Path) -> tuple[Path, int]:
    """Create a new, empty temporary file in *path*'s folder; return it and its descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:  # pragma: no cover - a 48-bit random name already taken
            continue


def _clean(staged: list[tuple[Path, Path]], made: list[Path]) -> None:
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)
    for folder in reversed(made):
        with contextlib.suppress(OSError):  # something else was put there meanwhile
            folder.rmdir()


if __name__ == "__main__":
    raise SystemExit(main())
