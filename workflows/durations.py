"""Durations in workflow definitions: ISO 8601 (``PT20S``, ``P14D``) or working days.

Working days (``5 werkdagen``) skip weekends and Dutch public holidays; they are resolved by
``workflows.calendar`` against a date, so a ``Duration`` itself stays a plain value. Seconds are
accepted so that tests and the demo run the whole flow in real time with the same engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_ISO = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_WORKDAYS = re.compile(r"^(?P<n>\d+)\s*(?:werkdagen|werkdag|working\s+days?|workdays?)$", re.IGNORECASE)


class DurationError(ValueError):
    """A duration string that is neither ISO 8601 nor ``N werkdagen``."""


@dataclass(frozen=True, slots=True)
class Duration:
    """Either an exact ``delta`` or a number of ``workdays`` (exactly one is set)."""

    delta: timedelta | None = None
    workdays: int | None = None

    def __post_init__(self) -> None:
        if (self.delta is None) == (self.workdays is None):
            raise DurationError("a Duration has either a delta or workdays, not both or neither")
        if self.workdays is not None and self.workdays < 0:
            raise DurationError("workdays cannot be negative")
        if self.delta is not None and self.delta < timedelta(0):
            raise DurationError("a duration cannot be negative")

    @classmethod
    def of_workdays(cls, n: int) -> Duration:
        return cls(workdays=n)

    @classmethod
    def of(cls, **kwargs: float) -> Duration:
        return cls(delta=timedelta(**kwargs))

    def __str__(self) -> str:
        """Dutch, for the texts people read: ``5 werkdagen``, ``14 dagen``, ``20 seconden``."""
        if self.workdays is not None:
            return f"{self.workdays} werkdag" + ("" if self.workdays == 1 else "en")
        assert self.delta is not None
        seconds = int(self.delta.total_seconds())
        for size, one, many in ((86400, "dag", "dagen"), (3600, "uur", "uur"), (60, "minuut", "minuten")):
            if seconds and seconds % size == 0:
                n = seconds // size
                return f"{n} {one if n == 1 else many}"
        return f"{seconds} seconde" + ("" if seconds == 1 else "n")


def parse_duration(text: str) -> Duration:
    """Parse ``5 werkdagen``, ``5 working days``, ``PT20S``, ``P14D`` or ``P1DT2H``.

    Raises:
        DurationError: naming the text that could not be read.
    """
    value = text.strip()
    if m := _WORKDAYS.match(value):
        return Duration(workdays=int(m["n"]))
    if m := _ISO.match(value.upper()):
        parts = {k: float(v) for k, v in m.groupdict().items() if v is not None}
        return Duration(delta=timedelta(**parts))
    raise DurationError(f"onleesbare duur {text!r}: gebruik ISO 8601 (PT30S, P14D) of 'N werkdagen'")
