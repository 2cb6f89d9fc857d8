"""The case page's read model: the case with its timeline, emails, replies, timers and outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import AuditEvent, CaseRow, MunicipalityRow
from schema.runtime_models import InboundMessage, OutboundEmail, Timer
from workers.web.formatting import local_time
from workers.web.scope import Viewer, inbound_scoped
from workflows.events import outcome_from_dict
from workflows.labels import (
    CASE_STATES,
    CLOSE_REASONS,
    EMAIL_KINDS,
    INTAKE_RESULTS,
    RECIPIENTS,
    ROUTING_METHODS,
    TIMERS,
    label,
)
from workflows.model import Outcome, case_reference
from workflows.states import AuditKind, TimerState


def case_view(session: Session, viewer: Viewer, case: CaseRow, today: date) -> dict[str, Any]:
    """Everything the case page shows; the workflow instance's state for operators only."""
    municipality = session.get(MunicipalityRow, case.cbs_code) if case.cbs_code else None
    return {
        "case": case,
        "reference": case_reference(case.id),
        "municipality": municipality,
        "days_left": (case.report_date - today).days,
        "outcome": outcome_of(case),
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
                inbound_scoped(select(InboundMessage), viewer)
                .where(InboundMessage.case_id == case.id)
                .order_by(InboundMessage.received_at)
            )
        ),
        "timers": list(
            session.scalars(
                select(Timer).where(Timer.case_id == case.id, Timer.state == TimerState.PENDING).order_by(Timer.due_at)
            )
        ),
        "instance": _instance(case) if viewer.is_operator else None,
    }


def _names(session: Session, codes: list[str]) -> list[tuple[str, str]]:
    if not codes:
        return []
    query = select(MunicipalityRow.cbs_code, MunicipalityRow.name).where(MunicipalityRow.cbs_code.in_(codes))
    names = {code: name for code, name in session.execute(query)}
    return [(code, names.get(code, code)) for code in codes]


def _instance(case: CaseRow) -> dict[str, Any] | None:
    if case.workflow is None:
        return None
    return {
        "definition": case.workflow,
        "version": case.workflow_version,
        "stage": case.state,
        "updated_at": case.updated_at,
        "state": json.dumps(case.workflow_progress, indent=2, ensure_ascii=False),
    }


def outcome_of(case: CaseRow) -> Outcome:
    """The outcome stored on the case."""
    return outcome_from_dict({
        "contact": case.outcome_contact, "contact_form": case.outcome_contact_form, "actions": case.outcome_actions,
        "life_domains": case.outcome_life_domains or (), "known_to_care": case.outcome_known_to_care,
        "note": case.outcome_note,
    })  # fmt: skip


def event_summary(event: AuditEvent) -> str:
    """A short Dutch line for the timeline, from an audit event's details (never personal data)."""
    d = event.details or {}
    describe = cast(dict[str, Callable[[dict[str, Any]], str]], _SUMMARIES).get(event.event)  # str finds its member
    return describe(d) if describe else ""


_SUMMARIES: dict[AuditKind, Callable[[dict[str, Any]], str]] = {
    AuditKind.STAGE_CHANGED: lambda d: f"{label(CASE_STATES, d.get('from'))} → {label(CASE_STATES, d.get('to'))}",
    AuditKind.TIMER_SCHEDULED: lambda d: f"{label(TIMERS, d.get('timer'))} op {local_time(d.get('due_at'))}",
    AuditKind.TIMERS_CANCELLED: lambda d: ", ".join(label(TIMERS, t) for t in d.get("timers", [])),
    AuditKind.EMAIL_QUEUED: lambda d: (
        f"{label(EMAIL_KINDS, d.get('kind'))} aan {label(RECIPIENTS, d.get('recipient'))}"
    ),
    AuditKind.MUNICIPALITY_ASSIGNED: lambda d: str(d.get("cbs_code")),
    AuditKind.REVIEW_NEEDED: lambda d: str(d.get("reason", "")),
    AuditKind.REVIEW_CLEARED: lambda d: str(d.get("note", "")),
    AuditKind.CASE_CLOSED: lambda d: label(CLOSE_REASONS, d.get("reason")),
    AuditKind.INBOUND_DISCARDED: lambda d: str(d.get("reason", "")),
    AuditKind.CASE_CREATED: lambda d: (
        f"{label(INTAKE_RESULTS, d.get('result'))}; routering: {label(ROUTING_METHODS, d.get('routing_method'))}"
    ),
}
