"""The provisioning key that grants access to licensing reports: a secret that never shows."""

from __future__ import annotations

import hmac
from typing import Any

from .errors import InvalidTypeError, InvalidValueError

__all__ = ["ProvisioningKey"]

_MASK = "ProvisioningKey('********')"


class ProvisioningKey:
    """A provisioning key. ``repr``, ``str``, formatting and pickling never show the secret.

    Call :meth:`reveal` at the one place that sends it (an HTTP header, say). Keys compare in
    constant time.
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str):
            raise InvalidTypeError("a provisioning key must be a str")
        if not secret.strip():
            raise InvalidValueError("a provisioning key cannot be empty")
        object.__setattr__(self, "_secret", secret)

    def reveal(self) -> str:
        """Return the secret itself. Never log or export what this returns."""
        secret: str = object.__getattribute__(self, "_secret")
        return secret

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a ProvisioningKey is immutable")

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProvisioningKey):
            return NotImplemented
        # Any str encodes with 'surrogatepass' (lone surrogates included), so comparing never
        # raises an error whose message or traceback could carry the secret.
        return hmac.compare_digest(_bytes(self), _bytes(other))

    def __hash__(self) -> int:
        return hash(ProvisioningKey)

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("a ProvisioningKey cannot be pickled: it would write the secret out")


def _bytes(key: ProvisioningKey) -> bytes:
    return key.reveal().encode("utf-8", "surrogatepass")
