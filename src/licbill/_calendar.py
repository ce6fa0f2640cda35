"""Unchecked calendar arithmetic: the engines' fast path behind :mod:`licbill.periods`.

Arguments are already validated by the caller (the public functions of ``licbill.periods``
check them first); the rules are stated in docs/dates.md.
"""

from __future__ import annotations

import calendar
import datetime as dt

from ._validators import shown
from .errors import OutOfCalendarError

__all__ = ["add_months", "days_in_month", "inclusive_days", "leaves_calendar", "period_end"]

_ONE_DAY = dt.timedelta(days=1)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def leaves_calendar(day: dt.date, months: int) -> OutOfCalendarError:
    return OutOfCalendarError(
        f"{day} moved by {shown(months)} months lies outside the calendar licbill bills in, "
        f"{dt.date.min}..{dt.date.max}"
    )


def days_in_month(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: dt.date, months: int) -> dt.date:
    # The engines' path: written out because it runs for every cycle.
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise leaves_calendar(day, months)
    if day.day <= 28:
        return dt.date(year, month, day.day)
    last = days_in_month(year, month)
    return dt.date(year, month, day.day if day.day <= last else last)


def period_end(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    if index == (dt.MAXYEAR + 1) * 12 and start.day == 1:
        # The day before 1 January 10000, which itself has no date, is 9999-12-31.
        return dt.date.max
    end = add_months(start, months)
    if end == dt.date.min:
        raise leaves_calendar(start, months)
    return end - _ONE_DAY


def inclusive_days(first: dt.date, last: dt.date) -> int:
    return (last - first).days + 1
