"""Tables of the workflow runtime: timers, outbox, outbound email, inbound mail, dead letters.

Timers are rows (``due_at``) claimed by a sweep, never delayed broker messages. The outbox holds
the messages a state change causes, committed in the same transaction; a relay publishes them.
Outbound emails carry a deterministic ``message_id`` and a state
(``queued → sending → sent | failed``; ``needs_review`` for a stale ``sending``, ``bounced``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigId, UtcDateTime

TS = UtcDateTime()


class Timer(Base):
    """A reminder, escalation or window close of a case's workflow, due at ``due_at``; names are unique per case.

    States: pending → claimed (by the sweep, with a message queued) → done, or cancelled.
    The (state, due_at) index keeps the sweep's cost proportional to the due timers only.
    """

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(TS)
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(TS)
    claimed_at: Mapped[datetime | None] = mapped_column(TS)
    done_at: Mapped[datetime | None] = mapped_column(TS)


class OutboxMessage(Base):
    """A message to publish once the transaction that wrote it has committed (ids only)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    queue_name: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(60))
    args: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(TS)
    published_at: Mapped[datetime | None] = mapped_column(TS, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class OutboundEmail(Base):
    """One email Koers sends; the deterministic ``message_id`` is how a resend is recognised."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    attach_letter: Mapped[bool] = mapped_column(default=False)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    smtp_response: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    sending_started_at: Mapped[datetime | None] = mapped_column(TS)
    sent_at: Mapped[datetime | None] = mapped_column(TS)
    # Answers to a received message (confirmation, ask-back) thread under it and go to its sender.
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    in_reply_to: Mapped[str | None] = mapped_column(String(300))


class DeadLetter(Base):
    """A message that exhausted its retries: kept here durably (the broker's XQ drops it after 7 days)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    queue_name: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(60))
    args: Mapped[list[Any]]
    error: Mapped[str] = mapped_column(String(500))
    retries: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime] = mapped_column(TS)
    state: Mapped[str] = mapped_column(String(12), index=True)  # dead | replayed | discarded
    resolved_at: Mapped[datetime | None] = mapped_column(TS)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))


class Heartbeat(Base):
    """When a periodic job (timer sweep, outbox relay, reconciler) last ran, and what it did."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(TS)
    details: Mapped[dict[str, Any]]


class InboundMessage(Base):
    """A received email, stored raw before the SMTP gateway answers 250, then classified.

    States: received → processed (outcome recorded) | needs_review (unreadable, contradictory) |
    quarantined (untrusted: bad token, foreign sender, DMARC fail, no case) | ignored (automatic
    reply) | bounce (delivery report) | rejected (malformed). ``reason`` says why, in Dutch.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(TS, index=True)
    source: Mapped[str] = mapped_column(String(20))  # smtp | import | imap
    envelope_from: Mapped[str | None] = mapped_column(String(300))
    envelope_to: Mapped[list[Any]]
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(300))
    from_address: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]]
    processed_at: Mapped[datetime | None] = mapped_column(TS)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    # What the gateway saw at SMTP time (0008): the client, its HELO, Koers' own SPF/DKIM/DMARC result.
    peer_ip: Mapped[str | None] = mapped_column(String(64))
    helo: Mapped[str | None] = mapped_column(String(255))
    smtp_auth: Mapped[str | None] = mapped_column(Text)
    # Token valid for the case and sender passed DMARC: only such messages are shown to municipal users.
    sender_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Mailbox mode: where the message lay when it was read (IMAP URL with UIDVALIDITY and UID), unique so that a
    # fetcher that stored it but died before moving it finds it again instead of storing it twice.
    mailbox_key: Mapped[str | None] = mapped_column(String(300), index=True, unique=True)


class ReplyProposal(Base):
    """An outcome read from a reply's prose, proposed to its sender (``schema.proposal_store``).

    States: open → confirmed (the sender said "ja": recorded) | declined | superseded, or
    recorded_at_once (the municipality opted in and every field was confident). ``fields`` holds the
    proposed values as stored on a case; ``evidence`` the supporting sentence per field (purged with
    the case's other personal data).
    """

    __tablename__ = "reply_proposals"
    __table_args__ = (Index("ix_reply_proposals_case_id_state", "case_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    fields: Mapped[dict[str, Any]]
    evidence: Mapped[dict[str, Any]]
    confident: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(TS)
    decided_at: Mapped[datetime | None] = mapped_column(TS)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
