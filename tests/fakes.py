"""Fakes for the ports, one per port, for unit tests (see STYLE.md "Side effects and tests").

Each fake records or controls what the real adapter would do, so tests pass them in instead of
patching import paths. More fakes (unit of work, mailer, publish) belong here beside ``FakeClock``.
"""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock that only moves when a test says so; always timezone-aware."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("a clock does not go back")
        self._now += delta

    def advance_to(self, moment: datetime) -> None:
        """Move to ``moment`` (not backwards): handy to land exactly on a timer's due time."""
        self.advance(moment - self._now)
