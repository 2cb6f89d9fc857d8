"""Each fact of a case once: the workflow instance moves onto the case row; timers belong to the case.

Before, a case's stage lived in ``cases.state``, ``workflow_instances.stage`` and the instance
JSON, and its outcome, urgency and closure in ``cases`` and again in the JSON. Now the case row
holds them all once: ``cases.workflow`` and ``workflow_version`` name the definition the instance
started with, ``cases.workflow_progress`` keeps only the engine's bookkeeping (format 2: started,
deadline, timers pending and ever scheduled). Where the case row missed a fact the instance had
(urgent, closed), the fact is kept; nothing the case row has is overwritten. Timers refer to the
case only (one instance per case). History — audit events, emails, timers — is untouched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, JSON, TS

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CASES = sa.table(
    "cases", sa.column("id", BIG_ID), sa.column("state", sa.String), sa.column("urgent", sa.Boolean),
    sa.column("closed_at", TS), sa.column("close_reason", sa.String), sa.column("workflow", sa.String),
    sa.column("workflow_version", sa.Integer), sa.column("workflow_progress", JSON), sa.column("updated_at", TS),
    sa.column("outcome_contact", sa.String), sa.column("outcome_contact_form", sa.String),
    sa.column("outcome_actions", sa.String), sa.column("outcome_life_domains", JSON),
    sa.column("outcome_known_to_care", sa.String), sa.column("outcome_note", sa.String),
    sa.column("outcome_recorded_at", TS),
)  # fmt: skip
_INSTANCES = sa.table(
    "workflow_instances", sa.column("id", BIG_ID), sa.column("case_id", BIG_ID), sa.column("definition", sa.String),
    sa.column("version", sa.Integer), sa.column("stage", sa.String), sa.column("state", JSON),
    sa.column("created_at", TS), sa.column("updated_at", TS),
)  # fmt: skip
_TIMERS = sa.table("timers", sa.column("id", BIG_ID), sa.column("case_id", BIG_ID), sa.column("instance_id", BIG_ID))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("workflow", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("workflow_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("workflow_progress", JSON, nullable=True))
    connection = op.get_bind()
    instances = connection.execute(sa.select(_INSTANCES.c.case_id, _INSTANCES.c.definition, _INSTANCES.c.version,
                                             _INSTANCES.c.state)).all()  # fmt: skip
    cases = {row.id: row for row in connection.execute(sa.select(_CASES)).all()}
    for instance in instances:
        connection.execute(sa.update(_CASES).where(_CASES.c.id == instance.case_id).values(
            workflow=instance.definition, workflow_version=instance.version,
            workflow_progress=_progress(instance.state), **_missing_facts(cases[instance.case_id], instance.state),
        ))  # fmt: skip
    op.drop_index("ix_timers_instance_id", table_name="timers")
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("instance_id")
    op.create_index("ix_timers_case_id", "timers", ["case_id"])
    op.drop_index("ix_workflow_instances_stage", table_name="workflow_instances")
    op.drop_table("workflow_instances")


def _progress(state: dict[str, Any]) -> dict[str, Any]:
    """The engine's bookkeeping of a format-1 instance state, as format 2."""
    return {"format": 2, "started_at": state["started_at"], "deadline_at": state["deadline_at"],
            "pending": list(state.get("pending", [])), "scheduled": list(state.get("scheduled", []))}  # fmt: skip


def _missing_facts(case: Any, state: dict[str, Any]) -> dict[str, Any]:
    """Facts the instance knew and the case row did not (never overwriting what the case has)."""
    facts: dict[str, Any] = {}
    if state.get("urgent") and not case.urgent:
        facts["urgent"] = True
    if state.get("closed_reason") and case.closed_at is None:
        facts["close_reason"] = state["closed_reason"]
        facts["closed_at"] = datetime.fromisoformat(state["closed_at"]) if state.get("closed_at") else case.updated_at
        facts["state"] = "closed"
    return facts


def downgrade() -> None:
    op.create_table(
        "workflow_instances",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("definition", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_workflow_instances_stage", "workflow_instances", ["stage"])
    connection = op.get_bind()
    started = connection.execute(sa.select(_CASES).where(_CASES.c.workflow.is_not(None))).all()
    for case in started:
        connection.execute(sa.insert(_INSTANCES).values(
            case_id=case.id, definition=case.workflow, version=case.workflow_version, stage=case.state,
            state=_format_1(case), created_at=case.updated_at, updated_at=case.updated_at,
        ))  # fmt: skip
    op.drop_index("ix_timers_case_id", table_name="timers")
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("instance_id", BIG_ID, sa.ForeignKey("workflow_instances.id",
                                                                         name="fk_timers_instance_id"), nullable=True))
    instances = connection.execute(sa.select(_INSTANCES.c.case_id, _INSTANCES.c.id))
    ids: dict[int, int] = {case_id: instance_id for case_id, instance_id in instances}
    for timer in connection.execute(sa.select(_TIMERS.c.id, _TIMERS.c.case_id)).all():
        instance_id = ids.get(timer.case_id)
        connection.execute(sa.update(_TIMERS).where(_TIMERS.c.id == timer.id).values(instance_id=instance_id))
    op.create_index("ix_timers_instance_id", "timers", ["instance_id"])
    # Native DROP COLUMN (SQLite 3.35+): recreating ``cases`` would break the foreign keys pointing at it.
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("workflow_progress")
        batch.drop_column("workflow_version")
        batch.drop_column("workflow")


def _format_1(case: Any) -> dict[str, Any]:
    progress = case.workflow_progress
    closed_at = case.closed_at.isoformat() if case.closed_at is not None else None
    return {"format": 1, "definition": case.workflow, "version": case.workflow_version, "case_id": case.id,
            "stage": case.state, "started_at": progress["started_at"], "deadline_at": progress["deadline_at"],
            "urgent": bool(case.urgent), "outcome": _outcome(case), "pending": progress["pending"],
            "scheduled": progress["scheduled"], "closed_reason": case.close_reason, "closed_at": closed_at}  # fmt: skip


def _outcome(case: Any) -> dict[str, Any] | None:
    if case.outcome_recorded_at is None:
        return None
    return {"contact": case.outcome_contact, "contact_form": case.outcome_contact_form,
            "actions": case.outcome_actions, "life_domains": list(case.outcome_life_domains or []),
            "known_to_care": case.outcome_known_to_care, "note": case.outcome_note}  # fmt: skip
