"""The trusted mail channel: what the gateway saw of a sender at SMTP time, and whether it was verified.

``peer_ip`` and ``helo`` are the connecting host as the gateway saw it; ``smtp_auth`` the
``Authentication-Results`` value of Koers' own SPF/DKIM/DMARC checks (verify mode); ``sender_verified``
is set by the reply processor when the token fitted the case and the sender passed DMARC: only such
messages are shown to municipal users. Messages recorded or asked back before this revision passed
the trust check of their time and stay visible.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("peer_ip", sa.String(64), nullable=True))
        batch.add_column(sa.Column("helo", sa.String(255), nullable=True))
        batch.add_column(sa.Column("smtp_auth", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sender_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
    inbound = sa.table("inbound_messages", sa.column("state", sa.String), sa.column("sender_verified", sa.Boolean))
    op.execute(inbound.update().where(inbound.c.state.in_(("processed", "needs_review"))).values(sender_verified=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("sender_verified")
        batch.drop_column("smtp_auth")
        batch.drop_column("helo")
        batch.drop_column("peer_ip")
