"""Purge personal data of closed cases after the retention period (DESIGN §4).

What stays: the case row with its municipality, dates, sentence length, states and outcome
answers (the monitoring figures need them) and the audit log (ids and events). What goes: names,
birth date, address, contact details, the dji_id, free-text notes, routing evidence, the raw
intake record, and the raw replies with the lines quoted from them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, null, select, update
from sqlalchemy.orm import Session

from schema import audit
from schema.models import CaseRow, IntakeRecord, RerouteRequest
from schema.runtime_models import InboundMessage
from workflows.states import AuditKind

PURGED_BIRTH_DATE = date(1900, 1, 1)  # the column is required; this value means "removed"


def purge_closed_cases(session: Session, *, now: datetime, retention: timedelta, actor: str,
                       limit: int = 5000) -> int:  # fmt: skip
    """Purge up to ``limit`` cases closed before ``now - retention``; returns how many."""
    ids = list(session.scalars(
        select(CaseRow.id).where(CaseRow.closed_at.is_not(None), CaseRow.closed_at < now - retention,
                                 CaseRow.purged_at.is_(None)).limit(limit)
    ))  # fmt: skip
    if not ids:
        return 0
    for case_id in ids:
        session.execute(update(CaseRow).where(CaseRow.id == case_id).values(
            dji_id=f"verwijderd:{case_id}", surname="[verwijderd]", given_names="[verwijderd]",
            birth_date=PURGED_BIRTH_DATE, street=None, house_number=None, postcode=None, woonplaats=None,
            gemeente_given=None, phone=None, email=None, outcome_note=None, routing_evidence={},
            review_reason=None, purged_at=now,
        ))  # fmt: skip
    session.execute(update(IntakeRecord).where(IntakeRecord.case_id.in_(ids)).values(raw=null(), dji_id=None))
    session.execute(update(InboundMessage).where(InboundMessage.case_id.in_(ids)).values(raw=b"", details={}))
    session.execute(update(RerouteRequest).where(RerouteRequest.case_id.in_(ids))
                    .values(reason="[verwijderd]", place=None, decision_note=None))  # fmt: skip
    audit.record(session, AuditKind.PERSONAL_DATA_PURGED, actor=actor, at=now,
                 details={"cases": len(ids), "retention_days": retention.days})
    return len(ids)


def purge_unlinked_records(session: Session, *, now: datetime, retention: timedelta) -> int:
    """Raw intake records that made no case (rejected, ineligible) and mail tied to no case."""
    cutoff = now - retention
    records = session.execute(update(IntakeRecord).where(IntakeRecord.case_id.is_(None),
                                                         IntakeRecord.received_at < cutoff,
                                                         IntakeRecord.raw.is_not(None)).values(raw=null()))  # fmt: skip
    mails = session.execute(update(InboundMessage).where(InboundMessage.case_id.is_(None),
                                                         InboundMessage.received_at < cutoff)
                            .values(raw=b"", details={}))  # fmt: skip
    return int(getattr(records, "rowcount", 0) or 0) + int(getattr(mails, "rowcount", 0) or 0)


def due_for_purge(session: Session, *, now: datetime, retention: timedelta) -> dict[str, int]:
    """What a purge at ``now`` would clear, without changing anything (``koers purge --dry-run``)."""
    cutoff = now - retention
    cases = session.scalar(select(func.count()).select_from(CaseRow).where(
        CaseRow.closed_at.is_not(None), CaseRow.closed_at < cutoff, CaseRow.purged_at.is_(None)))  # fmt: skip
    records = session.scalar(select(func.count()).select_from(IntakeRecord).where(
        IntakeRecord.case_id.is_(None), IntakeRecord.received_at < cutoff, IntakeRecord.raw.is_not(None)))  # fmt: skip
    mails = session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.case_id.is_(None), InboundMessage.received_at < cutoff, InboundMessage.raw != b""))  # fmt: skip
    return {"cases": cases or 0, "records": (records or 0) + (mails or 0)}
