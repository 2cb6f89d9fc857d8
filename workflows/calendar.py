"""Working days in the Netherlands: the calendar that turns a ``Duration`` into a moment.

Municipal staff count in working days (*werkdagen*), so reminders and escalations do too: a
working day is a Monday to Friday that is not a Dutch public holiday. The holidays come from the
maintained ``holidays`` library (``holidays.NL``), never from a hand-written list, so a new year
or a changed rule needs a dependency update, not a code change.

Invariants:
    - Every moment going in must be timezone-aware; every moment coming out is aware UTC.
    - Local dates and times of day are Europe/Amsterdam. Moving by working days keeps the local
      time of day, so a notification at 10:00 gets its reminder at 10:00, also across a change
      to or from summer time (those happen on Sundays, which are never working days).
    - Exact durations (``PT20S``, ``P14D``) are plain arithmetic on the instant; only working
      days look at the calendar. Nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from workflows.durations import Duration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[date]:
    """The Dutch public holidays of one year, as the ``holidays`` library knows them.

    Cached per year as an immutable set: the library's own object fills itself lazily, which is
    a mutation we keep away from concurrent callers.
    """
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")


@dataclass(frozen=True)
class WorkdayCalendar:
    """Adds and subtracts working days and resolves ``Duration`` values against a moment.

    Stateless apart from its zone, so one instance can be shared by every caller.
    """

    zone: ZoneInfo = field(default=AMSTERDAM)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` in the local zone."""
        _require_aware(moment)
        return moment.astimezone(self.zone).date()

    def start_of_day(self, day: date) -> datetime:
        """00:00 local time on ``day``, as aware UTC (e.g. when a report date's window closes)."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def is_workday(self, day: date) -> bool:
        """True for Monday to Friday unless it is a Dutch public holiday."""
        return day.weekday() < 5 and day not in _dutch_holidays(day.year)

    def add_workdays(self, moment: datetime, n: int) -> datetime:
        """The moment ``n`` working days after ``moment``, at the same local time of day.

        The starting day itself never counts, so from a Saturday one working day is Monday.
        """
        return self._shift(moment, n, _ONE_DAY)

    def subtract_workdays(self, moment: datetime, n: int) -> datetime:
        """The moment ``n`` working days before ``moment``, at the same local time of day."""
        return self._shift(moment, n, -_ONE_DAY)

    def after(self, moment: datetime, duration: Duration) -> datetime:
        """``moment`` plus ``duration``: working days on the calendar, exact deltas as they are."""
        if duration.workdays is not None:
            return self.add_workdays(moment, duration.workdays)
        _require_aware(moment)
        assert duration.delta is not None  # a Duration has exactly one of the two
        return (moment + duration.delta).astimezone(UTC)

    def before(self, moment: datetime, duration: Duration) -> datetime:
        """``moment`` minus ``duration``: working days on the calendar, exact deltas as they are."""
        if duration.workdays is not None:
            return self.subtract_workdays(moment, duration.workdays)
        _require_aware(moment)
        assert duration.delta is not None
        return (moment - duration.delta).astimezone(UTC)

    def _shift(self, moment: datetime, n: int, step: timedelta) -> datetime:
        _require_aware(moment)
        if n < 0:
            raise ValueError(f"cannot move by a negative number of working days ({n})")
        local = moment.astimezone(self.zone)
        day, counted = local.date(), 0
        while counted < n:
            day += step
            if self.is_workday(day):
                counted += 1
        # Rebuild from the local wall-clock time so that a DST change in between keeps 10:00 at 10:00.
        return datetime.combine(day, local.time(), tzinfo=self.zone).astimezone(UTC)
