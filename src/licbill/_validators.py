"""attrs validators shared by licbill's value classes; each error names field and value."""

from __future__ import annotations

from typing import Any

from .errors import InvalidTypeError

__all__ = ["flag", "identifier", "text", "whole"]


def text(_instance: Any, attribute: Any, value: Any) -> None:
    """Any str, empty included."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"{attribute.name} must be a str, not {value!r}")


def identifier(_instance: Any, attribute: Any, value: Any) -> None:
    """A non-empty str."""
    if not isinstance(value, str) or not value:
        raise InvalidTypeError(f"{attribute.name} must be a non-empty str, not {value!r}")


def flag(_instance: Any, attribute: Any, value: Any) -> None:
    """A bool (not merely truthy)."""
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{attribute.name} must be a bool, not {value!r}")


def whole(value: Any, what: str) -> int:
    """Return *value* if it is an int (not a bool); raise a licbill error naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an int, not {value!r}")
    return value
