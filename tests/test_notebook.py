"""The example notebook in docs/ runs, cell by cell, and shows what it says."""

from __future__ import annotations

import ast
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import licbill as lb

NOTEBOOK = Path(__file__).parent.parent / "docs" / "walkthrough.ipynb"


def test_walkthrough_notebook_runs() -> None:
    """Every code cell executes in order; the last expression of each renders as HTML or text."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, Any] = {}
    shown = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body[-1]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            if not isinstance(last, ast.Expr):
                exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
                continue
            tree.body.pop()
            exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
            value = eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"), namespace)
        if value is None:
            shown.append(printed.getvalue())
        else:
            shown.append(value._repr_html_() if hasattr(value, "_repr_html_") else repr(value))
    assert "<table>" in shown[0]
    assert "Converteren" in shown[1]
    assert "\\n" not in shown[1]  # printed as a table, not shown as a string
    assert "<table" in shown[2]  # a slice of ChargeLines renders as a table
    assert "<table" in shown[3]  # the data frame renders as a table
    assert namespace["invoice"].total == lb.Money("5.00", "EUR")
    assert shown[-1] == "'€\\xa05,00'"
