"""The monitoring report, counted in SQL: one GROUP BY over the cases, never a case loaded.

Cases are selected on the local (Europe/Amsterdam) date of ``created_at``; the bounds are turned
into UTC instants, so the filter uses plain comparisons on both databases. The month of the
trend is a CASE over precomputed UTC month boundaries for the same reason (SQLite has no time
zones). The query groups by group, municipality, sentence band and month; the few hundred rows it
returns are summed into municipalities, provinces, the total and the trend in Python, once for all
selected groups together and once per group.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from schema.models import CaseRow, MunicipalityRow
from schema.report_model import (
    BANDS,
    Figures,
    GroupFigures,
    MonthFigures,
    MunicipalityFigures,
    ProvinceFigures,
    Report,
    Section,
)
from schema.runtime_models import OutboundEmail
from workflows.calendar import AMSTERDAM
from workflows.commands import CloseReason, EmailKind
from workflows.model import Answer, ContactForm, TargetGroup
from workflows.states import EmailState

PROVINCE_ORDER = ("Groningen", "Fryslân", "Drenthe")
UNROUTED_NAME = "Nog niet gerouteerd"
UNKNOWN_PROVINCE = "Onbekend"
FLAGS = ("letters_sent", "response_to_letter", "contact", "other_contact", "actions_among_contacts", "actions",
         "known_to_care", "escalations", "closed_without_outcome", "urgent")  # fmt: skip


def monitoring_report(session: Session, *, date_from: date | None, date_to: date | None,
                      cbs_codes: Collection[str] | None = None,
                      group: TargetGroup | str | None = None) -> Report:  # fmt: skip
    """Figures per municipality, province and in total, per sentence band, with a monthly trend; for
    the selected groups together and for each group on its own.

    Args:
        date_from, date_to: inclusive local dates of ``created_at``; ``None`` leaves that side open.
        cbs_codes: only these municipalities (a municipal user's own code); ``None`` for all,
            including cases not yet routed.
        group: only this target group; ``None`` for every group.
    """
    codes = sorted({c.upper() for c in cbs_codes}) if cbs_codes is not None else None
    groups = (TargetGroup(group),) if group is not None else tuple(TargetGroup)
    where = _case_filter(date_from, date_to, codes, groups)
    months = _month_starts(session, where)
    names = _municipalities(session, codes)
    together = _SectionSums(names, months)
    per_group = {g.value: _SectionSums(names, months) for g in groups}
    for row in session.execute(_grouped_counts(where, months)):
        counts = Figures(cases=int(row.cases), **{name: int(getattr(row, name) or 0) for name in FLAGS})
        together.add(row, counts)
        per_group[row.target_group].add(row, counts)
    sections = {key: sums.section() for key, sums in per_group.items()}
    chosen = groups[0].value if group is not None else None
    return Report(date_from, date_to, codes, chosen, together.section(), sections)


class _SectionSums:
    """The rows of one section summed into municipalities and months; then provinces and the total."""

    def __init__(self, names: dict[str | None, tuple[str, str]], months: list[tuple[str, datetime]]) -> None:
        self.municipalities = {code: MunicipalityFigures(code, name, province) for code, (name, province) in
                               names.items()}  # fmt: skip
        self.trend = {label: MonthFigures(label) for label, _ in months}

    def add(self, row: Any, counts: Figures) -> None:
        if row.cbs_code not in self.municipalities:
            self.municipalities[row.cbs_code] = MunicipalityFigures(None, UNROUTED_NAME, UNKNOWN_PROVINCE)
        figures = self.municipalities[row.cbs_code].group
        figures.figures.add(counts)
        figures.by_band[row.band].add(counts)
        self.trend[row.month].figures.add(counts)

    def section(self) -> Section:
        ordered = sorted(self.municipalities.values(),
                         key=lambda m: (_province_rank(m.province), m.cbs_code is None, m.name))  # fmt: skip
        provinces = _provinces(ordered)
        total = GroupFigures()
        for province in provinces:
            total.add(province.group)
        return Section(ordered, provinces, total, list(self.trend.values()))


def local_day_start(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in the Netherlands."""
    return datetime.combine(day, time(0), AMSTERDAM).astimezone(UTC)


def _case_filter(date_from: date | None, date_to: date | None, codes: list[str] | None,
                 groups: tuple[TargetGroup, ...]) -> ColumnElement[bool]:  # fmt: skip
    conditions: list[ColumnElement[bool]] = []
    if len(groups) < len(TargetGroup):
        conditions.append(CaseRow.target_group.in_([g.value for g in groups]))
    if date_from is not None:
        conditions.append(CaseRow.created_at >= local_day_start(date_from))
    if date_to is not None:
        conditions.append(CaseRow.created_at < local_day_start(date_to + timedelta(days=1)))
    if codes is not None:
        conditions.append(CaseRow.cbs_code.in_(codes))
    return and_(true(), *conditions)


def _month_starts(session: Session, where: ColumnElement[bool]) -> list[tuple[str, datetime]]:
    """Local months between the first and last selected case, with the UTC instant each begins."""
    first, last = session.execute(select(func.min(CaseRow.created_at), func.max(CaseRow.created_at)).where(where)).one()
    if first is None:
        return []
    month, end = _local_month(first), _local_month(last)
    months = []
    while month <= end:
        months.append((f"{month:%Y-%m}", local_day_start(month)))
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _local_month(value: datetime | str) -> date:
    # MIN/MAX on SQLite may come back as text; the stored values are UTC.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(AMSTERDAM).date().replace(day=1)


def _grouped_counts(where: ColumnElement[bool], months: list[tuple[str, datetime]]) -> Any:
    # A letter is a sent notification that carried one (a detainee's notification has none).
    letter = and_(OutboundEmail.kind == EmailKind.NOTIFICATION, OutboundEmail.attach_letter.is_(True))
    emails = (
        select(OutboundEmail.case_id,
               func.max(case((letter, 1), else_=0)).label("letter"),
               func.max(case((OutboundEmail.kind == EmailKind.ESCALATION, 1), else_=0)).label("escalation"))
        .where(OutboundEmail.state == EmailState.SENT,
               OutboundEmail.kind.in_((EmailKind.NOTIFICATION, EmailKind.ESCALATION)))
        .group_by(OutboundEmail.case_id)
        .subquery()
    )  # fmt: skip
    per_case = (
        select(CaseRow.target_group, CaseRow.cbs_code, _band().label("band"), _month(months).label("month"),
               func.coalesce(emails.c.letter, 0).label("letters_sent"),
               func.coalesce(emails.c.escalation, 0).label("escalations"), *_outcome_flags())
        .outerjoin(emails, emails.c.case_id == CaseRow.id)
        .where(where)
        .subquery()
    )  # fmt: skip
    keys = (per_case.c.target_group, per_case.c.cbs_code, per_case.c.band, per_case.c.month)
    sums = [func.sum(per_case.c[name]).label(name) for name in FLAGS]
    return select(*keys, func.count().label("cases"), *sums).group_by(*keys)


def _outcome_flags() -> list[Any]:
    contact, letter = CaseRow.outcome_contact == Answer.YES, CaseRow.outcome_contact_form == ContactForm.LETTER
    actions = CaseRow.outcome_actions == Answer.YES
    flags = {
        "response_to_letter": and_(contact, letter),
        "contact": contact,
        "other_contact": and_(contact, or_(CaseRow.outcome_contact_form.is_(None), ~letter)),
        "actions_among_contacts": and_(contact, actions),
        "actions": actions,
        "known_to_care": and_(actions, CaseRow.outcome_known_to_care == Answer.YES),
        "closed_without_outcome": CaseRow.close_reason == CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME,
        "urgent": CaseRow.urgent.is_(True),
    }
    return [case((condition, 1), else_=0).label(name) for name, condition in flags.items()]


def _band() -> Any:
    whens = [(CaseRow.sentence_days <= high, key) for key, _, _, high in BANDS if high is not None]
    return case(*whens, else_=BANDS[-1][0])


def _month(months: list[tuple[str, datetime]]) -> Any:
    if not months:
        return literal("")
    whens = [(CaseRow.created_at < start, months[i - 1][0]) for i, (_, start) in enumerate(months) if i > 0]
    return case(*whens, else_=months[-1][0]) if whens else literal(months[0][0])


def _municipalities(session: Session, codes: list[str] | None) -> dict[str | None, tuple[str, str]]:
    query = select(MunicipalityRow.cbs_code, MunicipalityRow.name, MunicipalityRow.province)
    if codes is not None:
        query = query.where(MunicipalityRow.cbs_code.in_(codes))
    return {code: (name, province) for code, name, province in session.execute(query)}


def _provinces(municipalities: list[MunicipalityFigures]) -> list[ProvinceFigures]:
    provinces: dict[str, ProvinceFigures] = {}
    for m in municipalities:
        provinces.setdefault(m.province, ProvinceFigures(m.province)).group.add(m.group)
    return list(provinces.values())


def _province_rank(province: str) -> tuple[int, str]:
    rank = PROVINCE_ORDER.index(province) if province in PROVINCE_ORDER else len(PROVINCE_ORDER)
    return (rank + (province == UNKNOWN_PROVINCE), province)
