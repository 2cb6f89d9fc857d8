"""Builds the services from an ``App``; the one place that knows which hooks join which parts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from schema import outbox
from workers import queues
from workers.bootstrap import App
from workers.intake import IntakeService


def start_workflows(session: Session, case_ids: list[int], now: datetime) -> None:
    """Outbox messages that start the workflows, committed with the accepted cases."""
    outbox.enqueue(session, queues.START_WORKFLOW, queues.WORKFLOW, [(case_id,) for case_id in case_ids], now)


def intake_service(app: App) -> IntakeService:
    return IntakeService(
        app.sessions,
        app.registry,
        institutions=app.settings.institutions,
        detainee_institutions=app.settings.detainee_institutions,
        clock=app.clock,
        on_accepted=start_workflows,
    )
