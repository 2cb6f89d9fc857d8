"""Console hardening: sessions on the server, login throttling in the database, scoped API tokens, SSO users.

Sessions were signed cookies that lived until they expired; now a session is a row (the cookie
holds a random id, the row its digest), so logout, "log out everywhere", deactivation and a
password change end it at once. Login attempts are counted in ``login_throttle`` before the
password is hashed. API tokens get an expiry (existing tokens: a year from their creation), a
scope (existing tokens: intake) and a revocation time. Users who log in with single sign-on
carry the identity provider's subject.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from schema.migrations.types import JSON, TS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TOKENS = sa.table("api_tokens", sa.column("id", sa.Integer), sa.column("created_at", TS), sa.column("expires_at", TS),
                   sa.column("scope", sa.String))  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_last_seen_at", "console_sessions", ["last_seen_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("next_allowed_at", TS, nullable=False),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(length=400), nullable=True))
        batch.create_unique_constraint("uq_users_oidc_subject", ["oidc_subject"])
    _upgrade_tokens()


def _upgrade_tokens() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", TS, nullable=True))
        batch.add_column(sa.Column("scope", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("cbs_code", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("revoked_at", TS, nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_TOKENS.c.id, _TOKENS.c.created_at)).all():
        expires = row.created_at + timedelta(days=365)  # existing tokens: a year from their creation
        connection.execute(sa.update(_TOKENS).where(_TOKENS.c.id == row.id).values(expires_at=expires, scope="intake"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=TS, nullable=False)
        batch.alter_column("scope", existing_type=sa.String(length=20), nullable=False)
        batch.create_foreign_key("fk_api_tokens_cbs_code", "municipalities", ["cbs_code"], ["cbs_code"])



def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("fk_api_tokens_cbs_code", type_="foreignkey")
        batch.drop_column("revoked_at")
        batch.drop_column("cbs_code")
        batch.drop_column("scope")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_oidc_subject", type_="unique")
        batch.drop_column("oidc_subject")
    op.drop_table("login_throttle")
    op.drop_index("ix_console_sessions_last_seen_at", "console_sessions")
    op.drop_index("ix_console_sessions_user_id", "console_sessions")
    op.drop_table("console_sessions")
