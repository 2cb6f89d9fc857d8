"""Replies as staff write them: outcomes read from prose, proposed to the sender until confirmed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, JSON, TS

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_proposals",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("inbound_id", BIG_ID, sa.ForeignKey("inbound_messages.id"), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_inbound_id", BIG_ID, sa.ForeignKey("inbound_messages.id"), nullable=True),
    )
    op.create_index("ix_reply_proposals_case_id_state", "reply_proposals", ["case_id", "state"])
    op.create_index("ix_reply_proposals_inbound_id", "reply_proposals", ["inbound_id"])


def downgrade() -> None:
    op.drop_index("ix_reply_proposals_inbound_id", table_name="reply_proposals")
    op.drop_index("ix_reply_proposals_case_id_state", table_name="reply_proposals")
    op.drop_table("reply_proposals")
