"""Calendar arithmetic of RULEBOOK A2: month-clamped periods, computed from their anchor."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import attrs

from .errors import InvalidTypeError, InvalidValueError

__all__ = ["Period", "add_months", "check_date", "cycle"]

_ONE_DAY = dt.timedelta(days=1)


def check_date(value: Any, what: str) -> dt.date:
    """Return *value* if it is a plain calendar date; licbill has no times or time zones."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidTypeError(f"{what} must be a datetime.date (no time), not {value!r}")
    return value


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return *day* moved by *months*, clamped to the end of a shorter month (31 Jan + 1 = 28 Feb).

    This is ``day + dateutil.relativedelta(months=months)`` (a property test holds them equal),
    written out because the charge engine calls it for every cycle.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if day.day <= 28:
        return dt.date(year, month, day.day)
    last = _MONTH_DAYS[month - 1]
    if month == 2 and calendar.isleap(year):
        last = 29
    return dt.date(year, month, day.day if day.day <= last else last)


@attrs.frozen
class Period:
    """An inclusive range of calendar days, ``start`` to ``end``."""

    start: dt.date = attrs.field(validator=lambda _i, _a, v: check_date(v, "start"))
    end: dt.date = attrs.field(validator=lambda _i, _a, v: check_date(v, "end"))

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValueError(
                f"a period cannot end ({self.end}) before it starts ({self.start})"
            )

    @property
    def days(self) -> int:
        """Days in the period, both ends included (10 Jun - 9 Jul is 30)."""
        return (self.end - self.start).days + 1

    def days_from(self, day: dt.date) -> int:
        """Days from *day* to the end of the period, both included (RULEBOOK A3 billing days)."""
        if not self.start <= day <= self.end:
            raise InvalidValueError(f"{day} lies outside {self.start}..{self.end}")
        return (self.end - day).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def cycle(*, anchor: dt.date, index: int, months: int) -> Period:
    """Return period number *index* of *months* months counted from *anchor*.

    Period k runs from ``anchor + k*months`` to the day before ``anchor + (k+1)*months``; it is
    never derived from period k-1, so a 31 January anchor keeps returning to the 31st.
    Raises :class:`InvalidTypeError` for an anchor that is not a plain date and
    :class:`InvalidValueError` for ``months < 1`` or ``index < 0``.
    """
    check_date(anchor, "anchor")
    if months < 1 or index < 0:
        raise InvalidValueError(f"a cycle needs months >= 1 and index >= 0, not {months}, {index}")
    return Period(
        add_months(anchor, index * months), add_months(anchor, (index + 1) * months) - _ONE_DAY
    )
