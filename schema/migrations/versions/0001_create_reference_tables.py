"""Create the municipality reference tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "municipalities",
        sa.Column("cbs_code", sa.String(length=6), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("province", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_municipalities_province", "municipalities", ["province"])
    op.create_table(
        "municipality_names",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cbs_code", sa.String(length=6), sa.ForeignKey("municipalities.cbs_code"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("normalized", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
    )
    op.create_index("ix_municipality_names_cbs_code", "municipality_names", ["cbs_code"])
    op.create_index("ix_municipality_names_normalized", "municipality_names", ["normalized"])
    op.create_table(
        "legacy_municipalities",
        sa.Column("cbs_code", sa.String(length=6), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dissolved_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "legacy_successors",
        sa.Column(
            "old_cbs_code", sa.String(length=6), sa.ForeignKey("legacy_municipalities.cbs_code"), primary_key=True
        ),
        sa.Column("successor_cbs_code", sa.String(length=6), primary_key=True),
    )
    op.create_table(
        "woonplaatsen",
        sa.Column("woonplaatscode", sa.String(length=8), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cbs_code", sa.String(length=6), sa.ForeignKey("municipalities.cbs_code"), nullable=False),
    )
    op.create_index("ix_woonplaatsen_cbs_code", "woonplaatsen", ["cbs_code"])
    op.create_index("ix_woonplaatsen_name", "woonplaatsen", ["name"])
    op.create_table(
        "postcodes_pc4",
        sa.Column("pc4", sa.String(length=4), primary_key=True),
        sa.Column("cbs_code", sa.String(length=6), sa.ForeignKey("municipalities.cbs_code"), nullable=False),
    )
    op.create_index("ix_postcodes_pc4_cbs_code", "postcodes_pc4", ["cbs_code"])


def downgrade() -> None:
    for table in ("postcodes_pc4", "woonplaatsen", "legacy_successors", "legacy_municipalities"):
        op.drop_table(table)
    op.drop_table("municipality_names")
    op.drop_table("municipalities")
