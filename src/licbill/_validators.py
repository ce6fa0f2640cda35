"""attrs validators shared by licbill's value classes; each error names field and value."""

from __future__ import annotations

from typing import Any, Final

from .errors import InvalidTypeError

__all__ = [
    "MAX_QUANTITY",
    "flag",
    "identifier",
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


def whole(value: Any, what: str) -> int:
    """Return *value* if it is an int (not a bool); raise a licbill error naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an int, not {shown(value)}")
    return value


def shown(value: Any) -> str:
    """``repr(value)`` for an error message, shortened: a huge int (whose ``repr`` Python
    refuses past 4,300 digits) or a long text is named by its size, never copied whole."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(10**60) < value < 10**60:
        sign = "-" if value < 0 else ""
        return f"{sign}an int of about {value.bit_length() * 30103 // 100000 + 1} digits"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:36]}...{text[-36:]} ({len(text)} characters)"


def of_type(kind: type) -> Any:
    """An attrs validator: the value is a *kind* (a licbill enum or value class), else a
    licbill :class:`~licbill.InvalidTypeError` naming the field and the value."""

    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind):
            raise InvalidTypeError(
                f"{attribute.name} must be a licbill.{kind.__name__}, not {shown(value)}"
            )

    return check
