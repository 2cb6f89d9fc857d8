"""Purge personal data of closed cases after the retention period (DESIGN §4).

What stays: the case row with its municipality, dates, sentence length, states and outcome
answers (the monitoring figures need them), its workflow instance (times and timer names), and
every audit row with its time, actor and event: that something happened, and when. What goes:
names, birth date, address, contact details, the dji_id, the outcome's note, the review reason,
routing evidence, the raw intake record, the raw replies with what was read from them (and the
proposals read from them), mail
servers' answers, and from the audit rows every detail that is not an id, state, code or time
(``schema.audit_purge``). The caller deletes the spooled mail of the purged cases by the Message-IDs
returned. A purged case cannot be changed any more (``CaseStore.lock`` refuses it), so nothing
personal comes back to it; a reply that arrives later is kept as mail of no case and purged as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, delete, func, literal, null, select, update
from sqlalchemy.orm import Session

from schema import audit
from schema.audit_purge import scrub_case_audit
from schema.models import CaseRow, IntakeRecord, RerouteRequest
from schema.runtime_models import InboundMessage, OutboundEmail, ReplyProposal
from workflows.states import AuditKind

PURGED_BIRTH_DATE = date(1900, 1, 1)  # the column is required; this value means "removed"


@dataclass(frozen=True)
class PurgedBatch:
    """One batch of purged cases: how many, and the Message-IDs of their emails (to delete spooled copies)."""

    cases: int
    message_ids: list[str] = field(default_factory=list)


def purge_closed_cases(session: Session, *, now: datetime, retention: timedelta, actor: str,
                       limit: int = 5000) -> PurgedBatch:  # fmt: skip
    """Purge up to ``limit`` cases closed before ``now - retention``, in the caller's transaction."""
    ids = list(session.scalars(
        select(CaseRow.id).where(CaseRow.closed_at.is_not(None), CaseRow.closed_at < now - retention,
                                 CaseRow.purged_at.is_(None)).limit(limit)
    ))  # fmt: skip
    if not ids:
        return PurgedBatch(0)
    # purged_at first: the audit trigger lets only a purged case's rows lose values.
    session.execute(update(CaseRow).where(CaseRow.id.in_(ids)).values(
        dji_id=literal("verwijderd:", String) + cast(CaseRow.id, String), surname="[verwijderd]",
        given_names="[verwijderd]", birth_date=PURGED_BIRTH_DATE, street=None, house_number=None, postcode=None,
        woonplaats=None, gemeente_given=None, phone=None, email=None,
        outcome_note=None, routing_evidence={}, review_reason=None, purged_at=now,
    ))  # fmt: skip
    session.execute(update(IntakeRecord).where(IntakeRecord.case_id.in_(ids)).values(raw=null(), dji_id=None))
    session.execute(update(InboundMessage).where(InboundMessage.case_id.in_(ids)).values(raw=b"", details={}))
    session.execute(update(RerouteRequest).where(RerouteRequest.case_id.in_(ids))
                    .values(reason="[verwijderd]", place=None, decision_note=None))  # fmt: skip
    session.execute(delete(ReplyProposal).where(ReplyProposal.case_id.in_(ids)))  # the sender's sentences and note
    session.execute(update(OutboundEmail).where(OutboundEmail.case_id.in_(ids))
                    .values(last_error=None, smtp_response=None))  # fmt: skip
    scrubbed = scrub_case_audit(session, ids)
    message_ids = list(session.scalars(select(OutboundEmail.message_id).where(OutboundEmail.case_id.in_(ids))))
    audit.record(session, AuditKind.PERSONAL_DATA_PURGED, actor=actor, at=now,
                 details={"cases": len(ids), "audit_rows": scrubbed, "retention_days": retention.days})  # fmt: skip
    return PurgedBatch(len(ids), message_ids)


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
