"""The documentation site: it builds strictly, every module has a reference page, and the
rendered pages show no literal Sphinx roles."""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import licbill

ROOT = Path(__file__).parent.parent
ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):(?:<code>|`)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``mkdocs build --strict`` from this checkout."""
    if importlib.util.find_spec("mkdocstrings") is None:  # pragma: no cover - docs extra
        pytest.skip("needs the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_every_public_module_has_a_reference_page() -> None:
    """docs/reference/ holds one page per public module, those of licbill.io included."""
    modules = {m.name for m in pkgutil.iter_modules(licbill.__path__) if m.name[:1] != "_"}
    edges = {m.name for m in pkgutil.iter_modules(licbill.io.__path__) if m.name[:1] != "_"}
    pages = {p.stem for p in (ROOT / "docs" / "reference").glob("*.md")} - {"index"}
    assert pages == (modules - {"io"}) | edges
    assert "::: licbill.io.cli" in (ROOT / "docs" / "reference" / "cli.md").read_text("utf-8")


def test_the_audit_page_lists_every_public_class_and_function() -> None:
    """docs/reference/audit.md lists licbill.audit's members by hand, in reading order; the
    list names every public class and function of the package, no more."""
    page = (ROOT / "docs" / "reference" / "audit.md").read_text("utf-8")
    listed = re.findall(r"^ +- (\w+)$", page, flags=re.MULTILINE)
    public = [name for name in licbill.audit.__all__ if callable(getattr(licbill.audit, name))]
    assert sorted(listed) == sorted(public)


def test_rendered_pages_show_no_sphinx_roles(site: Path) -> None:
    """No page of the built site shows a role such as :class:`Money` as literal text."""
    found = {
        str(page.relative_to(site)): ROLE.findall(page.read_text(encoding="utf-8"))
        for page in site.rglob("*.html")
    }
    assert {page: roles for page, roles in found.items() if roles} == {}


def test_reference_signatures_show_their_types(site: Path) -> None:
    """The reference renders signatures with their annotations (monthly_invoice's month)."""
    page = (site / "reference" / "invoice" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert "month: Month" in text
    assert "-&gt; Invoice" in text


def test_the_changelog_page_is_the_changelog(site: Path) -> None:
    """The site's changelog page renders CHANGELOG.md, so the two never drift apart."""
    page = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (.+)$", changelog, flags=re.MULTILINE)
    assert headings
    text = re.sub(r"<[^>]+>", "", page)
    for heading in headings:
        assert heading.replace("&", "&amp;") in text
