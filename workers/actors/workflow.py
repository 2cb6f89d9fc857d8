"""Workflow actors: start a case's workflow, fire a due timer; then send what they queued."""

from __future__ import annotations

from workers.services import installed


def start_workflow(case_id: int) -> None:
    """Start the workflow of an accepted case (no-op when it has one), then send its notification."""
    services = installed()
    queued = services.workflow.start_case(case_id)
    services.sender.send_now(queued, case_id=case_id)


def handle_timer(timer_id: int) -> None:
    """Feed a due timer to the engine (no-op when done or cancelled), then send what it queued."""
    services = installed()
    case_id, queued = services.workflow.fire_timer(timer_id)
    services.sender.send_now(queued, case_id=case_id)
