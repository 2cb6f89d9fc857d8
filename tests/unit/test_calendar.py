"""Working days on the real Dutch calendar (``holidays.NL``); expected dates worked out by hand.

2026: Good Friday 3 April, Easter Monday 6 April, King's Day Monday 27 April, Ascension Thursday
14 May, Whit Monday 25 May. Summer time starts Sunday 29 March (CET +1 -> CEST +2).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.calendar import WorkdayCalendar
from workflows.durations import Duration, parse_duration

AMS = ZoneInfo("Europe/Amsterdam")
CALENDAR = WorkdayCalendar()


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=AMS).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 27), False),  # King's Day, a Monday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 14), False),  # Ascension Day
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2026, 12, 25), False),  # Christmas
        (date(2026, 4, 25), False),  # Saturday
        (date(2026, 4, 26), False),  # Sunday
        (date(2026, 4, 28), True),  # the Tuesday after King's Day
        (date(2026, 4, 24), True),  # the Friday before
    ],
)
def test_is_workday_skips_weekends_and_dutch_public_holidays(day: date, expected: bool) -> None:
    assert CALENDAR.is_workday(day) is expected


def test_five_working_days_after_the_friday_before_kings_day_is_the_monday_a_week_later() -> None:
    # Given a notification on Friday 24 April 2026 at 10:00 local time
    # When 5 working days pass: Tue 28, Wed 29, Thu 30, Fri 1 May, Mon 4 May (Mon 27 is King's Day)
    # Then the reminder is due on Monday 4 May at 10:00 local time
    assert CALENDAR.add_workdays(local(2026, 4, 24, 10), 5) == local(2026, 5, 4, 10)


def test_five_working_days_after_good_friday_skip_easter_monday() -> None:
    # Tue 7, Wed 8, Thu 9, Fri 10, Mon 13 April
    assert CALENDAR.add_workdays(local(2026, 4, 3, 10), 5) == local(2026, 4, 13, 10)


def test_fifteen_working_days_skip_kings_day_and_ascension_day() -> None:
    # Tue 28 .. Fri 1 (4), Mon 4 .. Fri 8 (9), Mon 11 .. Wed 13 (12), Thu 14 skipped, Fri 15, Mon 18, Tue 19 (15)
    assert CALENDAR.add_workdays(local(2026, 4, 24, 10), 15) == local(2026, 5, 19, 10)


def test_working_days_keep_the_local_time_of_day_across_the_change_to_summer_time() -> None:
    start = local(2026, 3, 20, 10)  # Friday, CET: 09:00 UTC
    due = CALENDAR.add_workdays(start, 6)  # Mon 23 .. Fri 27 (5), Mon 30 March (6), now CEST
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert due.astimezone(AMS).hour == 10


def test_subtracting_working_days_from_the_start_of_a_day() -> None:
    # Five working days before Monday 11 May 2026: Fri 8, Thu 7, Wed 6, Tue 5, Mon 4 May
    assert CALENDAR.subtract_workdays(CALENDAR.start_of_day(date(2026, 5, 11)), 5) == local(2026, 5, 4)
    # Three before Thursday 30 April: Wed 29, Tue 28, (King's Day skipped) Fri 24 April
    assert CALENDAR.subtract_workdays(CALENDAR.start_of_day(date(2026, 4, 30)), 3) == local(2026, 4, 24)


def test_the_starting_day_never_counts_so_a_weekend_moves_to_the_next_working_day() -> None:
    assert CALENDAR.add_workdays(local(2026, 4, 18, 12), 1) == local(2026, 4, 20, 12)  # Saturday -> Monday
    assert CALENDAR.subtract_workdays(local(2026, 4, 19, 12), 1) == local(2026, 4, 17, 12)  # Sunday -> Friday


def test_zero_working_days_is_the_same_moment() -> None:
    assert CALENDAR.add_workdays(local(2026, 4, 25, 9), 0) == local(2026, 4, 25, 9)


def test_exact_durations_are_plain_arithmetic_even_over_holidays() -> None:
    moment = local(2026, 4, 26, 23, 59)
    assert CALENDAR.after(moment, parse_duration("PT20S")) == moment + timedelta(seconds=20)
    assert CALENDAR.before(moment, parse_duration("P1D")) == moment - timedelta(days=1)
    assert CALENDAR.after(moment, parse_duration("2 werkdagen")) == local(2026, 4, 29, 23, 59)
    assert CALENDAR.before(moment, Duration.of_workdays(1)) == local(2026, 4, 24, 23, 59)


def test_start_of_day_is_local_midnight_in_utc() -> None:
    assert CALENDAR.start_of_day(date(2026, 1, 15)) == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert CALENDAR.start_of_day(date(2026, 6, 15)) == datetime(2026, 6, 14, 22, tzinfo=UTC)
    assert CALENDAR.local_date(datetime(2026, 6, 14, 22, 30, tzinfo=UTC)) == date(2026, 6, 15)


def test_naive_datetimes_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_workdays(datetime(2026, 4, 24, 10), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.after(datetime(2026, 4, 24, 10), parse_duration("PT20S"))
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_workdays(local(2026, 4, 24), -1)


MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@given(moment=MOMENTS, n=st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_on_a_working_day_at_the_same_local_time(moment: datetime, n: int) -> None:
    due = CALENDAR.add_workdays(moment, n)
    assert due > moment
    assert CALENDAR.is_workday(CALENDAR.local_date(due))
    assert due.astimezone(AMS).time() == moment.astimezone(AMS).time()


@given(moment=MOMENTS, n=st.integers(min_value=0, max_value=40))
def test_subtracting_undoes_adding_from_a_working_day(moment: datetime, n: int) -> None:
    start = CALENDAR.add_workdays(moment, 1)  # always a working day
    assert CALENDAR.subtract_workdays(CALENDAR.add_workdays(start, n), n) == start


@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_is_workday_agrees_with_the_holidays_library(day: date) -> None:
    assert CALENDAR.is_workday(day) == (
        day.weekday() < 5 and day not in holidays.country_holidays("NL", years=day.year)
    )
