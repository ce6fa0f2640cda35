"""An Enum base whose members hash in C."""

from __future__ import annotations

import enum

__all__ = ["FastEnum"]


class FastEnum(enum.Enum):
    """An Enum hashed by identity.

    Members are singletons compared by identity, so identity hashing is consistent with
    equality; it runs in C, where ``Enum.__hash__`` is Python code. The engines look enums up
    in dicts and sets millions of times.
    """

    __hash__ = object.__hash__
