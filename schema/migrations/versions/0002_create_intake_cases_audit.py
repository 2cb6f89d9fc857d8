"""Create intake batches and records, cases, and the append-only audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import BIG_ID, JSON, TS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PG_REFUSE = """
CREATE OR REPLACE FUNCTION koers_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION koers_audit_is_append_only();
"""
_SQLITE_REFUSE = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]


def upgrade() -> None:
    op.create_table(
        "intake_batches",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("counts", JSON, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("dji_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("surname", sa.String(length=200), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("house_number", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=7), nullable=True),
        sa.Column("woonplaats", sa.String(length=200), nullable=True),
        sa.Column("gemeente_given", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("sentence_days", sa.Integer(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("institution", sa.String(length=100), nullable=False),
        sa.Column("cbs_code", sa.String(length=6), sa.ForeignKey("municipalities.cbs_code"), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("routing_method", sa.String(length=40), nullable=False),
        sa.Column("routing_evidence", JSON, nullable=False),
        sa.Column("routing_candidates", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_cases_cbs_code", "cases", ["cbs_code"])
    op.create_index("ix_cases_report_date", "cases", ["report_date"])
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_table(
        "intake_records",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("batch_id", BIG_ID, sa.ForeignKey("intake_batches.id"), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("dji_id", sa.String(length=64), nullable=True),
        sa.Column("raw", JSON, nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("cbs_code", sa.String(length=6), nullable=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("received_at", TS, nullable=False),
    )
    for column in ("batch_id", "case_id", "dji_id", "result"):
        op.create_index(f"ix_intake_records_{column}", "intake_records", [column])
    op.create_table(
        "audit_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("details", JSON, nullable=False),
    )
    op.create_index("ix_audit_events_case_at", "audit_events", ["case_id", "at"])
    op.create_index("ix_audit_events_event", "audit_events", ["event"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_REFUSE)
    else:
        for statement in _SQLITE_REFUSE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS koers_audit_is_append_only()")
    for table in ("audit_events", "intake_records", "cases", "intake_batches"):
        op.drop_table(table)
