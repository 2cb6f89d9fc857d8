"""Read models for one case: what ``koers case show`` and the console display."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import AuditEvent, CaseRow, MunicipalityRow
from schema.runtime_models import OutboundEmail
from workflows.model import case_reference


def case_details(session: Session, dji_id: str) -> dict[str, Any] | None:
    """The case with its municipality and timeline, as JSON-ready values; None if unknown."""
    case = session.scalars(select(CaseRow).where(CaseRow.dji_id == dji_id)).one_or_none()
    if case is None:
        return None
    municipality = session.get(MunicipalityRow, case.cbs_code) if case.cbs_code else None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
    )
    return {
        "dji_id": case.dji_id,
        "reference": case_reference(case.id),
        "state": case.state,
        "urgent": case.urgent,
        "group": case.target_group,
        # Each group has its own dates; the other group's are null (ck_cases_group_dates).
        "report_date": _iso(case.report_date),
        "release_date": _iso(case.release_date),
        "custody_since": _iso(case.custody_since),
        "institution": case.institution,
        "workflow": (
            {"definition": case.workflow, "version": case.workflow_version} if case.workflow is not None else None
        ),
        "sentence_days": case.sentence_days,
        "municipality": (
            {"cbs_code": municipality.cbs_code, "name": municipality.name, "province": municipality.province}
            if municipality
            else None
        ),
        "routing": {
            "method": case.routing_method,
            "evidence": case.routing_evidence,
            "candidates": case.routing_candidates,
        },
        "outcome": {
            "contact": case.outcome_contact,
            "contact_form": case.outcome_contact_form,
            "actions": case.outcome_actions,
            "life_domains": list(case.outcome_life_domains or []),
            "known_to_care": case.outcome_known_to_care,
            "note": case.outcome_note,
            "recorded_at": case.outcome_recorded_at.isoformat() if case.outcome_recorded_at else None,
        },
        "review_reason": case.review_reason,
        "paused_until": case.paused_until.isoformat() if case.paused_until else None,
        "closed": {"at": case.closed_at.isoformat(), "reason": case.close_reason} if case.closed_at else None,
        "emails": [
            {
                "kind": e.kind,
                "to": e.to_address,
                "status": e.state,
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                "message_id": e.message_id,
                "attempts": e.attempts,
                "last_error": e.last_error,
            }
            for e in session.scalars(
                select(OutboundEmail).where(OutboundEmail.case_id == case.id).order_by(OutboundEmail.id)
            )
        ],
        "timeline": [
            {"at": e.at.isoformat(), "event": e.event, "actor": e.actor, "details": e.details} for e in events
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
