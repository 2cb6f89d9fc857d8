"""The case page's read model: the case with its timeline, emails, replies, timers and outcome."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import AuditEvent, CaseRow, MunicipalityRow
from schema.runtime_models import InboundMessage, OutboundEmail, Timer, WorkflowInstance
from workers.case_actions import case_outcome
from workers.web.scope import Viewer
from workflows.model import case_reference


def case_view(session: Session, viewer: Viewer, case: CaseRow, today: date) -> dict[str, Any]:
    """Everything the case page shows; the workflow instance's state for operators only."""
    municipality = session.get(MunicipalityRow, case.cbs_code) if case.cbs_code else None
    return {
        "case": case,
        "reference": case_reference(case.id),
        "municipality": municipality,
        "days_left": (case.report_date - today).days,
        "outcome": case_outcome(case),
        "candidates": _names(session, list(case.routing_candidates or [])),
        "timeline": list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
            )
        ),
        "emails": list(
            session.scalars(
                select(OutboundEmail)
                .where(OutboundEmail.case_id == case.id)
                .order_by(OutboundEmail.created_at, OutboundEmail.id)
            )
        ),
        "inbound": list(
            session.scalars(
                select(InboundMessage).where(InboundMessage.case_id == case.id).order_by(InboundMessage.received_at)
            )
        ),
        "timers": list(
            session.scalars(
                select(Timer).where(Timer.case_id == case.id, Timer.state == "pending").order_by(Timer.due_at)
            )
        ),
        "instance": _instance(session, case.id) if viewer.is_operator else None,
    }


def _names(session: Session, codes: list[str]) -> list[tuple[str, str]]:
    if not codes:
        return []
    query = select(MunicipalityRow.cbs_code, MunicipalityRow.name).where(MunicipalityRow.cbs_code.in_(codes))
    names = {code: name for code, name in session.execute(query)}
    return [(code, names.get(code, code)) for code in codes]


def _instance(session: Session, case_id: int) -> dict[str, Any] | None:
    instance = session.scalars(select(WorkflowInstance).where(WorkflowInstance.case_id == case_id)).one_or_none()
    if instance is None:
        return None
    return {
        "definition": instance.definition,
        "version": instance.version,
        "stage": instance.stage,
        "updated_at": instance.updated_at,
        "state": json.dumps(instance.state, indent=2, ensure_ascii=False),
    }


def event_summary(event: AuditEvent) -> str:
    """A short Dutch line for the timeline, from an audit event's details (never personal data)."""
    d = event.details or {}
    parts = {
        "stage_changed": lambda: f"{d.get('from')} → {d.get('to')}",
        "timer_scheduled": lambda: f"{d.get('timer')} op {str(d.get('due_at', ''))[:16].replace('T', ' ')}",
        "email_queued": lambda: f"{d.get('kind')} aan {d.get('recipient')}",
        "municipality_assigned": lambda: str(d.get("cbs_code")),
        "review_needed": lambda: str(d.get("reason", "")),
        "review_cleared": lambda: str(d.get("note", "")),
        "case_closed": lambda: str(d.get("reason", "")),
        "inbound_discarded": lambda: str(d.get("reason", "")),
        "case_created": lambda: f"{d.get('result')}, routering: {d.get('routing_method')}",
    }
    describe = parts.get(event.event)
    return describe() if describe else ""
