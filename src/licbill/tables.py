"""Plain-text tables of charge lines, for terminals and the demo (an edge: values stay pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .display import charge_type_label, check_line, format_date, format_money
from .errors import InvalidTypeError, InvalidValueError
from .lines import ChargeLine

__all__ = ["LINE_COLUMNS", "LINE_NUMERIC", "line_cells", "render"]

#: The columns of a charge-line table: the seed tables' columns plus the SKU.
LINE_COLUMNS = ("order", "SKU", "start", "end", "unit", "qty", "total", "type", "description")


def line_cells(line: ChargeLine, *, locale: str | None = None) -> tuple[str, ...]:
    """Return the cells of *line* under :data:`LINE_COLUMNS`; localised when *locale* is given.

    Raises :class:`InvalidTypeError` for a malformed line (see :func:`check_line`).
    """
    check_line(line)
    if locale is None:
        dates = (line.order_date.isoformat(), line.charge_start.isoformat())
        end = line.charge_end.isoformat()
        unit, total = str(line.unit_price.amount), str(line.total.amount)
        kind = str(line.charge_type)
    else:
        dates = (
            format_date(line.order_date, locale=locale),
            format_date(line.charge_start, locale=locale),
        )
        end = format_date(line.charge_end, locale=locale)
        unit = (
            format_money(line.unit_price, locale=locale)
            if line.unit_price.is_rounded
            else str(line.unit_price.amount)
        )
        total = format_money(line.total, locale=locale)
        kind = charge_type_label(line, locale=locale)
    return (
        *dates[:1],
        line.sku_name,
        dates[1],
        end,
        unit,
        str(line.quantity),
        total,
        kind,
        line.description,
    )


#: Indexes of the numeric columns of :data:`LINE_COLUMNS`.
LINE_NUMERIC = (4, 5, 6)


def render(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Return a table with aligned columns; numbers-looking cells are right-aligned.

    Every cell is text (``str``) and every row has one cell per header, or
    :class:`InvalidTypeError` / :class:`InvalidValueError` names the row.
    """
    body = [tuple(row) for row in rows]
    for n, row in enumerate((tuple(header), *body)):
        where = "the header" if n == 0 else f"row {n - 1}"
        if not all(isinstance(cell, str) for cell in row):
            raise InvalidTypeError(f"{where} has a cell that is not text: {row!r}")
        if len(row) != len(header):
            raise InvalidValueError(f"{where} has {len(row)} cells for {len(header)} columns")
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(width) if _numeric(cell) else cell.ljust(width)
            for cell, width in zip(row, widths, strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(row) for row in body)])


def _numeric(cell: str) -> bool:
    return cell.lstrip("-").replace(".", "", 1).isdigit()
