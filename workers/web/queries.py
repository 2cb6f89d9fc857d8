"""Read queries of the console's lists: the deadline board, the case list, the work counts.

Every query goes through ``scope.scoped``, so a municipal user only ever counts and lists the
cases of their own municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from schema.models import CaseRow, MunicipalityRow
from schema.runtime_models import InboundMessage, Timer
from workers.web.scope import Viewer, inbound_scoped, scoped
from workflows.model import CaseState
from workflows.states import InboundState, TimerState

PAGE_SIZE = 50
BOARD_LIMIT = 1000


@dataclass(frozen=True)
class BoardRow:
    case: CaseRow
    municipality: str | None
    days_left: int
    next_timer: str | None
    next_due: datetime | None


def _open_cases() -> Select[Any]:
    return (
        select(CaseRow, MunicipalityRow.name)
        .outerjoin(MunicipalityRow, MunicipalityRow.cbs_code == CaseRow.cbs_code)
        .where(CaseRow.closed_at.is_(None), CaseRow.state != CaseState.CLOSED)
    )


def deadline_board(session: Session, viewer: Viewer, today: date, *, cbs_code: str | None = None,
                   state: str | None = None) -> list[BoardRow]:  # fmt: skip
    """Open cases by days left until their group's date (report, release; overdue first), each with its next timer."""
    query = scoped(_open_cases(), viewer).order_by(CaseRow.deadline, CaseRow.id).limit(BOARD_LIMIT)
    if cbs_code:
        query = query.where(CaseRow.cbs_code == cbs_code)
    if state:
        query = query.where(CaseRow.state == state)
    rows = session.execute(query).all()
    timers = _next_timers(session, [case.id for case, _ in rows])
    return [BoardRow(case, name, (case.deadline - today).days, *timers.get(case.id, (None, None)))
            for case, name in rows]  # fmt: skip


def _next_timers(session: Session, case_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    found: dict[int, tuple[str, datetime]] = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        query = (
            select(Timer.case_id, Timer.name, Timer.due_at)
            .where(Timer.case_id.in_(chunk), Timer.state == TimerState.PENDING)
            .order_by(Timer.due_at)
        )
        for case_id, name, due_at in session.execute(query):
            found.setdefault(case_id, (name, due_at))
    return found


def board_summary(rows: list[BoardRow]) -> list[dict[str, Any]]:
    """Per municipality: open cases, overdue, and due within a week (for the board's overview)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row.case.cbs_code or ""
        group = groups.setdefault(key, {"cbs_code": key, "name": row.municipality or "Nog geen gemeente",
                                        "open": 0, "overdue": 0, "week": 0})  # fmt: skip
        group["open"] += 1
        group["overdue"] += row.days_left < 0
        group["week"] += 0 <= row.days_left <= 7
    return sorted(groups.values(), key=lambda g: (-g["overdue"], -g["week"], g["name"]))


def case_list(session: Session, viewer: Viewer, *, text: str = "", state: str | None = None,
              cbs_code: str | None = None, review: bool = False, page: int = 1) -> tuple[list[Any], int]:  # fmt: skip
    """One page of cases matching the search and filters, latest report or release date first, and the total."""
    query = scoped(select(CaseRow, MunicipalityRow.name)
                   .outerjoin(MunicipalityRow, MunicipalityRow.cbs_code == CaseRow.cbs_code), viewer)  # fmt: skip
    query = _search(query, text.strip())
    if state:
        query = query.where(CaseRow.state == state)
    if cbs_code:
        query = query.where(CaseRow.cbs_code == cbs_code)
    if review:
        query = query.where(CaseRow.review_reason.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page_query = query.order_by(CaseRow.deadline.desc(), CaseRow.id.desc())
    rows = session.execute(page_query.limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return list(rows), int(total)


def _search(query: Select[Any], text: str) -> Select[Any]:
    if not text:
        return query
    reference = text.upper().removeprefix("ZM-")
    pattern = f"%{text.lower()}%"
    conditions = [CaseRow.dji_id == text, func.lower(CaseRow.surname).like(pattern),
                  func.lower(CaseRow.given_names).like(pattern)]  # fmt: skip
    if reference.isdigit() and len(reference) <= 12:
        conditions.append(CaseRow.id == int(reference))
    return query.where(or_(*conditions))


def work_counts(session: Session, viewer: Viewer, today: date) -> dict[str, int]:
    """What waits for this viewer: open, overdue and due-this-week cases, reviews, triage."""
    cases = scoped(select(func.count()).select_from(CaseRow), viewer)
    open_cases = cases.where(CaseRow.closed_at.is_(None), CaseRow.state != CaseState.CLOSED)
    review = cases.where(CaseRow.review_reason.is_not(None))
    inbound = inbound_scoped(select(func.count()).select_from(InboundMessage), viewer).where(
        InboundMessage.state.in_(InboundState.open())
    )
    counts = {
        "open": session.scalar(open_cases),
        "overdue": session.scalar(open_cases.where(CaseRow.deadline < today)),
        "week": session.scalar(open_cases.where(CaseRow.deadline.between(today, today + timedelta(days=7)))),
        "review": session.scalar(review),
        "inbound": session.scalar(inbound),
        "routing": session.scalar(cases.where(CaseRow.state == CaseState.NEEDS_ROUTING)) if viewer.is_operator else 0,
    }  # fmt: skip
    return {key: int(value or 0) for key, value in counts.items()}


def municipalities(session: Session, viewer: Viewer) -> list[MunicipalityRow]:
    """The municipalities a viewer may filter on: all for operators, their own for municipal users."""
    query = select(MunicipalityRow).order_by(MunicipalityRow.province, MunicipalityRow.name)
    if not viewer.is_operator:
        query = query.where(MunicipalityRow.cbs_code == viewer.cbs_code)
    return list(session.scalars(query))
