"""What people do to a case: choose its municipality, record an outcome, clear a review.

Used by the reply pipeline, the web console and the CLI alike. Each function works inside the
caller's transaction, locks the case, and writes an audit event saying who did what and from
which message. Outcome values stay in the database: never in logs or queue messages.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from schema import outbox
from schema.models import AuditEvent, CaseRow, MunicipalityRow
from workers import queues
from workers.workflow_runtime import WorkflowRuntime
from workflows.events import OutcomeReceived
from workflows.model import Answer, CaseState, ContactForm, Outcome


class CaseActionError(ValueError):
    """An action that does not fit the case (wrong state, unknown municipality); Dutch message."""


def lock_case(session: Session, case_id: int) -> CaseRow:
    case = session.get(CaseRow, case_id, with_for_update=True)
    if case is None:
        raise CaseActionError(f"zaak {case_id} bestaat niet")
    return case


def case_outcome(case: CaseRow) -> Outcome:
    """The outcome stored on the case."""
    return Outcome(
        contact=Answer(case.outcome_contact),
        contact_form=ContactForm(case.outcome_contact_form) if case.outcome_contact_form else None,
        actions=Answer(case.outcome_actions),
        life_domains=tuple(case.outcome_life_domains or ()),
        known_to_care=Answer(case.outcome_known_to_care),
        note=case.outcome_note,
    )


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    data = asdict(outcome)
    return {k: (v.value if hasattr(v, "value") else list(v) if isinstance(v, tuple) else v) for k, v in data.items()}


def record_outcome(session: Session, runtime: WorkflowRuntime, case: CaseRow, reading: Outcome, *, actor: str,
                   now: datetime, inbound_id: int | None = None) -> Outcome:  # fmt: skip
    """Merge ``reading`` into the case's outcome, store it, and feed it to the workflow."""
    merged = case_outcome(case).updated_with(reading)
    case.outcome_contact, case.outcome_actions = merged.contact.value, merged.actions.value
    case.outcome_contact_form = merged.contact_form.value if merged.contact_form else None
    case.outcome_life_domains = list(merged.life_domains)
    case.outcome_known_to_care = merged.known_to_care.value
    case.outcome_note = merged.note
    case.outcome_recorded_at = now
    if merged.is_complete or merged.is_partial:
        case.review_reason = None
    session.add(AuditEvent(at=now, actor=actor, case_id=case.id, event="outcome_recorded",
                           details={"outcome": outcome_json(merged), "inbound_id": inbound_id}))  # fmt: skip
    runtime.apply_event(session, case, OutcomeReceived(reading), now)
    return merged


def mark_for_review(session: Session, case: CaseRow, reason: str, *, actor: str, now: datetime,
                    inbound_id: int | None = None) -> None:  # fmt: skip
    case.review_reason = reason[:300]
    case.updated_at = now
    session.add(AuditEvent(at=now, actor=actor, case_id=case.id, event="review_needed",
                           details={"reason": reason[:300], "inbound_id": inbound_id}))  # fmt: skip


def clear_review(session: Session, case: CaseRow, *, actor: str, now: datetime, note: str) -> None:
    case.review_reason = None
    case.updated_at = now
    session.add(AuditEvent(at=now, actor=actor, case_id=case.id, event="review_cleared", details={"note": note[:300]}))


def assign_municipality(session: Session, case: CaseRow, cbs_code: str, *, actor: str, now: datetime) -> None:
    """Triage: an operator picks the municipality of a *needs routing* case; its workflow starts."""
    if case.state != CaseState.NEEDS_ROUTING.value:
        raise CaseActionError(f"zaak {case.id} wacht niet op een gemeentekeuze (status {case.state})")
    candidates = list(case.routing_candidates or [])
    if session.get(MunicipalityRow, cbs_code) is None:
        raise CaseActionError(f"{cbs_code} is geen gemeente van Groningen, Fryslân of Drenthe")
    if candidates and cbs_code not in candidates:
        raise CaseActionError(f"{cbs_code} is geen van de kandidaten ({', '.join(candidates)})")
    case.cbs_code = cbs_code
    case.routing_method = "operator"
    case.routing_evidence = {**(case.routing_evidence or {}), "operator": f"gekozen door {actor}"}
    case.state = CaseState.ACCEPTED.value
    case.updated_at = now
    session.add(AuditEvent(at=now, actor=actor, case_id=case.id, event="municipality_assigned",
                           details={"cbs_code": cbs_code, "candidates": candidates}))  # fmt: skip
    outbox.enqueue(session, queues.START_WORKFLOW, queues.WORKFLOW, [(case.id,)], now)
