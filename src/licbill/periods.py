"""Calendar arithmetic of RULEBOOK A2: month-clamped periods, computed from their anchor."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import attrs

from ._validators import shown, whole
from .errors import InvalidTypeError, InvalidValueError, OutOfCalendarError

__all__ = ["Period", "add_months", "check_date", "cycle", "inclusive_days", "period_end"]

_ONE_DAY = dt.timedelta(days=1)


def check_date(value: Any, what: str) -> dt.date:
    """Return *value* if it is a plain calendar date; licbill has no times or time zones."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidTypeError(f"{what} must be a datetime.date (no time), not {value!r}")
    return value


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return *day* moved by *months*, clamped to the end of a shorter month (31 Jan + 1 = 28 Feb).

    This is ``day + dateutil.relativedelta(months=months)`` (a property test holds them equal).
    Raises :class:`InvalidTypeError` for a value that is not a plain date or an int, and
    :class:`~licbill.OutOfCalendarError` for a result before 0001-01-01 or after 9999-12-31.
    """
    check_date(day, "day")
    whole(months, "months")
    return _add_months(day, months)


def _leaves_calendar(day: dt.date, months: int) -> OutOfCalendarError:
    return OutOfCalendarError(
        f"{day} moved by {shown(months)} months lies outside the calendar licbill bills in, "
        f"{dt.date.min}..{dt.date.max}"
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    # The engines' path: written out because it runs for every cycle.
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise _leaves_calendar(day, months)
    if day.day <= 28:
        return dt.date(year, month, day.day)
    last = _MONTH_DAYS[month - 1]
    if month == 2 and calendar.isleap(year):
        last = 29
    return dt.date(year, month, day.day if day.day <= last else last)


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of a period of *months* months from *start*: ``start + months - 1 day``.

    RULEBOOK A2: 10 Jun + 1 month ends 9 Jul; 31 Jan + 1 month ends 27 Feb (non-leap).
    A period that starts on the 1st can end on 9999-12-31 (``period_end(9999-12-01, 1)``).
    Raises :class:`InvalidTypeError` for a value that is not a plain date or an int, and
    :class:`~licbill.OutOfCalendarError` for an end before 0001-01-01 or after 9999-12-31.
    """
    check_date(start, "start")
    whole(months, "months")
    return _period_end(start, months)


def _period_end(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    if index == (dt.MAXYEAR + 1) * 12 and start.day == 1:
        # The day before 1 January 10000, which itself has no date, is 9999-12-31.
        return dt.date.max
    end = _add_months(start, months)
    if end == dt.date.min:
        raise _leaves_calendar(start, months)
    return end - _ONE_DAY


def inclusive_days(first: dt.date, last: dt.date) -> int:
    """Days from *first* to *last*, both included (RULEBOOK A3 cycle and billing days).

    Raises :class:`InvalidTypeError` for a value that is not a plain date.
    """
    return _inclusive_days(check_date(first, "first"), check_date(last, "last"))


def _inclusive_days(first: dt.date, last: dt.date) -> int:
    return (last - first).days + 1


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
        return _inclusive_days(self.start, self.end)

    def days_from(self, day: dt.date) -> int:
        """Days from *day* to the end of the period, both included (RULEBOOK A3 billing days)."""
        check_date(day, "day")
        if not self.start <= day <= self.end:
            raise InvalidValueError(f"{day} lies outside {self.start}..{self.end}")
        return _inclusive_days(day, self.end)

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
    if whole(months, "months") < 1 or whole(index, "index") < 0:
        raise InvalidValueError(
            f"a cycle needs months >= 1 and index >= 0, not {shown(months)}, {shown(index)}"
        )
    return Period(add_months(anchor, index * months), period_end(anchor, (index + 1) * months))
