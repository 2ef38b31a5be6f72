"""Dates as GOV.UK writes them, and working days that skip England and Wales bank holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays


class DisplayDate(date):
    """A date that prints as "22 November 2026" (GOV.UK style: no ordinal, no comma)."""

    def __str__(self) -> str:
        return gov_date(self)

    def __html__(self) -> str:
        return str(self)


class DisplayDateTime(datetime):
    """A date and time that prints as "22 November 2026 at 10:30am"."""

    def __str__(self) -> str:
        return f"{gov_date(self)} at {gov_time(self)}"

    def __html__(self) -> str:
        return str(self)

    @property
    def on(self) -> DisplayDate:
        """The date alone: "22 November 2026"."""
        return DisplayDate(self.year, self.month, self.day)

    @property
    def time_text(self) -> str:
        return gov_time(self)


def gov_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def gov_time(value: datetime) -> str:
    """10:30am, 2pm, 12 noon... GOV.UK uses "midday" for 12pm."""
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def display(value: date) -> date:
    """Wrap a date or datetime so templates print it in GOV.UK style."""
    if isinstance(value, datetime):
        return DisplayDateTime(value.year, value.month, value.day, value.hour, value.minute)
    return DisplayDate(value.year, value.month, value.day)


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays.
    return holidays.UnitedKingdom(subdiv="ENG", years=range(year - 1, year + 3))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> DisplayDate:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    day = date(start.year, start.month, start.day)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return DisplayDate(day.year, day.month, day.day)
