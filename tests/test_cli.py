"""The command line: ``licbill demo`` prints the seed tables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from licbill.__main__ import main


def test_demo_prints_every_seed_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo prints the four seed scenarios and the seat-change month as tables."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for title in ("Seed 1.", "Seed 2.", "Seed 3.", "Seed 4.", "Seat changes"):
        assert title in out
    assert "2019-07-10  SaaS plan  2019-07-10  2019-08-09     2    1   2.00  Renew" in out
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
