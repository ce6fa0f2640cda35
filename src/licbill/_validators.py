"""attrs validators shared by licbill's value classes; each error names field and value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, TypeGuard

from .errors import InvalidTypeError

__all__ = [
    "MAX_QUANTITY",
    "flag",
    "identifier",
    "is_whole",
    "members",
    "of_type",
    "shown",
    "text",
    "whole",
]

#: The largest quantity (seats, units) licbill bills: a billion. See docs/guarantees.md.
MAX_QUANTITY: Final = 10**9


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


def is_whole(value: object) -> TypeGuard[int]:
    """Whether *value* is an int and not a bool (``True`` is an int to Python, never to licbill)."""
    return isinstance(value, int) and not isinstance(value, bool)


def whole(value: Any, what: str) -> int:
    """Return *value* if it is an int (not a bool); raise a licbill error naming it otherwise."""
    if not is_whole(value):
        raise InvalidTypeError(f"{what} must be an int, not {shown(value)}")
    return value


def shown(value: Any) -> str:
    """``repr(value)`` for an error message, shortened: a huge int (whose ``repr`` Python
    refuses past 4,300 digits) or a long text is named by its size, never copied whole."""
    if is_whole(value) and not -(10**60) < value < 10**60:
        sign = "-" if value < 0 else ""
        return f"{sign}an int of about {value.bit_length() * 30103 // 100000 + 1} digits"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:36]}...{text[-36:]} ({len(text)} characters)"


def of_type(kind: type, *, or_none: bool = False) -> Any:
    """An attrs validator: the value is a *kind* (a licbill enum or value class), or ``None``
    with *or_none*; else a licbill :class:`~licbill.InvalidTypeError` naming the field and the
    value."""
    expected = f"a licbill.{kind.__name__}{' or None' if or_none else ''}"

    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind) and not (or_none and value is None):
            raise InvalidTypeError(f"{attribute.name} must be {expected}, not {shown(value)}")

    return check


def members(values: Any, kind: type, what: str) -> tuple[Any, ...]:
    """*values* as a tuple if they are a collection (not a str) of *kind* (a licbill class);
    else a licbill :class:`~licbill.InvalidTypeError` naming *what* or the stray member."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidTypeError(
            f"{what} must be a collection of licbill.{kind.__name__}, not {shown(values)}"
        )
    items = tuple(values)
    for item in items:
        if not isinstance(item, kind):
            raise InvalidTypeError(f"not a licbill.{kind.__name__}: {shown(item)}")
    return items
