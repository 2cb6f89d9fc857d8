"""Create workflow instances, timers, outbox, outbound emails, dead letters and heartbeats.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, JSON, TS

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("closed_at", TS, nullable=True))
        batch.add_column(sa.Column("close_reason", sa.String(length=40), nullable=True))
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
    op.create_table(
        "timers",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("instance_id", BIG_ID, sa.ForeignKey("workflow_instances.id"), nullable=False),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
    )
    op.create_index("ix_timers_instance_id", "timers", ["instance_id"])
    op.create_index("ix_timers_state_due_at", "timers", ["state", "due_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("message_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("queue_name", sa.String(length=60), nullable=False),
        sa.Column("actor_name", sa.String(length=60), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_table(
        "outbound_emails",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("to_address", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attach_letter", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False, unique=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("smtp_response", sa.String(length=300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sending_started_at", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_outbound_emails_case_id", "outbound_emails", ["case_id"])
    op.create_index("ix_outbound_emails_state", "outbound_emails", ["state"])
    op.create_table(
        "dead_letters",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("message_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("queue_name", sa.String(length=60), nullable=False),
        sa.Column("actor_name", sa.String(length=60), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("failed_at", TS, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_dead_letters_state", "dead_letters", ["state"])
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("last_run_at", TS, nullable=False),
        sa.Column("details", JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("heartbeats", "dead_letters", "outbound_emails", "outbox", "timers", "workflow_instances"):
        op.drop_table(table)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("close_reason")
        batch.drop_column("closed_at")
