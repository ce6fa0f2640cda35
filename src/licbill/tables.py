"""Plain-text tables of charge lines, for terminals and the demo (an edge: values stay pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .lines import ChargeLine

__all__ = ["LINE_COLUMNS", "line_cells", "render"]

#: The columns of a charge-line table: the seed tables' columns plus the SKU.
LINE_COLUMNS = ("order", "SKU", "start", "end", "unit", "qty", "total", "type", "description")


def line_cells(line: ChargeLine) -> tuple[str, ...]:
    """Return the cells of *line* under :data:`LINE_COLUMNS`."""
    return (
        line.order_date.isoformat(),
        line.sku_name,
        line.charge_start.isoformat(),
        line.charge_end.isoformat(),
        str(line.unit_price.amount),
        str(line.quantity),
        str(line.total.amount),
        str(line.charge_type),
        line.description,
    )


def render(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Return a table with aligned columns; numbers-looking cells are right-aligned."""
    body = [tuple(row) for row in rows]
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
