"""Hypothesis settings shared by the suite."""

from __future__ import annotations

import os

from hypothesis import settings

# Engine runs over generated histories vary in length; a per-example deadline would only flake.
settings.register_profile("licbill", deadline=None)
# Under CI Hypothesis loads its own derandomised "ci" profile; elsewhere, ours.
if not os.environ.get("CI"):
    settings.load_profile("licbill")
