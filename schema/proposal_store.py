"""Proposals: outcomes read from prose that wait for their sender's "ja" (``reply_proposals``).

A proposal belongs to one case and to the reply it was read from; the proposal email is queued
through the case store with that reply's id, so the composer finds the proposal by it. At most one
proposal of a case is open: a new one supersedes the old. Whatever a proposal changes on the case
(the outcome recorded on confirmation, the audit events) goes through ``schema.case_store``; this
module keeps only the proposal rows, and the count of questions a case was sent, for the daily limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from schema.runtime_models import OutboundEmail, ReplyProposal
from workflows.commands import EmailKind
from workflows.events import outcome_from_dict, outcome_to_dict
from workflows.model import Outcome
from workflows.states import ProposalState

PROPOSALS = cast(Table, ReplyProposal.__table__)
QUESTION_KINDS = (EmailKind.ASK_BACK.value, EmailKind.PROPOSAL.value)
_BY_INBOUND = select(PROPOSALS.c.fields).where(PROPOSALS.c.inbound_id == bindparam("inbound_id"))


def open_for(session: Session, case_id: int) -> ReplyProposal | None:
    """The case's open proposal (the newest, should there ever be two), locked with the case."""
    return session.scalars(
        select(ReplyProposal).where(ReplyProposal.case_id == case_id, ReplyProposal.state == ProposalState.OPEN)
        .order_by(ReplyProposal.id.desc()).limit(1).with_for_update()
    ).first()  # fmt: skip


def create(session: Session, *, case_id: int, inbound_id: int, proposal: Outcome, evidence: Mapping[str, str],
           confident: bool, now: datetime, state: ProposalState = ProposalState.OPEN) -> ReplyProposal:  # fmt: skip
    """Store a proposal; an open one of the same case is superseded by it."""
    superseded = {"state": ProposalState.SUPERSEDED.value, "decided_at": now, "decided_inbound_id": inbound_id}
    still_open = (ReplyProposal.case_id == case_id, ReplyProposal.state == ProposalState.OPEN)
    session.execute(update(ReplyProposal).where(*still_open).values(**superseded))
    row = ReplyProposal(case_id=case_id, inbound_id=inbound_id, state=state.value, fields=outcome_to_dict(proposal),
                        evidence=dict(evidence), confident=confident, created_at=now,
                        decided_at=now if state is not ProposalState.OPEN else None)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def decide(row: ReplyProposal, state: ProposalState, *, by: str, now: datetime, inbound_id: int) -> None:
    row.state, row.decided_at, row.decided_by, row.decided_inbound_id = state.value, now, by[:200], inbound_id


def outcome_of(row: ReplyProposal) -> Outcome:
    return outcome_from_dict(row.fields)


def proposed_for_inbound(connection: Connection, inbound_id: int) -> Outcome | None:
    """The outcome proposed from one reply (for rendering the proposal email), or ``None``."""
    found: dict[str, Any] | None = connection.execute(_BY_INBOUND, {"inbound_id": inbound_id}).scalar()
    return outcome_from_dict(found) if found is not None else None


def questions_since(session: Session, case_id: int, since: datetime) -> int:
    """How many ask-backs and proposals the case was sent (queued) since ``since``: the loop guard."""
    return int(session.scalar(
        select(func.count()).select_from(OutboundEmail).where(
            OutboundEmail.case_id == case_id, OutboundEmail.kind.in_(QUESTION_KINDS), OutboundEmail.created_at >= since)
    ) or 0)  # fmt: skip
