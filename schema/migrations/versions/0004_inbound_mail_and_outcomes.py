"""Inbound messages, the outcome on the case, review flags, and answers threaded to replies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, JSON, TS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("envelope_from", sa.String(length=300), nullable=True),
        sa.Column("envelope_to", JSON, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("from_address", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
    )
    op.create_index("ix_inbound_messages_received_at", "inbound_messages", ["received_at"])
    op.create_index("ix_inbound_messages_state", "inbound_messages", ["state"])
    op.create_index("ix_inbound_messages_case_id", "inbound_messages", ["case_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("outcome_contact", sa.String(length=10), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("outcome_contact_form", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("outcome_actions", sa.String(length=10), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("outcome_life_domains", JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("outcome_known_to_care", sa.String(length=10), nullable=False, server_default="unknown")
        )
        batch.add_column(sa.Column("outcome_note", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("outcome_recorded_at", TS, nullable=True))
        batch.add_column(sa.Column("review_reason", sa.String(length=300), nullable=True))
    with op.batch_alter_table("outbound_emails") as batch:
        batch.add_column(
            sa.Column(
                "inbound_id",
                BIG_ID,
                sa.ForeignKey("inbound_messages.id", name="fk_outbound_emails_inbound_id"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("in_reply_to", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_emails") as batch:
        batch.drop_column("in_reply_to")
        batch.drop_column("inbound_id")
    with op.batch_alter_table("cases") as batch:
        columns = ("review_reason", "outcome_recorded_at", "outcome_note", "outcome_known_to_care",
                   "outcome_life_domains", "outcome_actions", "outcome_contact_form", "outcome_contact")  # fmt: skip
        for column in columns:
            batch.drop_column(column)
    op.drop_table("inbound_messages")
