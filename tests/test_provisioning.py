"""Provisioning keys compare without ever raising or showing the secret (finding 9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import licbill as lb

SECRET = "hunter2\ud800-TOPSECRET"


def test_a_key_with_a_lone_surrogate_compares() -> None:
    """The issue's case: a key holding a lone surrogate compares instead of raising."""
    key = lb.ProvisioningKey(SECRET)
    assert key != lb.ProvisioningKey("x")
    assert key == lb.ProvisioningKey(SECRET)
    assert hash(key) == hash(lb.ProvisioningKey("x"))


@pytest.mark.parametrize("shown", [repr, str, format])
def test_a_surrogate_secret_never_shows(shown: object) -> None:
    """``repr``, ``str`` and ``format`` of such a key show only the mask."""
    assert callable(shown)
    assert "TOPSECRET" not in shown(lb.ProvisioningKey(SECRET))


# Every code point, lone surrogates included.
SECRETS = st.text(st.characters(exclude_categories=()), min_size=1).filter(str.strip)


@given(a=SECRETS, b=SECRETS)
def test_keys_are_equal_exactly_when_their_secrets_are(a: str, b: str) -> None:
    """Property: any two keys (surrogates and all) compare as their secrets do, never raising."""
    assert (lb.ProvisioningKey(a) == lb.ProvisioningKey(b)) is (a == b)
