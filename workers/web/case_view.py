"""The case page's read model: the case with its timeline, emails, replies, timers and outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import AuditEvent, CaseRow, MunicipalityRow
from schema.runtime_models import InboundMessage, OutboundEmail, Timer, WorkflowInstance
from workers.case_actions import case_outcome
from workers.web.formatting import local_time
from workers.web.scope import Viewer
from workflows.labels import CASE_STATES, CLOSE_REASONS, EMAIL_KINDS, ROUTING_METHODS, TIMERS, label
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
    describe = _SUMMARIES.get(event.event)
    return describe(d) if describe else ""


_RECIPIENTS = {"municipality": "aan de gemeente", "coordinator": "aan de coördinator"}
_RESULTS = {"accepted": "geaccepteerd", "needs_routing": "gemeente onduidelijk"}
_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "stage_changed": lambda d: f"{label(CASE_STATES, d.get('from'))} → {label(CASE_STATES, d.get('to'))}",
    "timer_scheduled": lambda d: f"{label(TIMERS, d.get('timer'))} op {local_time(d.get('due_at'))}",
    "timers_cancelled": lambda d: ", ".join(label(TIMERS, t) for t in d.get("timers", [])),
    "email_queued": lambda d: f"{label(EMAIL_KINDS, d.get('kind'))} {_RECIPIENTS.get(str(d.get('recipient')), '')}",
    "municipality_assigned": lambda d: str(d.get("cbs_code")),
    "review_needed": lambda d: str(d.get("reason", "")),
    "review_cleared": lambda d: str(d.get("note", "")),
    "case_closed": lambda d: label(CLOSE_REASONS, d.get("reason")),
    "inbound_discarded": lambda d: str(d.get("reason", "")),
    "case_created": lambda d: (
        f"{label(_RESULTS, d.get('result'))}; routering: {label(ROUTING_METHODS, d.get('routing_method'))}"
    ),
}
