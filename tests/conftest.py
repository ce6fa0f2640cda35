"""Hypothesis settings shared by the suite."""

from __future__ import annotations

import os

from hypothesis import settings

# Engine runs over generated histories vary in length; a per-example deadline would only flake.
settings.register_profile("licbill", deadline=None)
# A longer search for a quiet afternoon: HYPOTHESIS_PROFILE=thorough python -m pytest
settings.register_profile("thorough", deadline=None, max_examples=1000)
# Under CI Hypothesis loads its own derandomised "ci" profile; elsewhere, ours.
if "HYPOTHESIS_PROFILE" in os.environ:
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
elif not os.environ.get("CI"):
    settings.load_profile("licbill")
