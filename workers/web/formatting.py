"""How the console formats values: dates, durations, percentages; the Dutch words come from ``workflows.labels``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")


def local_time(value: datetime | str | None) -> str:
    """``dd-mm-jjjj uu:mm`` in Dutch local time."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL).strftime("%d-%m-%Y %H:%M")


def dutch_date(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d-%m-%Y")


def days_left(days: int) -> str:
    """How the deadline board says the days until the report date."""
    if days < 0:
        return f"{-days} {'dag' if days == -1 else 'dagen'} te laat"
    if days == 0:
        return "vandaag"
    return f"nog {days} {'dag' if days == 1 else 'dagen'}"


def percent(ratio: dict[str, object] | None) -> str:
    """A report ratio (``{"count", "of", "percent"}``, percent 0-100) as ``41% (12 van 29)``."""
    if not ratio or ratio.get("percent") is None:
        return "—"
    return f"{round(float(str(ratio['percent'])))}% ({ratio['count']} van {ratio['of']})"


def duration(seconds: float | None) -> str:
    """Seconds as a short Dutch duration: ``45 s``, ``12 min``, ``3 uur``, ``2 dagen``."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} uur"
    return f"{round(seconds / 86400)} dagen"
