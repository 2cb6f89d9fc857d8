"""Operator actions: a case's pause, and requests to move a case to another municipality.

``cases.paused_until`` is the moment an operator's pause ends (the timers wait until then; the
engine's own part of a pause lives in ``workflow_progress``). ``reroute_requests`` holds what a
municipal user or a "not our resident" reply asked for, until an operator re-routes the case or
declines with a reason.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, TS

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("paused_until", TS, nullable=True))
    op.create_table(
        "reroute_requests",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("from_cbs_code", sa.String(length=6), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("suggested_cbs_code", sa.String(length=6), nullable=True),
        sa.Column("inbound_id", BIG_ID, sa.ForeignKey("inbound_messages.id"), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=True),
    )
    op.create_index("ix_reroute_requests_case_id", "reroute_requests", ["case_id"])
    op.create_index("ix_reroute_requests_state", "reroute_requests", ["state"])


def downgrade() -> None:
    op.drop_index("ix_reroute_requests_state", table_name="reroute_requests")
    op.drop_index("ix_reroute_requests_case_id", table_name="reroute_requests")
    op.drop_table("reroute_requests")
    # SQLite's own DROP COLUMN: recreating ``cases`` would break the tables that refer to it.
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("paused_until")
