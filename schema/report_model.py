"""The monitoring report as values: counts per municipality, province and total, with ratios.

The figures are the ones the region reports (Koers & Kansen 3Noord, 2019): response to the letter
per province, contact by any form, actions set out among contacts and among all cases, already
known to care among cases with actions. Every percentage names its denominator, so a reader can
see whether "29%" means "of all cases" or "of contacts". Counts only, never a name.

The report has one ``Section`` for all selected groups together and one per target group
(self-reporters, detainees), each with the same figures: municipalities, provinces, total, trend.
A detainee gets no letter, so ``letters_sent`` counts only the notifications that carried one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from workflows.labels import TARGET_GROUPS

GROUP_LABELS: dict[str, str] = {group.value: text for group, text in TARGET_GROUPS.items()}

# Sentence bands of the region's slides: (key, Dutch label, lowest days, highest days or None).
BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("max_3_weeks", "maximaal 3 weken", 0, 21),
    ("3_weeks_3_months", "3 weken – 3 maanden", 22, 90),
    ("longer", "langer", 91, None),
)
BAND_LABELS = {key: label for key, label, _, _ in BANDS}

# Percentage name → (numerator count, denominator count).
RATIOS: dict[str, tuple[str, str]] = {
    "response_to_letter": ("response_to_letter", "letters_sent"),
    "contact": ("contact", "cases"),
    "other_contact": ("other_contact", "cases"),
    "actions_among_contacts": ("actions_among_contacts", "contact"),
    "actions": ("actions", "cases"),
    "known_to_care": ("known_to_care", "actions"),
    "escalations": ("escalations", "cases"),
    "closed_without_outcome": ("closed_without_outcome", "cases"),
    "urgent": ("urgent", "cases"),
}


@dataclass
class Figures:
    """Counts for one group of cases.

    ``contact`` is contact by any form; ``response_to_letter`` the contacts whose form is a
    response to the letter; ``other_contact`` the other contacts. ``actions_among_contacts`` counts
    cases with contact and actions set out; ``actions`` all cases with actions; ``known_to_care``
    the cases with actions whose person was already known to care services. ``escalations`` are
    cases with a sent escalation email; ``letters_sent`` cases with a sent notification.
    """

    cases: int = 0
    letters_sent: int = 0
    response_to_letter: int = 0
    contact: int = 0
    other_contact: int = 0
    actions_among_contacts: int = 0
    actions: int = 0
    known_to_care: int = 0
    escalations: int = 0
    closed_without_outcome: int = 0
    urgent: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def ratio(self, name: str) -> dict[str, Any]:
        """``{"count", "of", "denominator", "percent"}``; percent is ``None`` when nothing to divide by."""
        numerator, denominator = RATIOS[name]
        count, of = getattr(self, numerator), getattr(self, denominator)
        return {"count": count, "of": of, "denominator": denominator, "percent": percent(count, of)}

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        return counts | {"percentages": {name: self.ratio(name) for name in RATIOS}}


def percent(count: int, of: int) -> float | None:
    """``count`` as a percentage of ``of``, one decimal; ``None`` for ``of == 0``."""
    return round(100 * count / of, 1) if of else None


@dataclass
class GroupFigures:
    """Figures for one municipality, province or the total, overall and per sentence band."""

    figures: Figures = field(default_factory=Figures)
    by_band: dict[str, Figures] = field(default_factory=lambda: {key: Figures() for key, *_ in BANDS})

    def add(self, other: GroupFigures) -> None:
        self.figures.add(other.figures)
        for key, band in other.by_band.items():
            self.by_band[key].add(band)

    def to_dict(self) -> dict[str, Any]:
        return self.figures.to_dict() | {"by_band": {key: band.to_dict() for key, band in self.by_band.items()}}


@dataclass
class MunicipalityFigures:
    cbs_code: str | None  # None: cases not yet routed to a municipality
    name: str
    province: str
    group: GroupFigures = field(default_factory=GroupFigures)


@dataclass
class ProvinceFigures:
    province: str
    group: GroupFigures = field(default_factory=GroupFigures)


@dataclass
class MonthFigures:
    """One month of the trend (local calendar month of ``created_at``)."""

    month: str  # YYYY-MM
    figures: Figures = field(default_factory=Figures)

    def to_dict(self) -> dict[str, Any]:
        f = self.figures
        return {"month": self.month, "cases": f.cases, "letters_sent": f.letters_sent,
                "response_to_letter": f.ratio("response_to_letter"), "contact": f.ratio("contact"),
                "actions": f.ratio("actions")}  # fmt: skip


@dataclass
class Section:
    """The figures of one set of cases (all groups together, or one group): the same shape for each."""

    municipalities: list[MunicipalityFigures]
    provinces: list[ProvinceFigures]
    total: GroupFigures
    trend: list[MonthFigures]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "provinces": [{"province": p.province, **p.group.to_dict()} for p in self.provinces],
            "municipalities": [
                {"cbs_code": m.cbs_code, "name": m.name, "province": m.province, **m.group.to_dict()}
                for m in self.municipalities
            ],
            "trend": [month.to_dict() for month in self.trend],
        }


@dataclass
class Report:
    """The monitoring report for a period and, optionally, a set of municipalities and one group.

    ``together`` covers every selected group; ``groups`` each group on its own (its key the group's
    value, ``workflows.model.TargetGroup``), in the same shape. ``municipalities``, ``provinces``,
    ``total`` and ``trend`` are those of ``together``.
    """

    date_from: date | None
    date_to: date | None
    cbs_codes: list[str] | None
    group: str | None  # the group filter; None: every group
    together: Section
    groups: dict[str, Section]

    @property
    def municipalities(self) -> list[MunicipalityFigures]:
        return self.together.municipalities

    @property
    def provinces(self) -> list[ProvinceFigures]:
        return self.together.provinces

    @property
    def total(self) -> GroupFigures:
        return self.together.total

    @property
    def trend(self) -> list[MonthFigures]:
        return self.together.trend

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {"from": _iso(self.date_from), "to": _iso(self.date_to)},
            "cbs_codes": self.cbs_codes,
            "group": self.group,
            "bands": [{"key": k, "label": label, "min_days": lo, "max_days": hi} for k, label, lo, hi in BANDS],
            **self.together.to_dict(),
            "groups": [{"group": key, "label": GROUP_LABELS.get(key, key), **section.to_dict()}
                       for key, section in self.groups.items()],  # fmt: skip
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
