"""mkdocs hook: Sphinx roles in docstrings (:class:`~licbill.Money`) render as code (Money).

licbill's docstrings name other objects with Sphinx roles, which Markdown would show as
literal text (``:class:<code>Money</code>``). This hook rewrites each to a code span of the
name, the ``~`` form to its last component, as Sphinx displays them.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const):<code>(~?)([^<]*)</code>"
)


def _name(found: re.Match[str]) -> str:
    short, target = found[1], found[2]
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **_kwargs: Any) -> str:
    """Rewrite the Sphinx roles left in a rendered page."""
    return ROLE.sub(_name, html)
