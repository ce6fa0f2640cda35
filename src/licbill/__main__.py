"""``licbill`` / ``python -m licbill``: the command line.

- ``licbill demo``: the seed scenarios, a seat-change month and a workspace month as tables;
- ``licbill charges FILE.toml``: the charge lines of a scenario file, as a table, the recon CSV
  (``--format csv``) or JSON (``--format json``);
- ``licbill invoice FILE.toml --month 2024-05``: invoices and the licensing report of the
  workspaces in a file, and optionally a users CSV per workspace.

Output is produced whole before it is written, and every file of a run is first written to a
temporary file beside its destination and renamed only when all are written, so a failing run
writes nothing. Errors name the file, line and field and exit with status 1 (usage errors: 2).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from . import recon
from .charges import ChargeLines
from .demo import run_demo
from .errors import InvalidTypeError, InvalidValueError, LicbillError
from .invoice import monthly_invoice
from .legacy import ModuleTrial
from .reports import licensing_report, write_users_csv
from .scenarios import load_charges, load_workspaces
from .seats import Month
from .tables import render

__all__ = ["main", "users_csv_name", "write_all"]

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
    invoice.add_argument(
        "--trial-ends",
        type=_date,
        help="last free day of legacy workspaces' module trial (YYYY-MM-DD); "
        "overrides the file's trial_ends_on",
    )
    invoice.add_argument("--users-csv", type=Path, help="write <workspace>-users.csv files here")
    invoice.add_argument("--locale", help="localise money, e.g. nl_NL")
    invoice.add_argument("--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    try:
        files: dict[Path, str] = {}
        if args.command == "demo":
            buffer = io.StringIO()
            run_demo(buffer)
            text = buffer.getvalue()
        else:
            if args.output is not None and args.output.is_dir():
                raise InvalidValueError(f"--output {str(args.output)!r} is a directory")
            text = _charges(args) if args.command == "charges" else _invoice(args, files)
        if getattr(args, "output", None) is not None:
            files[args.output] = text
        write_all(files)
        if args.command == "demo" or args.output is None:
            _write(sys.stdout, text)
    except LicbillError as error:
        print(f"licbill: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head); nothing left to say
    return 0


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
    lines = ChargeLines(_with_progress(scenario.iter_charge_lines(through=args.through)))
    if args.format == "csv":
        out = io.StringIO(newline="")
        recon.write_csv(lines, out)
        return out.getvalue()
    if args.format == "json":
        return json.dumps(lines.to_records(), default=_plain, indent=2) + "\n"
    return lines.to_table(locale=args.locale) + "\n"


def _invoice(args: argparse.Namespace, files: dict[Path, str]) -> str:
    """The invoices and report as text; the users CSVs go into *files*, by path."""
    scenario = load_workspaces(args.file)
    parts = []
    taken: dict[str, str] = {}
    for entry in scenario.workspaces:
        try:
            invoice = monthly_invoice(
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
        except LicbillError as error:
            raise scenario.locate(error, workspace=entry.workspace.id) from None
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
            write_users_csv(entry.users, out, groups=entry.groups)
            files[args.users_csv / name] = out.getvalue()
    report = licensing_report(scenario.workspaces, version=args.api_version)
    parts.append(f"Licensing report {report.version}\n\n" + render(report.columns, report.rows))
    return "\n\n".join(parts) + "\n"


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


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def write_all(files: Mapping[Path, str]) -> None:
    """Write every file of *files* (path to text, UTF-8), or none of them.

    Each text is written to a new temporary file beside its destination; only when all are
    written are they renamed over their destinations. On any failure the temporary files, and
    the folders made for them, are removed, and :class:`InvalidValueError` names the path.
    New files get the usual permissions (``0o666`` less the umask), as a shell redirect would.
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
                file.write(text)
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
