"""The wider target group: a case belongs to a group, and each group has its own dates.

``cases.target_group`` is ``self_reporter`` or ``detainee`` (every existing case is a
self-reporter). A self-reporter keeps its ``report_date``; a detainee has a ``release_date`` and a
``custody_since`` instead, so ``report_date`` may now be NULL. A CHECK constraint keeps the shape
honest: each group has exactly its own dates, never the other's, so no query has to guess which
date a case is judged by.

Downgrading refuses while detainee cases exist: the old schema has no place for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHECK = "ck_cases_group_dates"
GROUP_DATES = (
    "(target_group = 'self_reporter' AND report_date IS NOT NULL AND release_date IS NULL AND custody_since IS NULL)"
    " OR (target_group = 'detainee' AND report_date IS NULL AND release_date IS NOT NULL"
    " AND custody_since IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        # The server default fills the existing rows; intake always names the group, so it goes again.
        batch.add_column(sa.Column("target_group", sa.String(length=20), nullable=False,
                                   server_default="self_reporter"))  # fmt: skip
        batch.add_column(sa.Column("release_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("custody_since", sa.Date(), nullable=True))
        batch.alter_column("report_date", existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("target_group", existing_type=sa.String(length=20), server_default=None)
        batch.create_check_constraint(CHECK, GROUP_DATES)
    op.create_index("ix_cases_release_date", "cases", ["release_date"])


def downgrade() -> None:
    cases = sa.table("cases", sa.column("target_group", sa.String))
    detainees = op.get_bind().execute(sa.select(sa.func.count()).where(cases.c.target_group != "self_reporter"))
    if detainees.scalar_one():
        raise RuntimeError("er staan zaken van gedetineerden in de database: terugzetten naar 0010 kan niet")
    op.drop_index("ix_cases_release_date", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.alter_column("report_date", existing_type=sa.Date(), nullable=False)
        batch.drop_column("custody_since")
        batch.drop_column("release_date")
        batch.drop_column("target_group")
