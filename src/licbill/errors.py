"""The licbill error hierarchy: one root, and subclasses that also subclass the matching builtin.

Catch :class:`LicbillError` to handle anything licbill refuses; catch the builtin
(``ValueError``, ``TypeError``, ``LookupError``) where existing code already does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

__all__ = [
    "ConversionError",
    "CurrencyMismatchError",
    "DirectoryError",
    "DuplicateEventError",
    "DuplicateSubscriptionError",
    "EditRefusedError",
    "EventError",
    "EventOrderError",
    "IncompatibleSkuError",
    "InvalidTypeError",
    "InvalidValueError",
    "LicbillError",
    "MissingDependencyError",
    "MissingPriceError",
    "OutOfCalendarError",
    "PlanAndQuantityError",
    "QuantityError",
    "ReservedEventIdError",
    "SameSkuError",
    "ScenarioError",
    "StateVersionError",
    "SubscriptionEndedError",
    "TrialError",
    "UnknownCurrencyError",
    "UnknownGroupError",
    "UnknownSubscriptionError",
    "UnknownUserError",
]


class LicbillError(Exception):
    """Root of every error licbill raises on purpose.

    An error about something read from a file also says where: ``file``, ``line`` (from 1) and
    ``field`` (``"event[2].quantity"``), each ``None`` when unknown; the message then starts
    with ``path:line: field:``.
    """

    file: Path | None = None
    line: int | None = None
    field: str | None = None

    def add_location(self, *, file: Path, line: int | None, field: str | None) -> Self:
        """Record where in a file this error comes from, and say so in the message; return it.

        The error keeps its class (``except EventOrderError`` still catches it). An error that
        already has a location keeps its first one.
        """
        if self.file is None:
            self.file, self.line, self.field = file, line, field
            self.args = (f"{_where(file, line, field)}: {self}",)
        return self


def _where(file: Path, line: int | None, field: str | None) -> str:
    place = f"{file}:{line}" if line else str(file)
    return f"{place}: {field}" if field else place


class ScenarioError(LicbillError, ValueError):
    """A scenario file that cannot be read: ``file``, ``line`` and ``field`` say where."""

    def __init__(self, file: Path, line: int | None, field: str, message: str) -> None:
        super().__init__(f"{_where(file, line, field)}: {message}")
        self.file, self.line, self.field = file, line, field


class InvalidTypeError(LicbillError, TypeError):
    """A value of the wrong type was given (a float for money, a datetime for a date, ...)."""


class InvalidValueError(LicbillError, ValueError):
    """A value of the right type that breaks a rule (a negative quantity, a crossed range)."""


class ConversionError(InvalidValueError, InvalidTypeError):
    """Plain data that does not read as the licbill value asked for (``licbill.from_dict``).

    ``problems`` lists ``(path, message)`` pairs, one per bad field, the path written as in
    ``events[3].quantity`` (empty for the value itself); ``path`` is the first of them and
    ``target`` the type asked for. Both a ``ValueError`` and a ``TypeError``, since data can be
    of the wrong type or break a rule.
    """

    def __init__(self, problems: list[tuple[str, str]], target: Any) -> None:
        self.problems = tuple(problems)
        self.path = self.problems[0][0] if self.problems else ""
        self.target = target
        name = getattr(target, "__name__", None) or repr(target)
        lines = [f"{path or '(value)'}: {message}" for path, message in self.problems]
        super().__init__(f"cannot read a {name}: " + "; ".join(lines))


class StateVersionError(ConversionError):
    """Stored billing state in a format version this licbill does not read
    (``BillingState.from_json``); ``version`` holds the version found."""

    def __init__(self, problems: list[tuple[str, str]], target: Any, version: object) -> None:
        super().__init__(problems, target)
        self.version = version


class OutOfCalendarError(InvalidValueError):
    """A date licbill would need lies before 0001-01-01 or after 9999-12-31 (Python's range)."""


class UnknownCurrencyError(InvalidValueError):
    """A currency code that is not an ISO 4217 code known to babel."""


class CurrencyMismatchError(InvalidValueError):
    """Money of two different currencies met in one operation."""


class _RefusalError(LicbillError, ValueError):
    """An event refused; the message ends with the event, and ``event`` holds it."""

    def __init__(self, message: str, *, event: Any) -> None:
        super().__init__(f"{message}: {event!r}")
        self.event = event


class EventError(_RefusalError):
    """A lifecycle event that cannot be applied; ``event`` is the offending event."""


class UnknownSubscriptionError(EventError, LookupError):
    """An event names a subscription that was never purchased."""


class DuplicateSubscriptionError(EventError):
    """A second purchase for a subscription id that already exists (a trial cannot be restarted)."""


class DuplicateEventError(EventError):
    """Two events carry the same ``event_id``; the second is refused, never applied twice."""


class ReservedEventIdError(EventError):
    """An ``event_id`` of the form licbill reserves for the references it generates: text, a
    hyphen and four or more digits (``S1-0003``), so a given id never equals a generated one."""


class EventOrderError(EventError):
    """An event precedes its subscription's purchase, or a date-ordered stream goes back in time."""


class SubscriptionEndedError(EventError):
    """An event for a subscription that was cancelled or has expired."""


class SameSkuError(EventError):
    """A conversion to the SKU the subscription already has."""


class IncompatibleSkuError(EventError):
    """A conversion to a SKU of another term, billing frequency, kind or currency."""


class QuantityError(EventError):
    """A quantity change to the current quantity, or outside the SKU's limits."""


class PlanAndQuantityError(EventError):
    """One event that changes both the plan and the quantity."""


class TrialError(EventError):
    """A change that a free trial does not allow (seats and plan are fixed until it converts)."""


class UnknownGroupError(LicbillError, LookupError):
    """A user belongs to a group that was not given."""


class MissingPriceError(LicbillError, LookupError):
    """A price list has no price for a product and user kind that is billed."""


class DirectoryError(_RefusalError):
    """A directory event that cannot be applied; ``event`` is the offending event."""


class UnknownUserError(DirectoryError, LookupError):
    """A directory event names a user the workspace does not have."""


class EditRefusedError(DirectoryError):
    """A manual status edit while sync is running, or while the directory manages status."""


class MissingDependencyError(LicbillError, ImportError):
    """An optional feature needs a package that is not installed (the message names the extra)."""
