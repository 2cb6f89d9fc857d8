"""Workflow actors: start a case's workflow, fire a due timer."""

from __future__ import annotations

from workers.services import installed


def start_workflow(case_id: int) -> None:
    """Start the workflow of an accepted case (no-op when it has one)."""
    installed().workflow.start_case(case_id)


def handle_timer(timer_id: int) -> None:
    """Feed a due timer to the engine (no-op when done or cancelled)."""
    installed().workflow.fire_timer(timer_id)
