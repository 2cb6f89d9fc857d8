"""Mailbox mode (``koers mail-fetch``): each message read from an IMAP mailbox keeps where it lay, once.

``inbound_messages.mailbox_key`` is the IMAP URL of the message in the folder it was read from, with
the folder's UIDVALIDITY and the message's UID (RFC 5092). Unique: a fetcher that stored a message
and died before moving it out of the inbox finds the key on its next run and only moves it, so a
message is never stored (and read) twice; two fetchers on one mailbox cannot both store it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("mailbox_key", sa.String(length=300), nullable=True))
    op.create_index("ix_inbound_messages_mailbox_key", "inbound_messages", ["mailbox_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_mailbox_key", table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("mailbox_key")
